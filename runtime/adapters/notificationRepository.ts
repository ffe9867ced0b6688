import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ERROR_CODES, isDomainError } from "../domain/errors";
import {
  FAILURE_STATUSES,
  RECLAIMABLE_STATUSES,
  type NotificationStatus,
} from "../domain/notificationStatus";
import type { NotificationKind } from "../domain/operationKinds";
import { FAILED_NOTIFICATIONS_PARTITION, notificationKey, TABLE_DESIGN } from "../domain/tableDesign";
import { callAws } from "./awsErrors";

export interface NotificationRecord {
  operationId: string;
  notificationKind: NotificationKind;
  status: NotificationStatus;
  attempts: number;
  leaseUntil?: number;
  sesMessageId?: string;
  sentAt?: string;
  evidenceKey?: string;
  reason?: string;
  updatedAt: string;
}

export type ClaimResult =
  | { outcome: "claimed"; attempts: number }
  | { outcome: "held"; record: NotificationRecord }
  | { outcome: "done"; record: NotificationRecord };

export interface Lease {
  operationId: string;
  notificationKind: NotificationKind;
  token: string;
}

function valuesFor(statuses: readonly string[], prefix: string): Record<string, string> {
  return Object.fromEntries(statuses.map((status, index) => [`:${prefix}${index}`, status]));
}

function failureIndexValues(status: NotificationStatus, nowIso: string, operationId: string, kind: string) {
  return FAILURE_STATUSES.includes(status)
    ? {
        set: `, ${TABLE_DESIGN.indexes.byFailure.partitionKey} = :failurePk, ${TABLE_DESIGN.indexes.byFailure.sortKey} = :failureSk`,
        remove: "",
        values: {
          ":failurePk": FAILED_NOTIFICATIONS_PARTITION,
          ":failureSk": `${nowIso}#${operationId}#${kind}`,
        },
      }
    : {
        set: "",
        remove: ` REMOVE ${TABLE_DESIGN.indexes.byFailure.partitionKey}, ${TABLE_DESIGN.indexes.byFailure.sortKey}`,
        values: {},
      };
}

/**
 * One item per (operation, notification kind). Claiming is a conditional write that takes a lease;
 * only the lease holder sends, and a redelivery while the lease is live, or after the outcome is
 * recorded, sends nothing.
 */
export function createNotificationRepository(documents: DynamoDBDocumentClient, tableName: string) {
  async function get(operationId: string, kind: NotificationKind): Promise<NotificationRecord | undefined> {
    const result = await callAws("DynamoDB GetItem notification", () =>
      documents.send(
        new GetCommand({
          TableName: tableName,
          Key: notificationKey(operationId, kind),
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item as NotificationRecord | undefined;
  }

  async function finish(
    lease: Lease,
    status: NotificationStatus,
    nowIso: string,
    fields: Record<string, string | number> = {},
  ): Promise<void> {
    const names = Object.keys(fields);
    const failure = failureIndexValues(status, nowIso, lease.operationId, lease.notificationKind);
    await callAws(`DynamoDB UpdateItem notification ${status}`, () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: notificationKey(lease.operationId, lease.notificationKind),
          UpdateExpression:
            `SET #status = :status, updatedAt = :now${names.map((name) => `, ${name} = :${name}`).join("")}${failure.set}` +
            ` REMOVE leaseToken, leaseUntil${failure.remove.replace(" REMOVE", ",")}`,
          ConditionExpression: "leaseToken = :token",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":status": status,
            ":now": nowIso,
            ":token": lease.token,
            ...Object.fromEntries(names.map((name) => [`:${name}`, fields[name]])),
            ...failure.values,
          },
        }),
      ),
    );
  }

  return {
    get,

    async claim(
      lease: Lease,
      options: { now: number; leaseSeconds: number; expiresAt: number },
    ): Promise<ClaimResult> {
      const nowIso = new Date(options.now).toISOString();
      try {
        const result = await callAws("DynamoDB UpdateItem notification claim", () =>
          documents.send(
            new UpdateCommand({
              TableName: tableName,
              Key: notificationKey(lease.operationId, lease.notificationKind),
              UpdateExpression:
                "SET #status = :claimed, leaseToken = :token, leaseUntil = :until, attempts = if_not_exists(attempts, :zero) + :one, " +
                "operationId = :operationId, notificationKind = :kind, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, " +
                `${TABLE_DESIGN.timeToLiveAttribute} = :expiresAt`,
              ConditionExpression:
                `attribute_not_exists(pk) OR #status IN (${RECLAIMABLE_STATUSES.map((_, i) => `:reclaimable${i}`).join(", ")}) ` +
                "OR (#status = :claimed AND leaseUntil < :nowSeconds)",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":claimed": "claimed",
                ":token": lease.token,
                ":until": Math.floor(options.now / 1000) + options.leaseSeconds,
                ":nowSeconds": Math.floor(options.now / 1000),
                ":zero": 0,
                ":one": 1,
                ":operationId": lease.operationId,
                ":kind": lease.notificationKind,
                ":now": nowIso,
                ":expiresAt": options.expiresAt,
                ...valuesFor(RECLAIMABLE_STATUSES, "reclaimable"),
              },
              ReturnValues: "ALL_NEW",
            }),
          ),
        );
        return { outcome: "claimed", attempts: Number(result.Attributes?.attempts ?? 1) };
      } catch (error) {
        if (!isDomainError(error) || error.code !== ERROR_CODES.conflict) throw error;
        const record = await get(lease.operationId, lease.notificationKind);
        if (!record) throw error;
        return record.status === "claimed" ? { outcome: "held", record } : { outcome: "done", record };
      }
    },

    /** Gives the lease back after a retryable failure, so the next delivery may try again. */
    release: (lease: Lease, nowIso: string, reason: string) => finish(lease, "released", nowIso, { reason }),

    recordSuppressed: (lease: Lease, nowIso: string, reason: string) =>
      finish(lease, "suppressed", nowIso, { reason }),

    recordFailed: (lease: Lease, nowIso: string, reason: string) =>
      finish(lease, "failed", nowIso, { reason }),

    recordSent: (
      lease: Lease,
      nowIso: string,
      sent: { sesMessageId: string; templateName: string; templateSha256: string },
    ) => finish(lease, "sent", nowIso, { ...sent, sentAt: nowIso }),

    async recordEvidence(operationId: string, kind: NotificationKind, evidenceKey: string): Promise<void> {
      await callAws("DynamoDB UpdateItem notification evidence", () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: notificationKey(operationId, kind),
            UpdateExpression: "SET evidenceKey = :key",
            ExpressionAttributeValues: { ":key": evidenceKey },
          }),
        ),
      );
    },

    /**
     * Moves a sent notification forward on SES feedback. Returns false when the message id does not
     * match or the notification is already further along (feedback arrives out of order).
     */
    async applyFeedback(
      operationId: string,
      kind: NotificationKind,
      feedback: {
        sesMessageId: string;
        status: NotificationStatus;
        allowedFrom: NotificationStatus[];
        nowIso: string;
        detail?: string;
      },
    ): Promise<boolean> {
      if (feedback.allowedFrom.length === 0) return false;
      const failure = failureIndexValues(feedback.status, feedback.nowIso, operationId, kind);
      try {
        await callAws("DynamoDB UpdateItem notification feedback", () =>
          documents.send(
            new UpdateCommand({
              TableName: tableName,
              Key: notificationKey(operationId, kind),
              UpdateExpression: `SET #status = :status, updatedAt = :now, feedbackDetail = :detail${failure.set}${failure.remove}`,
              ConditionExpression: `sesMessageId = :messageId AND #status IN (${feedback.allowedFrom.map((_, i) => `:from${i}`).join(", ")})`,
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":status": feedback.status,
                ":now": feedback.nowIso,
                ":detail": feedback.detail ?? feedback.status,
                ":messageId": feedback.sesMessageId,
                ...valuesFor(feedback.allowedFrom, "from"),
                ...failure.values,
              },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isDomainError(error) && error.code === ERROR_CODES.conflict) return false;
        throw error;
      }
    },

    async findBySesMessageId(sesMessageId: string): Promise<NotificationRecord | undefined> {
      const index = TABLE_DESIGN.indexes.bySesMessageId;
      const result = await callAws("DynamoDB Query notification by SES message id", () =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: index.name,
            KeyConditionExpression: `${index.partitionKey} = :id`,
            ExpressionAttributeValues: { ":id": sesMessageId },
          }),
        ),
      );
      return result.Items?.[0] as NotificationRecord | undefined;
    },

    /** Failed, rejected and bounced notifications, newest first. */
    async listFailed(limit: number): Promise<NotificationRecord[]> {
      const index = TABLE_DESIGN.indexes.byFailure;
      const result = await callAws("DynamoDB Query failed notifications", () =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: index.name,
            KeyConditionExpression: `${index.partitionKey} = :failed`,
            ExpressionAttributeValues: { ":failed": FAILED_NOTIFICATIONS_PARTITION },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      return (result.Items ?? []) as NotificationRecord[];
    },
  };
}
export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
