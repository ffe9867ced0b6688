import type { NotificationKind } from "./operationKinds";

/**
 * The single DynamoDB table: key names, indexes and key builders. The component declares the table
 * from these names and the runtime reads and writes with them, so the two cannot drift.
 *
 * | item         | pk                   | sk                    | indexes                                   |
 * | customer     | CUSTOMER#<id>        | PROFILE               |                                           |
 * | operation    | OPERATION#<id>       | OPERATION             | byCustomer: CUSTOMER#<id> / <occurredAt>#<id> |
 * | notification | OPERATION#<id>       | NOTIFICATION#<kind>   | bySesMessageId (sparse), byFailure (sparse) |
 * | suppression  | SUPPRESSION#<hash>   | SUPPRESSION           |                                           |
 */
export const TABLE_DESIGN = {
  partitionKey: "pk",
  sortKey: "sk",
  timeToLiveAttribute: "expiresAt",
  indexes: {
    byCustomer: { name: "byCustomer", partitionKey: "customerPk", sortKey: "customerSk" },
    bySesMessageId: { name: "bySesMessageId", partitionKey: "sesMessageId" },
    byFailure: { name: "byFailure", partitionKey: "failurePk", sortKey: "failureSk" },
  },
} as const;

/** Every key attribute is a string. */
export const KEY_ATTRIBUTES = [
  TABLE_DESIGN.partitionKey,
  TABLE_DESIGN.sortKey,
  TABLE_DESIGN.indexes.byCustomer.partitionKey,
  TABLE_DESIGN.indexes.byCustomer.sortKey,
  TABLE_DESIGN.indexes.bySesMessageId.partitionKey,
  TABLE_DESIGN.indexes.byFailure.partitionKey,
  TABLE_DESIGN.indexes.byFailure.sortKey,
] as const;

export const FAILED_NOTIFICATIONS_PARTITION = "FAILED";

export function customerKey(customerId: string) {
  return { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" };
}

export function operationKey(operationId: string) {
  return { pk: `OPERATION#${operationId}`, sk: "OPERATION" };
}

export function operationPartition(operationId: string): string {
  return `OPERATION#${operationId}`;
}

export function notificationKey(operationId: string, kind: NotificationKind) {
  return { pk: `OPERATION#${operationId}`, sk: `NOTIFICATION#${kind}` };
}

export const NOTIFICATION_SORT_PREFIX = "NOTIFICATION#";

export function suppressionKey(addressHash: string) {
  return { pk: `SUPPRESSION#${addressHash}`, sk: "SUPPRESSION" };
}

export function customerOperationsIndexKey(customerId: string, occurredAt: string, operationId: string) {
  return { customerPk: `CUSTOMER#${customerId}`, customerSk: `${occurredAt}#${operationId}` };
}
