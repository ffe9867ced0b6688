import { escapeHtml } from "./escapeHtml";
import { formatInstant, formatMoney } from "./formatting";
import { maskAccount } from "./iban";
import type { NotificationKind } from "./operationKinds";
import type { OperationEventDetail } from "./operationEvent";

/** The values a template shows, already formatted: SES templates allow no custom helpers. */
export interface TemplateFields {
  displayName: string;
  reference: string;
  account: string;
  occurredAt: string;
  amount?: string;
  balanceAfter?: string;
  description?: string;
  counterpartyName?: string;
  counterpartyAccount?: string;
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

export function buildTemplateFields(detail: OperationEventDetail, recipient: Recipient): TemplateFields {
  const fields: TemplateFields = {
    displayName: recipient.displayName,
    reference: detail.operationId,
    account: maskAccount(detail.account.last4),
    occurredAt: formatInstant(detail.occurredAt, recipient.locale, recipient.timeZone),
  };
  if (detail.amount) fields.amount = formatMoney(detail.amount, recipient.locale);
  if (detail.balanceAfter) fields.balanceAfter = formatMoney(detail.balanceAfter, recipient.locale);
  if (detail.description) fields.description = detail.description;
  if (detail.counterparty?.name) fields.counterpartyName = detail.counterparty.name;
  if (detail.counterparty?.account)
    fields.counterpartyAccount = maskAccount(detail.counterparty.account.last4);
  return fields;
}

export function buildTemplateData(detail: OperationEventDetail, recipient: Recipient): TemplateData {
  const text = buildTemplateFields(detail, recipient);
  const html = Object.fromEntries(
    Object.entries(text).map(([name, value]) => [name, escapeHtml(String(value))]),
  ) as unknown as TemplateFields;
  return { text, html };
}

/** SES template names allow letters, digits, "-" and "_", 64 characters at most. */
export const TEMPLATE_NAME_MAX_LENGTH = 64;

export function sesTemplateName(prefix: string, kind: NotificationKind, locale: string): string {
  return `${prefix}-${kind}-${locale}`;
}
