import type { NotificationKind } from "./operationKinds";

/**
 * The single DynamoDB table: key names, indexes and key builders. The component declares the table
 * from these names and the runtime reads and writes with them, so the two cannot drift.
 *
 * | item         | pk                   | sk                    | indexes                                   |
 * | customer     | CUSTOMER#<id>        | PROFILE               |                                           |
 * | operation    | OPERATION#<id>       | OPERATION             | byCustomer: CUSTOMER#<id> / <occurredAt>#<id> |
 * | notification | OPERATION#<id>       | NOTIFICATION#<kind>   | bySesMessageId (sparse), byFailure (sparse) |
 * | address      | ADDRESS#<hash>       | ADDRESS               |                                           |
 *
 * An address item lists the customers who gave that address and, once it bounced permanently or
 * drew a complaint, when it was suppressed; a suppression is copied onto each of those customers
 * (`suppressedAddressHashes`), so that notify reads the customer and its suppression in one read.
 *
 * Each index projects only what its queries read, so that a write changing nothing an index holds
 * costs that index nothing (an index entry is rewritten when a projected attribute changes:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes).
 * `byCustomer` holds keys only, and the operations it finds are read from the table, because what
 * the API shows of them includes their status, which changes after the operation is recorded.
 */
export const TABLE_DESIGN = {
  partitionKey: "pk",
  sortKey: "sk",
  timeToLiveAttribute: "expiresAt",
  indexes: {
    byCustomer: {
      name: "byCustomer",
      partitionKey: "customerPk",
      sortKey: "customerSk",
      projection: { type: "KEYS_ONLY" },
    },
    bySesMessageId: {
      name: "bySesMessageId",
      partitionKey: "sesMessageId",
      projection: { type: "INCLUDE", attributes: ["operationId", "notificationKind"] },
    },
    byFailure: {
      name: "byFailure",
      partitionKey: "failurePk",
      sortKey: "failureSk",
      projection: {
        type: "INCLUDE",
        attributes: ["operationId", "notificationKind", "status", "reason", "updatedAt", "sesMessageId"],
      },
    },
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

export function addressKey(addressHash: string) {
  return { pk: `ADDRESS#${addressHash}`, sk: "ADDRESS" };
}

export function customerOperationsIndexKey(customerId: string, occurredAt: string, operationId: string) {
  return { customerPk: `CUSTOMER#${customerId}`, customerSk: `${occurredAt}#${operationId}` };
}
