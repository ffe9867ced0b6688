import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { ERROR_CODES, domainError, isDomainError } from "../domain/errors";
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
import { buildUpdate } from "./updateExpression";

/** Rounds of BatchGetItem for the keys DynamoDB left unprocessed, with exponential backoff between them. */
const BATCH_GET_ROUNDS = 4;

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

function toRecord(item: Record<string, unknown>): OperationRecord {
  const { operationId, customerId, status, bodyHash, event, recordedAt, publishedAt } =
    item as unknown as OperationRecord;
  return {
    operationId,
    customerId,
    status,
    bodyHash,
    event,
    recordedAt,
    ...(publishedAt ? { publishedAt } : {}),
  };
}

export function createOperationRepository(
  documents: DynamoDBDocumentClient,
  tableName: string,
  options: { sleep: (ms: number) => Promise<void> },
) {
  type Key = Record<string, string>;

  /**
   * Reads items by key, as many as one BatchGetItem takes (100). DynamoDB may leave some keys
   * unprocessed (throttling, 16 MB); they are asked for again with backoff, as AWS advises
   * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
   */
  async function batchGet(keys: Key[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let pending = keys;
    for (let round = 0; pending.length > 0; round++) {
      if (round === BATCH_GET_ROUNDS) {
        throw domainError(ERROR_CODES.throttled, "DynamoDB left operations unread; retry later", {
          retryable: true,
        });
      }
      if (round > 0) await options.sleep(50 * 2 ** round);
      const result = await callAws("DynamoDB BatchGetItem operations", () =>
        documents.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } })),
      );
      items.push(...(result.Responses?.[tableName] ?? []));
      pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
    }
    return items;
  }

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
      return result.Item ? toRecord(result.Item) : undefined;
    },

    async markPublished(operationId: string, nowIso: string): Promise<void> {
      await callAws("DynamoDB UpdateItem operation published", () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: operationKey(operationId),
            ...buildUpdate({
              set: { status: "published" },
              setIfAbsent: { publishedAt: nowIso },
              condition: "attribute_exists(#pk)",
              conditionNames: ["pk"],
            }),
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

    /**
     * A customer's operations, newest first. The index holds keys only (what the API shows of an
     * operation includes its status, which changes after the index entry is written), so the
     * operations it finds are then read from the table.
     */
    async listForCustomer(customerId: string, limit: number): Promise<OperationRecord[]> {
      const index = TABLE_DESIGN.indexes.byCustomer;
      const found = await callAws("DynamoDB Query operations by customer", () =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: index.name,
            KeyConditionExpression: "#customerPk = :customerPk",
            ExpressionAttributeNames: { "#customerPk": index.partitionKey },
            ExpressionAttributeValues: {
              ":customerPk": customerOperationsIndexKey(customerId, "", "").customerPk,
            },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      const keys = (found.Items ?? []).map((item) => ({
        [TABLE_DESIGN.partitionKey]: String(item[TABLE_DESIGN.partitionKey]),
        [TABLE_DESIGN.sortKey]: String(item[TABLE_DESIGN.sortKey]),
      }));
      if (keys.length === 0) return [];
      const byPartition = new Map(
        (await batchGet(keys)).map((item) => [item[TABLE_DESIGN.partitionKey], toRecord(item)]),
      );
      // An operation whose record expired since the index was read is left out.
      return keys.flatMap((key) => byPartition.get(key[TABLE_DESIGN.partitionKey]) ?? []);
    },
  };
}
export type OperationRepository = ReturnType<typeof createOperationRepository>;
