import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { InvokeOutcome } from "../lambda/functionRunner";

/**
 * An SQS event source mapping as Lambda runs one: pollers (at most the maximum concurrency) receive
 * up to the batch size, waiting up to the batching window for a fuller batch, invoke the function
 * synchronously, and delete what succeeded. A failed invocation (an error, a timeout) deletes
 * nothing; with ReportBatchItemFailures only the listed records stay. What is not deleted comes
 * back after the queue's visibility timeout and, past its maxReceiveCount, the queue's redrive
 * policy moves it to the dead-letter queue (fauxqs does that on receive, as SQS does).
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
 */
export interface EventSourceMappingDefinition {
  /** The queue's ARN as the stack knows it (records carry it as eventSourceARN). */
  queueArn: string;
  /** Where the local queue is reached. */
  queueUrl: string;
  functionName: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  reportBatchItemFailures: boolean;
  maximumConcurrency: number;
  region: string;
}

export interface EventSourceMappingOptions {
  sqs: SQSClient;
  invoke(event: SqsEvent): Promise<InvokeOutcome>;
  /** Lambda polls with the function's role: whether it may, and AWS's words when it may not. */
  authorizePolling(): Promise<{ allowed: boolean; message: string }>;
  log(level: "INFO" | "WARN" | "ERROR", message: string): void;
  now?: () => number;
}

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, unknown>;
  md5OfBody: string;
  eventSource: "aws:sqs";
  eventSourceARN: string;
  awsRegion: string;
}
export interface SqsEvent {
  Records: SqsRecord[];
}

/** SQS's long-poll maximum. */
const MAX_WAIT_SECONDS = 20;

function toRecord(message: Message, definition: EventSourceMappingDefinition): SqsRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? "",
    attributes: (message.Attributes ?? {}) as Record<string, string>,
    messageAttributes: message.MessageAttributes ?? {},
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: definition.queueArn,
    awsRegion: definition.region,
  };
}

/**
 * The records to leave on the queue. A response Lambda cannot read as a partial batch response
 * (not an object, an identifier that is empty or not in the batch) fails the whole batch.
 */
export function recordsToKeep(
  outcome: InvokeOutcome,
  batch: SqsRecord[],
  reportBatchItemFailures: boolean,
): SqsRecord[] {
  if (!outcome.ok) return batch;
  if (!reportBatchItemFailures || outcome.result === null || outcome.result === undefined) return [];
  const failures = (outcome.result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return [];
  if (!Array.isArray(failures)) return batch;
  const ids = failures.map((failure) => (failure as { itemIdentifier?: unknown })?.itemIdentifier);
  if (ids.some((id) => typeof id !== "string" || !batch.some((record) => record.messageId === id)))
    return batch;
  return batch.filter((record) => ids.includes(record.messageId));
}

export function startEventSourceMapping(
  definition: EventSourceMappingDefinition,
  options: EventSourceMappingOptions,
) {
  let running = true;
  const now = options.now ?? Date.now;
  const invocations = { total: 0, failed: 0, recordsDeleted: 0 };

  async function receive(max: number, waitSeconds: number): Promise<Message[]> {
    const answer = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: definition.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return answer.Messages ?? [];
  }

  /** Up to the batch size, waiting no longer than the batching window once a first record is in. */
  async function gather(): Promise<Message[]> {
    const batch = await receive(definition.batchSize, MAX_WAIT_SECONDS);
    const closesAt = now() + definition.maximumBatchingWindowInSeconds * 1000;
    while (running && batch.length > 0 && batch.length < definition.batchSize && now() < closesAt) {
      const waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.ceil((closesAt - now()) / 1000));
      const more = await receive(definition.batchSize - batch.length, waitSeconds);
      if (more.length === 0 && waitSeconds <= 1) break;
      batch.push(...more);
    }
    return batch;
  }

  async function poll(): Promise<void> {
    while (running) {
      const permission = await options.authorizePolling();
      if (!permission.allowed) {
        options.log(
          "ERROR",
          `event source mapping for ${definition.functionName} cannot poll: ${permission.message}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      let messages: Message[];
      try {
        messages = await gather();
      } catch (error) {
        if (!running) return;
        options.log("WARN", `receiving from ${definition.queueArn} failed: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (messages.length === 0) continue;
      const batch = messages.map((message) => toRecord(message, definition));
      const outcome = await options.invoke({ Records: batch });
      invocations.total += 1;
      if (!outcome.ok) invocations.failed += 1;
      const kept = recordsToKeep(outcome, batch, definition.reportBatchItemFailures);
      const done = batch.filter((record) => !kept.includes(record));
      if (!outcome.ok)
        options.log(
          "WARN",
          `${definition.functionName} failed a batch of ${batch.length}: ${outcome.errorMessage}`,
        );
      for (let start = 0; start < done.length; start += 10) {
        await options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: definition.queueUrl,
            Entries: done.slice(start, start + 10).map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
            })),
          }),
        );
      }
      invocations.recordsDeleted += done.length;
    }
  }

  const pollers = Array.from({ length: definition.maximumConcurrency }, () =>
    poll().catch((error: unknown) => options.log("ERROR", `poller stopped: ${String(error)}`)),
  );
  return {
    invocations,
    async stop(): Promise<void> {
      running = false;
      await Promise.race([Promise.all(pollers), new Promise((resolve) => setTimeout(resolve, 100))]);
    },
  };
}
