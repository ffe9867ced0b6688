import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { CloudDescription } from "../../local/cloud/localCloud";
import { NOTIFICATION_KINDS } from "../../runtime/domain/operationKinds";
import { SENT_STATUSES, type NotificationRecord, type TrackedOperation } from "./accounting";
import type { CloudControl, DeadLetter } from "./cloudControl";
import { notificationKey } from "./sesLedger";
import { callApi, type ApiTarget } from "./signedApi";

/**
 * What happened to a run's operations, as an operator sees it: each operation's notifications
 * (`GET /operations/{id}` as the customer administration), and the notifications found in the
 * dead-letter queues (the notify queue's, holding notify's envelopes; the delivery queue, holding
 * the events a rule could not deliver, with the rule in `RULE_ARN`).
 */
export interface StackQueues {
  notify: string;
  notifyDlq: string;
  deliveryDlq: string;
}

const queueNameOf = (url: unknown) => String(url).split("/").pop()!;

export function stackQueues(description: CloudDescription): StackQueues {
  const deadLetters = description.outputs.deadLetterQueueUrls as Record<string, string>;
  return {
    notify: queueNameOf(description.outputs.notifyQueueUrl),
    notifyDlq: queueNameOf(deadLetters.notify),
    deliveryDlq: queueNameOf(deadLetters.delivery),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An operation's notifications; undefined while the API cannot say (throttled, unavailable, unknown). */
export async function notificationRecords(
  api: ApiTarget,
  operationId: string,
): Promise<NotificationRecord[] | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const answer = await callApi(
      api,
      "customerAdmin",
      "GET",
      `/operations/${encodeURIComponent(operationId)}`,
    );
    if (answer.status === 200) return (answer.body.notifications ?? []) as NotificationRecord[];
    if (answer.status === 404) return [];
    if (answer.status !== 0 && answer.status !== 429 && answer.status < 500) {
      throw new Error(
        `GET /operations/${operationId} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
    }
    await pause(500 * 2 ** attempt);
  }
  return undefined;
}

/** Runs `work` on every item, `concurrency` at a time. */
export async function forEachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Whether each notification an operation is due has reached a terminal state in `records`. */
export function settled(
  tracked: TrackedOperation,
  records: NotificationRecord[] | undefined,
  deadLetters: Map<string, DeadLetterFound>,
): boolean {
  return tracked.expected.every((expected) => {
    if (deadLetters.has(notificationKey(tracked.operation.id, expected.kind))) return true;
    const status = records?.find((record) => record.notificationKind === expected.kind)?.status;
    return expected.outcome === "suppress"
      ? status === "suppressed"
      : status !== undefined && SENT_STATUSES.includes(status);
  });
}

export interface DeadLetterFound {
  queue: string;
  message: DeadLetter;
}

function notificationOfRule(ruleArn: string): string | undefined {
  const ruleName = ruleArn.split("/").pop() ?? "";
  return NOTIFICATION_KINDS.find((kind) => ruleName.endsWith(`-${kind}`));
}

/** The notifications waiting in the notify and delivery dead-letter queues, by notification. */
export async function deadLettersByNotification(
  control: CloudControl,
  queues: StackQueues,
  visibilitySeconds?: number,
): Promise<Map<string, DeadLetterFound>> {
  const found = new Map<string, DeadLetterFound>();
  for (const message of await control.messagesIn(queues.notifyDlq, visibilitySeconds)) {
    const envelope = JSON.parse(message.body) as {
      notificationKind?: string;
      event?: { detail?: { operationId?: string } };
    };
    const operationId = envelope.event?.detail?.operationId;
    if (operationId && envelope.notificationKind)
      found.set(notificationKey(operationId, envelope.notificationKind), {
        queue: queues.notifyDlq,
        message,
      });
  }
  for (const message of await control.messagesIn(queues.deliveryDlq, visibilitySeconds)) {
    const event = JSON.parse(message.body) as { detail?: { operationId?: string } };
    const kind = notificationOfRule(message.messageAttributes.RULE_ARN ?? "");
    const operationId = event.detail?.operationId;
    if (operationId && kind)
      found.set(notificationKey(operationId, kind), { queue: queues.deliveryDlq, message });
  }
  return found;
}

/** A function's log records (its JSON lines' `record`) about one of `operationIds`. */
export function functionLogRecords(
  description: CloudDescription,
  functionId: "notify" | "operationsApi",
  operationIds: string[],
): { message?: string; operationId?: string; level?: string }[] {
  const name = (description.outputs.functionNames as Record<string, string>)[functionId];
  const file = path.join(description.logsDir, `${name}.log`);
  if (!existsSync(file)) return [];
  const wanted = new Set(operationIds);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { record?: { message?: string; operationId?: string } }).record ?? {})
    .filter((record) => record.operationId !== undefined && wanted.has(record.operationId));
}
