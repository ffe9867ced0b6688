import { compareMoney } from "../../runtime/domain/money";
import { decideNotification } from "../../runtime/domain/notificationDecision";
import { LARGE_AMOUNT_NOTIFICATION, type NotificationKind } from "../../runtime/domain/operationKinds";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import type { LoadCustomer } from "./operationMix";

/**
 * The notifications an operation is due: one for its kind, and a large-amount alert when its
 * amount reaches the stack's threshold for its currency (the rule's numeric pattern); each either
 * sent or suppressed by the customer's preferences, as the runtime decides.
 */
export interface ExpectedNotification {
  kind: NotificationKind;
  outcome: "send" | "suppress";
}

export function expectedNotifications(
  operation: OperationInput,
  customer: LoadCustomer,
  thresholds: Record<string, number>,
): ExpectedNotification[] {
  const { amount } = operation;
  const threshold = amount && thresholds[amount.currency];
  const large =
    amount !== undefined &&
    threshold !== undefined &&
    compareMoney(amount, { value: String(threshold), currency: amount.currency }) >= 0;
  const kinds: NotificationKind[] = [operation.kind, ...(large ? [LARGE_AMOUNT_NOTIFICATION] : [])];
  return kinds.map((kind) => ({
    kind,
    outcome: decideNotification({
      notificationKind: kind,
      amount,
      customer: {
        erased: false,
        preferences: { optedOutCategories: customer.optedOutCategories, minimumAmounts: {} },
      },
      addressSuppressed: false,
    }).action,
  }));
}
