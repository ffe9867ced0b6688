import { maskAccount } from "../domain/iban";
import type { OperationRecord } from "../adapters/operationRepository";

/** What the API shows of an operation: masked account, no hash. */
export function operationView(record: OperationRecord) {
  const { detail } = record.event;
  return {
    operationId: record.operationId,
    customerId: record.customerId,
    kind: detail.kind,
    status: record.status,
    account: maskAccount(detail.account.last4),
    ...(detail.amount ? { amount: detail.amount } : {}),
    occurredAt: detail.occurredAt,
    recordedAt: record.recordedAt,
    ...(record.publishedAt ? { publishedAt: record.publishedAt } : {}),
  };
}
