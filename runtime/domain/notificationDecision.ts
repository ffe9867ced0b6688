import {
  NOTIFICATION_CATEGORY,
  isSecurityCritical,
  type NotificationKind,
  type OptOutCategory,
} from "./operationKinds";
import { compareMoney, type Money } from "./money";
import type { CustomerPreferences } from "./customerSchema";

export const SUPPRESSION_REASONS = [
  "unknown-customer",
  "customer-erased",
  "opted-out",
  "below-threshold",
  "address-suppressed",
] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export type NotificationDecision = { action: "send" } | { action: "suppress"; reason: SuppressionReason };

export interface DecisionInput {
  notificationKind: NotificationKind;
  amount?: Money;
  /** Undefined when no customer has that id; `erased` once the customer asked for erasure. */
  customer?: { erased: boolean; preferences: CustomerPreferences };
  /** The customer's address is on the suppression list after a permanent bounce or a complaint. */
  addressSuppressed: boolean;
}

/**
 * Send or suppress, and why. An undeliverable address is suppressed even for security alerts
 * (sending to it cannot reach anyone and harms the sender's reputation); opt-outs and thresholds
 * never silence a security alert.
 */
export function decideNotification(input: DecisionInput): NotificationDecision {
  if (!input.customer) return { action: "suppress", reason: "unknown-customer" };
  if (input.customer.erased) return { action: "suppress", reason: "customer-erased" };
  if (input.addressSuppressed) return { action: "suppress", reason: "address-suppressed" };
  if (isSecurityCritical(input.notificationKind)) return { action: "send" };
  const category = NOTIFICATION_CATEGORY[input.notificationKind] as OptOutCategory;
  if (input.customer.preferences.optedOutCategories.includes(category))
    return { action: "suppress", reason: "opted-out" };
  const minimum = input.amount && input.customer.preferences.minimumAmounts[input.amount.currency];
  if (
    input.amount &&
    minimum !== undefined &&
    compareMoney(input.amount, { value: minimum, currency: input.amount.currency }) < 0
  ) {
    return { action: "suppress", reason: "below-threshold" };
  }
  return { action: "send" };
}
