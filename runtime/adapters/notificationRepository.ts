import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ERROR_CODES, isDomainError } from "../domain/errors";
import type { EvidenceDraft } from "../domain/evidence";
import {
  FAILURE_STATUSES,
  RECLAIMABLE_STATUSES,
  type NotificationStatus,
} from "../domain/notificationStatus";
import type { NotificationKind } from "../domain/operationKinds";
import { FAILED_NOTIFICATIONS_PARTITION, notificationKey, TABLE_DESIGN } from "../domain/tableDesign";
import { callAws } from "./awsErrors";
import { buildUpdate, inList, type UpdateParts } from "./updateExpression";

export interface NotificationRecord {
  operationId: string;
  notificationKind: NotificationKind;
  status: NotificationStatus;
  attempts: number;
  leaseUntil?: number;
  sesMessageId?: string;
  sentAt?: string;
  evidence?: EvidenceDraft;
  evidenceKey?: string;
  /** Messages SES reported for this notification that no outcome was recorded for (see notify). */
  untrackedSesMessageIds?: Set<string>;
  reason?: string;
  updatedAt: string;
}

/**
 * What `sent` records besides the message id: where the evidence was archived or, if archiving
 * failed, the evidence itself, for a redelivery to archive.
 */
export type SentOutcome =
  { sesMessageId: string; evidenceKey: string } | { sesMessageId: string; evidence: EvidenceDraft };

/** What the failure index projects of a notification. */
export type FailedNotification = Pick<
  NotificationRecord,
  (typeof TABLE_DESIGN.indexes.byFailure.projection.attributes)[number]
>;

/** What the SES message id index projects of a notification. */
type NotificationByMessageId = Pick<
  NotificationRecord,
  (typeof TABLE_DESIGN.indexes.bySesMessageId.projection.attributes)[number]
>;

export type ClaimResult =
  | { outcome: "claimed"; attempts: number }
  | { outcome: "held"; record: NotificationRecord }
  | { outcome: "done"; record: NotificationRecord };

export interface Lease {
  operationId: string;
  notificationKind: NotificationKind;
  token: string;
}

const FAILURE_INDEX = TABLE_DESIGN.indexes.byFailure;

/** Failure statuses are listed in the sparse failure index; any other status leaves it. */
function failureIndex(
  status: NotificationStatus,
  nowIso: string,
  operationId: string,
  kind: string,
): UpdateParts {
  return FAILURE_STATUSES.includes(status)
    ? {
        set: {
          [FAILURE_INDEX.partitionKey]: FAILED_NOTIFICATIONS_PARTITION,
          [FAILURE_INDEX.sortKey]: `${nowIso}#${operationId}#${kind}`,
        },
      }
    : { remove: [FAILURE_INDEX.partitionKey, FAILURE_INDEX.sortKey] };
}

function isConflict(error: unknown): boolean {
  return isDomainError(error) && error.code === ERROR_CODES.conflict;
}

/**
 * One item per (operation, notification kind). Claiming is a conditional write that takes a lease;
 * only the lease holder sends, and a redelivery while the lease is live, or after the outcome is
 * recorded, sends nothing.
 */
export function createNotificationRepository(documents: DynamoDBDocumentClient, tableName: string) {
  const update = (action: string, key: Record<string, string>, parts: UpdateParts) =>
    callAws(`DynamoDB UpdateItem notification ${action}`, () =>
      documents.send(new UpdateCommand({ TableName: tableName, Key: key, ...buildUpdate(parts) })),
    );

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

  /** Ends the lease with an outcome; only the lease holder can. */
  async function finish(
    lease: Lease,
    status: NotificationStatus,
    nowIso: string,
    fields: Record<string, unknown>,
  ) {
    const index = failureIndex(status, nowIso, lease.operationId, lease.notificationKind);
    await update(status, notificationKey(lease.operationId, lease.notificationKind), {
      set: { status, updatedAt: nowIso, ...fields, ...index.set },
      remove: [
        "leaseToken",
        "leaseUntil",
        ...(index.remove ?? []),
        ...("reason" in fields ? [] : ["reason"]),
      ],
      condition: "#leaseToken = :token",
      conditionNames: ["leaseToken"],
      conditionValues: { ":token": lease.token },
    });
  }

  async function tryClaim(lease: Lease, options: { now: number; leaseSeconds: number; expiresAt: number }) {
    const nowSeconds = Math.floor(options.now / 1000);
    const reclaimable = inList("reclaimable", RECLAIMABLE_STATUSES);
    const result = await update("claim", notificationKey(lease.operationId, lease.notificationKind), {
      set: {
        status: "claimed",
        leaseToken: lease.token,
        leaseUntil: nowSeconds + options.leaseSeconds,
        operationId: lease.operationId,
        notificationKind: lease.notificationKind,
        updatedAt: new Date(options.now).toISOString(),
        [TABLE_DESIGN.timeToLiveAttribute]: options.expiresAt,
      },
      setIfAbsent: { createdAt: new Date(options.now).toISOString() },
      increment: { attempts: 1 },
      condition:
        `attribute_not_exists(#pk) OR #status IN (${reclaimable.placeholders}) ` +
        "OR (#status = :claimedStatus AND #leaseUntil < :nowSeconds)",
      conditionNames: ["pk"],
      conditionValues: { ...reclaimable.values, ":claimedStatus": "claimed", ":nowSeconds": nowSeconds },
    });
    return Number(result.Attributes?.attempts ?? 1);
  }

  return {
    get,

    /**
     * Takes the lease, or says why not: another delivery holds it, or the outcome is recorded. A
     * notification released between the refused write and the read is claimed again once.
     */
    async claim(
      lease: Lease,
      options: { now: number; leaseSeconds: number; expiresAt: number },
    ): Promise<ClaimResult> {
      for (let attempt = 0; ; attempt++) {
        try {
          return { outcome: "claimed", attempts: await tryClaim(lease, options) };
        } catch (error) {
          if (!isConflict(error)) throw error;
          const record = await get(lease.operationId, lease.notificationKind);
          if (!record) throw error;
          if (RECLAIMABLE_STATUSES.includes(record.status) && attempt === 0) continue;
          const done = record.status !== "claimed" && !RECLAIMABLE_STATUSES.includes(record.status);
          return done ? { outcome: "done", record } : { outcome: "held", record };
        }
      }
    },

    /** Gives the lease back after a retryable failure, so the next delivery may try again. */
    release: (lease: Lease, nowIso: string, reason: string) => finish(lease, "released", nowIso, { reason }),

    recordSuppressed: (lease: Lease, nowIso: string, reason: string) =>
      finish(lease, "suppressed", nowIso, { reason }),

    recordFailed: (lease: Lease, nowIso: string, reason: string) =>
      finish(lease, "failed", nowIso, { reason }),

    recordSent: (lease: Lease, nowIso: string, sent: SentOutcome) =>
      finish(lease, "sent", nowIso, { ...sent, sentAt: nowIso }),

    /** Once a redelivery archived the evidence `sent` kept, the key replaces it. */
    async recordEvidence(operationId: string, kind: NotificationKind, evidenceKey: string): Promise<void> {
      await update("evidence", notificationKey(operationId, kind), {
        set: { evidenceKey },
        remove: ["evidence"],
      });
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
      const index = failureIndex(feedback.status, feedback.nowIso, operationId, kind);
      const from = inList("from", feedback.allowedFrom);
      try {
        await update("feedback", notificationKey(operationId, kind), {
          set: {
            status: feedback.status,
            updatedAt: feedback.nowIso,
            feedbackDetail: feedback.detail ?? feedback.status,
            ...index.set,
          },
          remove: index.remove,
          condition: `#sesMessageId = :messageId AND #status IN (${from.placeholders})`,
          conditionNames: ["sesMessageId"],
          conditionValues: { ":messageId": feedback.sesMessageId, ...from.values },
        });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    },

    /** Keeps the id of an e-mail SES sent for this notification whose outcome was never recorded. */
    async noteUntrackedMessage(
      operationId: string,
      kind: NotificationKind,
      sesMessageId: string,
    ): Promise<void> {
      await update("untracked message", notificationKey(operationId, kind), {
        addToSet: { untrackedSesMessageIds: new Set([sesMessageId]) },
        condition: "attribute_exists(#pk) AND (attribute_not_exists(#sesMessageId) OR #sesMessageId <> :id)",
        conditionNames: ["pk", "sesMessageId"],
        conditionValues: { ":id": sesMessageId },
      }).catch((error) => {
        if (!isConflict(error)) throw error;
      });
    },

    /** The notification an SES message was sent for. */
    async findBySesMessageId(sesMessageId: string): Promise<NotificationByMessageId | undefined> {
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
      return result.Items?.[0] as NotificationByMessageId | undefined;
    },

    /** Failed, rejected and bounced notifications, newest first, with what the index projects. */
    async listFailed(limit: number): Promise<FailedNotification[]> {
      const result = await callAws("DynamoDB Query failed notifications", () =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: FAILURE_INDEX.name,
            KeyConditionExpression: `${FAILURE_INDEX.partitionKey} = :failed`,
            ExpressionAttributeValues: { ":failed": FAILED_NOTIFICATIONS_PARTITION },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      return (result.Items ?? []) as FailedNotification[];
    },
  };
}
export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
