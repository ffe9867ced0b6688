import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { summarise, type MessageSummary } from "./messageSummary";
import type { DeadLetterQueueName } from "./redriveTarget";
import type { Resend } from "./resender";

/**
 * Receive, resend, delete: the only redrive that works for all three queues (Lambda and EventBridge
 * feed two of them, and SQS's StartMessageMoveTask only takes DLQs of SQS queues) and against fauxqs
 * (which has no StartMessageMoveTask). A message is deleted only once its resend was accepted; the
 * first failure stops the run and makes the messages it still held visible again. A message whose
 * resend was accepted but whose delete failed comes back after its visibility timeout and would be
 * redriven twice: a duplicate, never a loss.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 */
export interface RedriveOptions {
  queue: DeadLetterQueueName;
  queueUrl: string;
  /** List only: every received message is made visible again, nothing is sent or deleted. */
  dryRun: boolean;
  /** At most this many messages; all by default. */
  max?: number;
  resend: Resend;
  now: () => number;
  /** Each message's line, as soon as it is listed or moved. */
  progress?: (line: { summary: MessageSummary; to?: string }) => void;
}

export interface RedriveReport {
  queue: DeadLetterQueueName;
  dryRun: boolean;
  listed: MessageSummary[];
  moved: { summary: MessageSummary; to: string }[];
  failure?: { summary: MessageSummary; stage: "resend" | "delete"; error: string };
  /** Messages still visible in the DLQ at the end (SQS's approximate count). */
  remaining?: number;
}

/** Long enough to resend a batch of ten; a message not deleted by then becomes visible again. */
const VISIBILITY_TIMEOUT_SECONDS = 60;
/** A long poll asks every SQS server, so an empty answer means an empty queue (a short poll samples). */
const WAIT_TIME_SECONDS = 1;

function errorText(error: unknown): string {
  const { name, message } = error as { name?: string; message?: string };
  return name && message && !message.startsWith(name) ? `${name}: ${message}` : String(message ?? error);
}

export async function redriveDeadLetters(sqs: SQSClient, options: RedriveOptions): Promise<RedriveReport> {
  const { queue, queueUrl, dryRun, now } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const report: RedriveReport = { queue, dryRun, listed: [], moved: [] };
  const held: Message[] = [];

  const release = async (messages: Message[]) => {
    for (const message of messages) {
      await sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        // It becomes visible again at the end of its visibility timeout anyway.
        .catch(() => undefined);
    }
  };

  try {
    while (report.listed.length < max && !report.failure) {
      const { Messages: batch = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max - report.listed.length),
          VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
          WaitTimeSeconds: WAIT_TIME_SECONDS,
          MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
          MessageAttributeNames: ["All"],
        }),
      );
      if (batch.length === 0) break;
      held.push(...batch);
      for (const message of batch) {
        const summary = summarise(queue, message, now());
        report.listed.push(summary);
        if (dryRun) {
          options.progress?.({ summary });
          continue;
        }
        let to: string;
        try {
          to = await options.resend(message);
        } catch (error) {
          report.failure = { summary, stage: "resend", error: errorText(error) };
          break;
        }
        try {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        } catch (error) {
          report.failure = { summary, stage: "delete", error: errorText(error) };
          break;
        }
        held.splice(held.indexOf(message), 1);
        report.moved.push({ summary, to });
        options.progress?.({ summary, to });
      }
    }
  } finally {
    await release(held);
  }
  const { Attributes } = await sqs
    .send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    )
    .catch(() => ({ Attributes: undefined }));
  if (Attributes?.ApproximateNumberOfMessages !== undefined)
    report.remaining = Number(Attributes.ApproximateNumberOfMessages);
  return report;
}
