import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { notifyMaximumConcurrency } from "../../components/events";
import { DEFAULTS } from "../../components/settings";
import { createAwsClients, type AwsClients } from "../../runtime/clients/awsClients";
import { EMAIL_TAGS } from "../../runtime/domain/sesFeedback";
import type { BenchWorld, QueueMessage } from "./benchWorld";

/**
 * Operations through the whole flow, in this process: `POST /operations` (the operations API
 * handler), the component's rules, a notify queue with the event source mapping's batch size,
 * maximum concurrency, partial batch failures and redrive limit, the notify handler (one per
 * concurrent poller, as one per Lambda container), and SES with, optionally, its sending-rate cap.
 */

export interface FlowOptions {
  operations: number;
  /** SES's maximum send rate, e-mails per second; unlimited when absent. */
  sesRatePerSecond?: number;
  /** How long a record notify reported as failed stays invisible before it is delivered again. */
  visibilityTimeoutMs: number;
  /** Concurrent `POST /operations` requests. */
  apiConcurrency: number;
  /** Gives up after this long, counting what was not sent as lost. */
  deadlineMs: number;
}

export interface FlowResult {
  operations: number;
  notifications: number;
  emails: number;
  lost: number;
  duplicated: number;
  elapsedMs: number;
  /** Per notification sent: from its `POST /operations` to SES accepting its e-mail. */
  latenciesMs: number[];
  /** Notifications the queue moved to its dead-letter queue. */
  deadLettered: number;
}

/** The event source mapping's batch size (components/events.ts). */
const BATCH_SIZE = 10;
const IDLE_POLL_MS = 5;

interface QueuedMessage extends QueueMessage {
  id: string;
  receiveCount: number;
  visibleAt: number;
}

/**
 * SQS as the event source mapping sees it: a received message stays invisible for the visibility
 * timeout, a record the function reports failed comes back after it, and a message received more
 * than the redrive policy's maxReceiveCount times moves to the dead-letter queue
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 */
class NotifyQueue {
  private readonly messages = new Map<string, QueuedMessage>();
  readonly deadLetters: QueuedMessage[] = [];
  constructor(private readonly visibilityTimeoutMs: number) {}

  send(message: QueueMessage): void {
    const id = randomUUID();
    this.messages.set(id, { ...message, id, receiveCount: 0, visibleAt: 0 });
  }

  receive(now: number): QueuedMessage[] {
    const batch: QueuedMessage[] = [];
    for (const message of this.messages.values()) {
      if (batch.length === BATCH_SIZE) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= DEFAULTS.notifyMaxReceiveCount) {
        this.messages.delete(message.id);
        this.deadLetters.push(message);
        continue;
      }
      message.receiveCount += 1;
      message.visibleAt = now + this.visibilityTimeoutMs;
      batch.push(message);
    }
    return batch;
  }

  delete(id: string): void {
    this.messages.delete(id);
  }

  get size(): number {
    return this.messages.size;
  }
}

type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;
interface Stack {
  add(
    middleware: (next: Next, context: { commandName?: string }) => Next,
    options: { step: string; priority?: string; name: string },
  ): void;
}

/** Calls `listener` with the operation and kind (from the e-mail's tags) of each e-mail SES accepts. */
function onSentEmail(ses: AwsClients["ses"], listener: (key: string) => void): void {
  (ses.middlewareStack as unknown as Stack).add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === "SendEmailCommand") {
        const tags = (args.input.EmailTags ?? []) as { Name: string; Value: string }[];
        const tag = (name: string) => tags.find((candidate) => candidate.Name === name)?.Value ?? "";
        listener(notificationKey(tag(EMAIL_TAGS.operationId), tag(EMAIL_TAGS.notificationKind)));
      }
      return result;
    },
    { step: "initialize", name: "benchSentEmails" },
  );
}

/**
 * SES's maximum send rate for the account, as a token bucket holding one second of sends, shared
 * by every notify container. Over the rate, SES's API answers `ThrottlingException`, "Maximum sending
 * rate exceeded" (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html). The
 * refusal is raised inside the SDK's retry middleware, so the SDK retries it as it would SES's.
 */
function createSendRateCap(perSecond: number): (ses: AwsClients["ses"]) => void {
  let tokens = perSecond;
  let refilledAt = Date.now();
  return (ses) =>
    (ses.middlewareStack as unknown as Stack).add(
      (next, context) => async (args) => {
        if (context.commandName !== "SendEmailCommand") return next(args);
        const now = Date.now();
        tokens = Math.min(perSecond, tokens + ((now - refilledAt) / 1000) * perSecond);
        refilledAt = now;
        if (tokens < 1) {
          throw Object.assign(new Error("Maximum sending rate exceeded."), {
            name: "ThrottlingException",
            $fault: "client",
            $metadata: { httpStatusCode: 400 },
          });
        }
        tokens -= 1;
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "benchSesSendRate" },
    );
}

function notificationKey(operationId: string, kind: string): string {
  return `${operationId}|${kind}`;
}

export async function runNotificationFlow(world: BenchWorld, options: FlowOptions): Promise<FlowResult> {
  const queue = new NotifyQueue(options.visibilityTimeoutMs);
  const expected = new Set<string>();
  const submittedAt = new Map<string, number>();
  const sentCount = new Map<string, number>();
  const latenciesMs: number[] = [];
  world.onDelivery((messages) => {
    for (const message of messages) {
      expected.add(notificationKey(message.operationId, message.notificationKind));
      queue.send(message);
    }
  });
  const recordSent = (key: string) => {
    sentCount.set(key, (sentCount.get(key) ?? 0) + 1);
    if (sentCount.get(key) === 1) latenciesMs.push(Date.now() - submittedAt.get(key.split("|")[0])!);
  };
  const capSendRate = options.sesRatePerSecond ? createSendRateCap(options.sesRatePerSecond) : undefined;

  const runId = randomUUID().slice(0, 8);
  const operationIds = Array.from({ length: options.operations }, (_, index) => `flow-${runId}-${index}`);
  const started = Date.now();
  let submitting = true;
  let nextOperation = 0;
  const api = world.operationsApi(createAwsClients());
  const submitter = async () => {
    while (nextOperation < operationIds.length) {
      const operationId = operationIds[nextOperation];
      const customerId = world.customerIds[nextOperation % world.customerIds.length];
      nextOperation += 1;
      submittedAt.set(operationId, Date.now());
      const response = await api(world.deposit(operationId, customerId));
      if (response.statusCode !== 202) expected.add(notificationKey(operationId, "refused-by-the-api"));
    }
  };
  const deadline = started + options.deadlineMs;
  const poller = async () => {
    const clients = createAwsClients();
    capSendRate?.(clients.ses);
    onSentEmail(clients.ses, recordSent);
    const notify = world.notify(clients);
    while (Date.now() < deadline && (submitting || queue.size > 0)) {
      const batch = queue.receive(Date.now());
      if (batch.length === 0) {
        await sleep(IDLE_POLL_MS);
        continue;
      }
      const result = await notify({
        Records: batch.map((message) => ({ messageId: message.id, body: message.body })),
      });
      const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const message of batch) if (!failed.has(message.id)) queue.delete(message.id);
    }
  };
  const pollers = Array.from({ length: notifyMaximumConcurrency(options.sesRatePerSecond ?? 14) }, poller);
  await Promise.all(Array.from({ length: options.apiConcurrency }, submitter));
  submitting = false;
  await Promise.all(pollers);
  const elapsedMs = Date.now() - started;

  const lost = [...expected].filter((key) => !sentCount.has(key)).length;
  const duplicated = [...sentCount.values()].filter((count) => count > 1).length;
  const emails = [...sentCount.values()].reduce((total, count) => total + count, 0);
  return {
    operations: options.operations,
    notifications: expected.size,
    emails,
    lost,
    duplicated,
    elapsedMs,
    latenciesMs,
    deadLettered: queue.deadLetters.length,
  };
}
