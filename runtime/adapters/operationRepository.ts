import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { ERROR_CODES, isDomainError } from "../domain/errors";
import type { BusEvent } from "../domain/operationEvent";
import type { NotificationStatus } from "../domain/notificationStatus";
import type { NotificationKind } from "../domain/operationKinds";
import {
  NOTIFICATION_SORT_PREFIX,
  customerOperationsIndexKey,
  operationKey,
  operationPartition,
  TABLE_DESIGN,
} from "../domain/tableDesign";
import { callAws } from "./awsErrors";

export type OperationStatus = "recorded" | "published";

export interface OperationRecord {
  operationId: string;
  customerId: string;
  status: OperationStatus;
  /** HMAC-SHA256, keyed with the hash key, of the canonical request body: the same id with another body is a conflict. */
  bodyHash: string;
  event: BusEvent;
  recordedAt: string;
  publishedAt?: string;
}

export interface NotificationSummary {
  notificationKind: NotificationKind;
  status: NotificationStatus;
  attempts: number;
  updatedAt: string;
  sesMessageId?: string;
  /** Where the evidence of the e-mail is archived. */
  evidenceKey?: string;
  untrackedSesMessageIds?: string[];
  reason?: string;
}

export function createOperationRepository(documents: DynamoDBDocumentClient, tableName: string) {
  return {
    /** Records the operation unless its id exists; returns the stored record either way. */
    async recordOnce(
      record: OperationRecord,
      expiresAt: number,
    ): Promise<{ created: boolean; record: OperationRecord }> {
      try {
        await callAws("DynamoDB PutItem operation", () =>
          documents.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...operationKey(record.operationId),
                ...customerOperationsIndexKey(
                  record.customerId,
                  new Date(record.event.detail.occurredAt).toISOString(),
                  record.operationId,
                ),
                ...record,
                [TABLE_DESIGN.timeToLiveAttribute]: expiresAt,
              },
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          ),
        );
        return { created: true, record };
      } catch (error) {
        if (!isDomainError(error) || error.code !== ERROR_CODES.conflict) throw error;
        const existing = await this.get(record.operationId);
        if (!existing) throw error;
        return { created: false, record: existing };
      }
    },

    async get(operationId: string): Promise<OperationRecord | undefined> {
      const result = await callAws("DynamoDB GetItem operation", () =>
        documents.send(
          new GetCommand({ TableName: tableName, Key: operationKey(operationId), ConsistentRead: true }),
        ),
      );
      if (!result.Item) return undefined;
      const {
        operationId: id,
        customerId,
        status,
        bodyHash,
        event,
        recordedAt,
        publishedAt,
      } = result.Item as OperationRecord;
      return {
        operationId: id,
        customerId,
        status,
        bodyHash,
        event,
        recordedAt,
        ...(publishedAt ? { publishedAt } : {}),
      };
    },

    async markPublished(operationId: string, nowIso: string): Promise<void> {
      await callAws("DynamoDB UpdateItem operation published", () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: operationKey(operationId),
            UpdateExpression: "SET #status = :published, publishedAt = if_not_exists(publishedAt, :now)",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":published": "published", ":now": nowIso },
          }),
        ),
      );
    },

    async listNotifications(operationId: string): Promise<NotificationSummary[]> {
      const result = await callAws("DynamoDB Query notifications", () =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: {
              ":pk": operationPartition(operationId),
              ":prefix": NOTIFICATION_SORT_PREFIX,
            },
            ConsistentRead: true,
          }),
        ),
      );
      return (result.Items ?? []).map((item) => ({
        notificationKind: item.notificationKind,
        status: item.status,
        attempts: item.attempts ?? 0,
        updatedAt: item.updatedAt,
        ...(item.sesMessageId ? { sesMessageId: item.sesMessageId } : {}),
        ...(item.evidenceKey ? { evidenceKey: item.evidenceKey } : {}),
        ...(item.untrackedSesMessageIds
          ? { untrackedSesMessageIds: [...item.untrackedSesMessageIds].sort() }
          : {}),
        ...(item.reason ? { reason: item.reason } : {}),
      }));
    },

    /** A customer's operations, newest first. */
    async listForCustomer(customerId: string, limit: number): Promise<OperationRecord[]> {
      const index = TABLE_DESIGN.indexes.byCustomer;
      const result = await callAws("DynamoDB Query operations by customer", () =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: index.name,
            KeyConditionExpression: `${index.partitionKey} = :pk`,
            ExpressionAttributeValues: { ":pk": customerOperationsIndexKey(customerId, "", "").customerPk },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      return (result.Items ?? []) as OperationRecord[];
    },
  };
}
export type OperationRepository = ReturnType<typeof createOperationRepository>;
