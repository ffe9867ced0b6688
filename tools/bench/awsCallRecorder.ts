import { DescribeTableCommand, GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { AwsClients } from "../../runtime/clients/awsClients";
import { indexWriteUnits, writeUnits, type IndexDescription, type Item } from "./dynamodbUnits";

/**
 * Counts what handlers ask of AWS, with SDK middleware on the clients they are given: every call,
 * DynamoDB's read and write units (the table's from `ReturnConsumedCapacity`, each index's computed
 * from the item before and after the write), and the e-mails SES accepted.
 */

export interface Tally {
  awsCalls: number;
  /** `Service:Operation` of each call, in order. */
  calls: string[];
  wcu: number;
  rcu: number;
  /** Of `wcu`, the units written to indexes. */
  indexWcu: number;
  emails: number;
}

const WRITES = ["PutItem", "UpdateItem", "DeleteItem"];
const READS = ["GetItem", "Query", "Scan", "BatchGetItem"];

type Handler = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;
type Middleware = (next: Handler, context: { clientName?: string; commandName?: string }) => Handler;
interface Stack {
  add(middleware: Middleware, options: { step: string; name: string; priority?: string }): void;
}

/** A key attribute as the document client or the low-level client writes it (keys are strings here). */
function keyValue(value: unknown): { S: string } {
  return typeof value === "string" ? { S: value } : (value as { S: string });
}

export interface CallRecorder {
  /** Adds the recording middleware to each client; returns the same clients. */
  instrument(clients: AwsClients): AwsClients;
  /** The tally since the last reset. */
  tally(): Tally;
  reset(): void;
}

export async function createCallRecorder(options: {
  /** An uninstrumented client, to read items before and after each write. */
  inspector: DynamoDBClient;
  tableName: string;
}): Promise<CallRecorder> {
  const { Table: table } = await options.inspector.send(
    new DescribeTableCommand({ TableName: options.tableName }),
  );
  const tableKeys = (table?.KeySchema ?? []).map((key) => key.AttributeName!);
  const indexes: IndexDescription[] = (table?.GlobalSecondaryIndexes ?? []).map((index) => ({
    name: index.IndexName!,
    keys: (index.KeySchema ?? []).map((key) => key.AttributeName!),
    projection:
      index.Projection?.ProjectionType === "INCLUDE"
        ? { include: index.Projection.NonKeyAttributes ?? [] }
        : index.Projection?.ProjectionType === "KEYS_ONLY"
          ? "KEYS_ONLY"
          : "ALL",
  }));
  let tally: Tally;
  const reset = () => (tally = { awsCalls: 0, calls: [], wcu: 0, rcu: 0, indexWcu: 0, emails: 0 });
  reset();

  const readItem = async (input: Record<string, unknown>): Promise<Item | undefined> => {
    const source = (input.Key ?? input.Item) as Record<string, unknown>;
    const key = Object.fromEntries(tableKeys.map((name) => [name, keyValue(source[name])]));
    const { Item: item } = await options.inspector.send(
      new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }),
    );
    return item;
  };

  const record: Middleware = (next, context) => async (args) => {
    const service = (context.clientName ?? "").replace(/Client$/, "");
    const operation = (context.commandName ?? "").replace(/Command$/, "");
    tally.awsCalls += 1;
    tally.calls.push(`${service}:${operation}`);
    if (service !== "DynamoDB") {
      const result = await next(args);
      if (service === "SESv2" && operation === "SendEmail") tally.emails += 1;
      return result;
    }
    args.input.ReturnConsumedCapacity = "TOTAL";
    const isWrite = WRITES.includes(operation);
    const before = isWrite ? await readItem(args.input) : undefined;
    try {
      const result = await next(args);
      // A batch reports one entry per table, any other request one object.
      const consumed = [result.output.ConsumedCapacity ?? []].flat() as { CapacityUnits?: number }[];
      const units = consumed.reduce((total, entry) => total + (entry.CapacityUnits ?? 0), 0);
      if (READS.includes(operation)) tally.rcu += units;
      if (isWrite) {
        tally.wcu += units;
        const after = await readItem(args.input);
        const indexUnits = indexes.reduce(
          (total, index) => total + indexWriteUnits(index, tableKeys, before, after),
          0,
        );
        tally.wcu += indexUnits;
        tally.indexWcu += indexUnits;
      }
      return result;
    } catch (error) {
      // A write whose condition fails still consumes write units, for the larger of the existing and
      // the new item; the existing one is counted here
      // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
      if (isWrite && (error as { name?: string }).name === "ConditionalCheckFailedException") {
        tally.wcu += writeUnits(before);
      }
      throw error;
    }
  };

  return {
    instrument(clients) {
      for (const client of Object.values(clients)) {
        (client.middlewareStack as unknown as Stack).add(record, {
          step: "initialize",
          name: "benchCallRecorder",
        });
      }
      return clients;
    },
    tally: () => ({ ...tally, calls: [...tally.calls] }),
    reset,
  };
}
