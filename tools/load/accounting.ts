import type { NotificationStatus } from "../../runtime/domain/notificationStatus";
import { NOTIFICATION_KINDS } from "../../runtime/domain/operationKinds";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import type { ExpectedNotification } from "./expectations";
import { notificationKey, type AcceptedEmail } from "./sesLedger";

/**
 * Accounts for every notification an accepted operation was due: sent once (one e-mail SES
 * accepted and a status SES feedback can only move forward), suppressed (no e-mail), or found in a
 * dead-letter queue where the scenario expected it. Anything else is lost (no e-mail when one was
 * due, no terminal state, or an unexpected dead letter); every e-mail beyond the one due is a
 * duplicate.
 */
export interface TrackedOperation {
  operation: OperationInput;
  scheduledAt: number;
  expected: ExpectedNotification[];
}

/** A notification as `GET /operations/{id}` lists it. */
export interface NotificationRecord {
  notificationKind: string;
  status: NotificationStatus;
  attempts: number;
  sesMessageId?: string;
  untrackedSesMessageIds?: string[];
}

export interface Observations {
  /** Each operation's notifications, as GET /operations/{id} lists them. */
  records: Map<string, NotificationRecord[]>;
  /** E-mails SES accepted, by notification; absent when the target has no SES ledger (a real stage). */
  emails?: Map<string, AcceptedEmail[]>;
  /** Notifications found in a dead-letter queue, and whether the scenario sends them there. */
  deadLetters: Map<string, { queue: string; expected: boolean }>;
}

export const SENT_STATUSES: readonly NotificationStatus[] = [
  "sent",
  "delivered",
  "bounced",
  "complained",
  "rejected",
  "rendering-failed",
];

/** `unexpected`: a notification the operation was not due (its e-mails count as duplicates). */
export type Verdict = "sent" | "suppressed" | "dead-lettered" | "lost" | "unexpected";

export interface NotificationAccount {
  operationId: string;
  kind: string;
  verdict: Verdict;
  /** E-mails beyond the one due (every e-mail, for a notification due none). */
  extraEmails: number;
  /** Why it is lost, or what the duplicate looked like. */
  note?: string;
}

export interface Accounting {
  accounts: NotificationAccount[];
  sent: number;
  suppressed: number;
  deadLettered: number;
  lost: number;
  duplicated: number;
}

function emailCount(observations: Observations, key: string, record: NotificationRecord | undefined): number {
  if (observations.emails) return observations.emails.get(key)?.length ?? 0;
  // Without SES's ledger, the record says what was sent: its message and the untracked ones.
  if (!record || !SENT_STATUSES.includes(record.status)) return 0;
  return 1 + (record.untrackedSesMessageIds?.length ?? 0);
}

function account(
  tracked: TrackedOperation,
  expected: ExpectedNotification,
  observations: Observations,
): NotificationAccount {
  const operationId = tracked.operation.id;
  const key = notificationKey(operationId, expected.kind);
  const record = observations.records
    .get(operationId)
    ?.find((item) => item.notificationKind === expected.kind);
  const emails = emailCount(observations, key, record);
  const base = { operationId, kind: expected.kind };
  const deadLetter = observations.deadLetters.get(key);
  if (deadLetter && emails === 0) {
    return deadLetter.expected
      ? { ...base, verdict: "dead-lettered", extraEmails: 0, note: deadLetter.queue }
      : { ...base, verdict: "lost", extraEmails: 0, note: `dead-lettered in ${deadLetter.queue}` };
  }
  if (expected.outcome === "suppress") {
    if (record?.status === "suppressed" || emails > 0)
      return {
        ...base,
        verdict: record?.status === "suppressed" ? "suppressed" : "lost",
        extraEmails: emails,
        ...(emails > 0 ? { note: `${emails} e-mail(s) for a notification due none` } : {}),
      };
    return {
      ...base,
      verdict: "lost",
      extraEmails: 0,
      note: `status ${record?.status ?? "none"}, expected suppressed`,
    };
  }
  if (emails === 0) {
    return {
      ...base,
      verdict: "lost",
      extraEmails: 0,
      note: `no e-mail; status ${record?.status ?? "none"}`,
    };
  }
  if (!record || !SENT_STATUSES.includes(record.status)) {
    return {
      ...base,
      verdict: "lost",
      extraEmails: emails - 1,
      note: `e-mailed, but the notification is ${record?.status ?? "not recorded"}, not a terminal state`,
    };
  }
  return {
    ...base,
    verdict: "sent",
    extraEmails: emails - 1,
    ...(emails > 1
      ? { note: `${emails} e-mails; ${record.untrackedSesMessageIds?.length ?? 0} recorded as untracked` }
      : {}),
  };
}

function unexpected(tracked: TrackedOperation, observations: Observations): NotificationAccount[] {
  const operationId = tracked.operation.id;
  const due = tracked.expected.map((expected) => expected.kind as string);
  return NOTIFICATION_KINDS.filter((kind) => !due.includes(kind)).flatMap((kind) => {
    const record = observations.records.get(operationId)?.find((item) => item.notificationKind === kind);
    const emails = emailCount(observations, notificationKey(operationId, kind), record);
    return record || emails > 0
      ? [
          {
            operationId,
            kind,
            verdict: "unexpected" as const,
            extraEmails: emails,
            note: `not due; ${record?.status ?? "no record"}`,
          },
        ]
      : [];
  });
}

export function accountFor(tracked: TrackedOperation[], observations: Observations): Accounting {
  const accounts = tracked.flatMap((operation) => [
    ...operation.expected.map((expected) => account(operation, expected, observations)),
    ...unexpected(operation, observations),
  ]);
  const count = (verdict: Verdict) => accounts.filter((item) => item.verdict === verdict).length;
  return {
    accounts,
    sent: count("sent"),
    suppressed: count("suppressed"),
    deadLettered: count("dead-lettered"),
    lost: count("lost"),
    duplicated: accounts.reduce((sum, item) => sum + item.extraEmails, 0),
  };
}
