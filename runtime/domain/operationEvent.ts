import { keyedHash } from "./privacy";
import { number, object, string } from "yup";
import {
  NOTIFICATION_KINDS,
  OPERATION_KINDS,
  type NotificationKind,
  type OperationKind,
} from "./operationKinds";
import { ibanLast4, normalizeIban } from "./iban";
import { routingAmount, type Money } from "./money";
import { moneySchema, requiredUnlessSecurityCritical, type OperationInput } from "./operationSchema";
import { parseStrictJson } from "./strictJson";
import { parseIsoInstant } from "./time";
import { closedObject, identifier, plainText, validateWith, validationFailed } from "./validation";

/**
 * The event put on the bus for every recorded operation. It carries no e-mail address and no full
 * account number, so events, queues, logs and the bus archive hold nothing that erasure must reach.
 */
export const OPERATION_EVENT_VERSION = 1;

export interface AccountReference {
  /** The last four characters of the IBAN, for display. */
  last4: string;
  /** HMAC-SHA256 of the normalised IBAN with the stack's secret key: joins without revealing it. */
  hash: string;
}

export interface OperationEventDetail {
  version: number;
  operationId: string;
  customerId: string;
  kind: OperationKind;
  account: AccountReference;
  amount?: Money;
  balanceAfter?: Money;
  occurredAt: string;
  description?: string;
  counterparty?: { name?: string; account?: AccountReference };
  /** Numeric copy of the amount in whole major units for EventBridge numeric patterns; never displayed. */
  routing?: { amount: number; currency: string };
}

export interface BusEvent {
  source: string;
  detailType: OperationKind;
  detail: OperationEventDetail;
}

export function accountReference(iban: string, hashKey: string): AccountReference {
  const normalized = normalizeIban(iban);
  return { last4: ibanLast4(normalized), hash: keyedHash(normalized, hashKey) };
}

export function buildOperationEvent(
  operation: OperationInput,
  options: { source: string; hashKey: string },
): BusEvent {
  const detail: OperationEventDetail = {
    version: OPERATION_EVENT_VERSION,
    operationId: operation.id,
    customerId: operation.customerId,
    kind: operation.kind,
    account: accountReference(operation.accountIban, options.hashKey),
    occurredAt: operation.occurredAt,
  };
  if (operation.amount) {
    detail.amount = operation.amount;
    detail.routing = { amount: routingAmount(operation.amount), currency: operation.amount.currency };
  }
  if (operation.balanceAfter) detail.balanceAfter = operation.balanceAfter;
  if (operation.description) detail.description = operation.description;
  if (operation.counterparty) {
    detail.counterparty = {};
    if (operation.counterparty.name) detail.counterparty.name = operation.counterparty.name;
    if (operation.counterparty.iban)
      detail.counterparty.account = accountReference(operation.counterparty.iban, options.hashKey);
  }
  return { source: options.source, detailType: operation.kind, detail };
}

/**
 * What the rules put on the notify queue: the EventBridge event, wrapped by the rule's input
 * transformer with the notification kind that rule stands for. One operation can match several
 * rules (its kind's rule and the large-amount rule), hence one envelope per notification.
 */
export interface NotificationEnvelope {
  notificationKind: NotificationKind;
  event: { id: string; source: string; "detail-type": string; time: string; detail: OperationEventDetail };
}

/** The input transformer template a rule uses to build a NotificationEnvelope. */
export function notificationInputTemplate(kind: NotificationKind): string {
  return `{"notificationKind":"${kind}","event":<aws.events.event.json>}`;
}

function accountReferenceSchema(label: string) {
  return closedObject({
    last4: string()
      .strict(true)
      .required(`${label}.last4 is required`)
      .matches(/^[A-Z0-9]{4}$/, `${label}.last4 must be 4 letters or digits`),
    hash: string()
      .strict(true)
      .required(`${label}.hash is required`)
      .matches(/^[a-f0-9]{64}$/, `${label}.hash must be a hex HMAC-SHA256`),
  });
}

/**
 * Structural check of an event consumed from the queue. Looser than API ingest on purpose: no
 * clock-skew bound (replays and redrives of old events must pass), and free text may hold markup,
 * since producers may also put events on the bus directly; the e-mail escapes it either way.
 */
export function buildOperationEventDetailSchema() {
  return closedObject({
    version: number()
      .strict(true)
      .required("version is required")
      .oneOf([OPERATION_EVENT_VERSION], `version must be ${OPERATION_EVENT_VERSION}`),
    operationId: identifier("operationId"),
    customerId: identifier("customerId"),
    kind: string()
      .strict(true)
      .required("kind is required")
      .oneOf([...OPERATION_KINDS], "kind is not a known operation kind"),
    account: accountReferenceSchema("account").required("account is required"),
    amount: requiredUnlessSecurityCritical(moneySchema("amount", { allowNegative: false })),
    balanceAfter: moneySchema("balanceAfter", { allowNegative: true, acceptNegativeZero: true })
      .default(undefined)
      .optional(),
    occurredAt: string()
      .strict(true)
      .required("occurredAt is required")
      .test(
        "iso-8601",
        "occurredAt must be an ISO 8601 instant",
        (v) => v === undefined || parseIsoInstant(v) !== undefined,
      ),
    description: plainText("description", 500).optional(),
    counterparty: closedObject({
      name: plainText("counterparty.name", 200).optional(),
      account: accountReferenceSchema("counterparty.account").default(undefined).optional(),
    })
      .default(undefined)
      .optional(),
    routing: closedObject({
      amount: number().strict(true).required("routing.amount is required"),
      currency: string().strict(true).required("routing.currency is required"),
    })
      .default(undefined)
      .optional(),
  });
}

export function parseNotificationEnvelope(body: string): NotificationEnvelope {
  // Producers may put events on the bus directly: a repeated member is refused (the record fails and
  // ends in the DLQ), while text with an unpaired surrogate is shown with U+FFFD (buildTemplateFields).
  const parsed = parseStrictJson(
    body,
    () =>
      validationFailed([{ field: "(body)", rule: "json", message: "the message body is not valid JSON" }]),
    { allowUnpairedSurrogates: true },
  );
  const envelope = validateWith(
    object({
      notificationKind: string()
        .strict(true)
        .required("notificationKind is required")
        .oneOf([...NOTIFICATION_KINDS], "notificationKind is not a known notification kind"),
      event: object({
        id: string().strict(true).required("event.id is required"),
        detail: object().required("event.detail is required"),
      }).required("event is required"),
    }),
    parsed,
  ) as unknown as NotificationEnvelope;
  const detail = validateWith(
    buildOperationEventDetailSchema(),
    envelope.event.detail,
  ) as OperationEventDetail;
  return { ...envelope, event: { ...envelope.event, detail } };
}
