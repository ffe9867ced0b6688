import type { Locale } from "../runtime/domain/locales";
import { buildOperationEvent, type OperationEventDetail } from "../runtime/domain/operationEvent";
import type { NotificationKind } from "../runtime/domain/operationKinds";
import { validateOperationInput, type OperationInput } from "../runtime/domain/operationSchema";
import { buildTemplateData, type Recipient, type TemplateData } from "../runtime/domain/templateData";

/**
 * Realistic notifications for previews and template tests. Each sample is an operation as the core
 * banking system submits it, validated, turned into a bus event and then into template data by the
 * runtime's own code, so a sample shows exactly what a customer would receive.
 */
export const SAMPLE_RECIPIENTS: { readonly [L in Locale]: Recipient } = {
  fr: { displayName: "Camille Martin", locale: "fr-FR", timeZone: "Europe/Paris" },
  en: { displayName: "Alex Morgan", locale: "en-GB", timeZone: "Europe/London" },
};

const SAMPLE_EVENT_OPTIONS = { source: "core-banking.sample", hashKey: "sample-hash-key-for-previews-only" };
const CUSTOMER_ID = "cus-000042";
/** Valid IBANs (checksums included), so the samples pass the API's own validation. */
const CUSTOMER_IBAN = "FR7630004008230001000287890";
const OCCURRED_AT = "2026-03-14T09:30:00Z";

type LocalizedText = { readonly [L in Locale]: string };
type SampleOperation = Omit<OperationInput, "customerId" | "accountIban" | "occurredAt" | "description"> & {
  description?: LocalizedText;
};

const eur = (value: string) => ({ value, currency: "EUR" });

const SAMPLE_OPERATIONS: { readonly [K in NotificationKind]: SampleOperation } = {
  deposit: {
    id: "op-20260314-deposit-0001",
    kind: "deposit",
    amount: eur("1234.56"),
    balanceAfter: eur("4821.09"),
    description: { fr: "Remise d’espèces, agence Lyon Bellecour", en: "Cash deposit, Lyon Bellecour branch" },
  },
  withdrawal: {
    id: "op-20260314-withdrawal-0001",
    kind: "withdrawal",
    amount: eur("200.00"),
    balanceAfter: eur("3386.53"),
    description: { fr: "Retrait DAB, Paris Gare de Lyon", en: "Cash machine, Paris Gare de Lyon" },
  },
  "transfer-in": {
    id: "op-20260314-transfer-in-0001",
    kind: "transfer-in",
    amount: eur("2450.00"),
    balanceAfter: eur("5836.53"),
    description: { fr: "Salaire mars 2026", en: "Salary March 2026" },
    counterparty: { name: "Durand & Fils SARL", iban: "FR1420041010050500013M02606" },
  },
  "transfer-out": {
    id: "op-20260314-transfer-out-0001",
    kind: "transfer-out",
    amount: eur("850.00"),
    balanceAfter: eur("4986.53"),
    description: { fr: "Loyer avril 2026", en: "April 2026 rent" },
    counterparty: { name: "Jeanne Dupont", iban: "DE89370400440532013000" },
  },
  "card-payment": {
    id: "op-20260314-card-payment-0001",
    kind: "card-payment",
    amount: eur("87.45"),
    balanceAfter: eur("4899.08"),
    description: { fr: "CARREFOUR CITY PARIS 11", en: "CARREFOUR CITY PARIS 11" },
  },
  "direct-debit": {
    id: "op-20260314-direct-debit-0001",
    kind: "direct-debit",
    amount: eur("64.90"),
    balanceAfter: eur("4834.18"),
    description: { fr: "Facture d’électricité, mars 2026", en: "Electricity bill, March 2026" },
    counterparty: { name: "EDF", iban: "GB29NWBK60161331926819" },
  },
  "card-blocked": {
    id: "op-20260314-card-blocked-0001",
    kind: "card-blocked",
    description: {
      fr: "Blocage préventif après plusieurs paiements suspects",
      en: "Blocked as a precaution after several suspicious payments",
    },
  },
  "large-amount": {
    id: "op-20260314-large-transfer-0001",
    kind: "transfer-out",
    amount: eur("25000.00"),
    balanceAfter: eur("12430.18"),
    description: { fr: "Apport pour l’achat d’un appartement", en: "Deposit for a flat purchase" },
    counterparty: { name: "Étude de Maître Lefèvre", iban: "DE89370400440532013000" },
  },
};

/** The bus event detail behind a sample notification. */
export function sampleOperationDetail(kind: NotificationKind, locale: Locale): OperationEventDetail {
  const { description, ...operation } = SAMPLE_OPERATIONS[kind];
  const input = validateOperationInput({
    ...operation,
    customerId: CUSTOMER_ID,
    accountIban: CUSTOMER_IBAN,
    occurredAt: OCCURRED_AT,
    ...(description ? { description: description[locale] } : {}),
  });
  return buildOperationEvent(input, SAMPLE_EVENT_OPTIONS).detail;
}

/** The template data the notify handler would send for this kind to the sample recipient of this locale. */
export function sampleTemplateData(kind: NotificationKind, locale: Locale): TemplateData {
  return buildTemplateData(sampleOperationDetail(kind, locale), SAMPLE_RECIPIENTS[locale]);
}
