/**
 * The operations the core-banking system reports, the notifications they give rise to,
 * and the categories a customer can opt out of. Declared once; the component, the runtime,
 * the local cloud and the tests all import these lists.
 */
export const OPERATION_KINDS = [
  "deposit",
  "withdrawal",
  "transfer-in",
  "transfer-out",
  "card-payment",
  "direct-debit",
  "card-blocked",
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** A notification kind is an operation kind, or a content-based alert such as a large amount. */
export const LARGE_AMOUNT_NOTIFICATION = "large-amount" as const;
export const NOTIFICATION_KINDS = [...OPERATION_KINDS, LARGE_AMOUNT_NOTIFICATION] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const OPT_OUT_CATEGORIES = ["account-activity", "card-activity", "large-amounts"] as const;
export type OptOutCategory = (typeof OPT_OUT_CATEGORIES)[number];

/** Security-critical notifications are sent whatever the customer's preferences say. */
export const SECURITY_CATEGORY = "security" as const;
export type NotificationCategory = OptOutCategory | typeof SECURITY_CATEGORY;

export const NOTIFICATION_CATEGORY: { readonly [K in NotificationKind]: NotificationCategory } = {
  deposit: "account-activity",
  withdrawal: "account-activity",
  "transfer-in": "account-activity",
  "transfer-out": "account-activity",
  "direct-debit": "account-activity",
  "card-payment": "card-activity",
  "card-blocked": SECURITY_CATEGORY,
  "large-amount": "large-amounts",
};

/** True for notifications that no opt-out and no amount threshold can silence. */
export function isSecurityCritical(kind: NotificationKind): boolean {
  return NOTIFICATION_CATEGORY[kind] === SECURITY_CATEGORY;
}

export function isOperationKind(value: unknown): value is OperationKind {
  return typeof value === "string" && (OPERATION_KINDS as readonly string[]).includes(value);
}

export function isNotificationKind(value: unknown): value is NotificationKind {
  return typeof value === "string" && (NOTIFICATION_KINDS as readonly string[]).includes(value);
}
