import { escapeHtml } from "./escapeHtml";
import { formatInstant, formatMoney } from "./formatting";
import { maskAccount } from "./iban";
import type { Money } from "./money";
import type { NotificationKind } from "./operationKinds";
import type { OperationEventDetail } from "./operationEvent";
import { displaySafeText } from "./unicodeText";

/**
 * The values a template shows, already formatted: SES templates allow no custom helpers. Every field
 * is always present, an empty string when the operation has no such value: SES accepts a send whose
 * data lacks an attribute a template references, then fails to render it (a Rendering Failure event,
 * and no e-mail: https://repost.aws/knowledge-center/ses-sendtemplatedemail-delivery-failure), and
 * whether a reference inside `{{#if}}` counts is not documented. An empty string is falsy to `{{#if}}`,
 * so an optional row stays hidden.
 */
export interface TemplateFields {
  displayName: string;
  reference: string;
  account: string;
  occurredAt: string;
  amount: string;
  balanceAfter: string;
  description: string;
  counterpartyName: string;
  counterpartyAccount: string;
}

/**
 * SES binds one data object to the subject, text and HTML parts and escapes none of them, so the
 * data carries two copies: `text` for the subject and text part, `html` (escaped) for the HTML part.
 */
export interface TemplateData {
  text: TemplateFields;
  html: TemplateFields;
}

export interface Recipient {
  displayName: string;
  locale: string;
  timeZone: string;
}

/**
 * Free text (the description and counterparty from the bus, where producers may put events directly,
 * and the customer's name) is shown without bidirectional controls or unpaired surrogates.
 */
export function buildTemplateFields(detail: OperationEventDetail, recipient: Recipient): TemplateFields {
  const money = (value: Money | undefined) => (value ? formatMoney(value, recipient.locale) : "");
  return {
    displayName: displaySafeText(recipient.displayName),
    reference: detail.operationId,
    account: maskAccount(detail.account.last4),
    occurredAt: formatInstant(detail.occurredAt, recipient.locale, recipient.timeZone),
    amount: money(detail.amount),
    balanceAfter: money(detail.balanceAfter),
    description: displaySafeText(detail.description ?? ""),
    counterpartyName: displaySafeText(detail.counterparty?.name ?? ""),
    counterpartyAccount: detail.counterparty?.account ? maskAccount(detail.counterparty.account.last4) : "",
  };
}

export function buildTemplateData(detail: OperationEventDetail, recipient: Recipient): TemplateData {
  const text = buildTemplateFields(detail, recipient);
  const html = Object.fromEntries(
    Object.entries(text).map(([name, value]) => [name, escapeHtml(value)]),
  ) as unknown as TemplateFields;
  return { text, html };
}

/** SES template names allow letters, digits, "-" and "_", 64 characters at most. */
export const TEMPLATE_NAME_MAX_LENGTH = 64;

export function sesTemplateName(prefix: string, kind: NotificationKind, locale: string): string {
  return `${prefix}-${kind}-${locale}`;
}
