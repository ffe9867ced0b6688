import { availableParallelism } from "node:os";
import type { Accounting, TrackedOperation } from "./accounting";
import type { ArrivalSummary } from "./arrivals";
import { nameBottleneck } from "./bottleneck";
import type { StageShares } from "./cpuStages";
import type { FaultEvidence, FaultScenario } from "./faultScenarios";
import { percentiles, type Percentiles } from "./percentiles";
import { containersIn, coresBetween, type CpuReading } from "./processCpu";
import type { Submission } from "./producer";
import { notificationKey, type AcceptedEmail } from "./sesLedger";

/**
 * What a load run reports: the contract's figures first (`accepted`, `rejected`, `lost`,
 * `duplicated`, `latencyMs`, `emailsPerSecond`, `bottleneck`), then what explains them.
 */
export interface LoadReport {
  accepted: number;
  rejected: number;
  lost: number;
  duplicated: number;
  /** Request (its scheduled time) to SES accepting the e-mail; null without SES's ledger. */
  latencyMs: Percentiles | null;
  emailsPerSecond: number;
  bottleneck: string;
  /** Duplicates the fault scenario's documented outcome allows (one per killed send). */
  duplicatedByFault: number;
  target: string;
  offered: { rate: number; durationSeconds: number; operations: number; customers: number };
  acceptedPerSecond: number;
  /** Request to the API's 202, retries included. */
  apiLatencyMs: Percentiles | null;
  /** Failed attempts by kind (an accepted operation may have some: they were retried). */
  errors: Record<string, number>;
  notifications: { due: number; sent: number; suppressed: number; deadLettered: number; lost: number };
  /** Up to 10 notifications that were lost or sent more than once, and why. */
  problems: string[];
  measurements: {
    /** Cores each process used from the first arrival until the outcomes settled. */
    cores: Record<string, number>;
    machineCores: number;
    maxContainers: Record<string, number>;
    cloudEventLoop?: StageShares;
    notifyQueueMaxDepth?: number;
    /**
     * Whether the run kept up with its arrivals: the API accepted them at the offered rate (within
     * 5 %) and every outcome settled within 5 s of the last answer (no backlog left on the queue).
     */
    keptUp: boolean;
    arrivalLagMaxMs: number;
    /** From the last API answer until the notify queue was empty (or the ledger complete). */
    drainSeconds: number;
  };
  fault?: {
    name: string;
    fault: string;
    documentedOutcome: string;
    exercised: boolean;
    evidence: FaultEvidence;
    alarmsThatWouldFire: string[];
    /** A dead letter the scenario expects, with its attributes. */
    deadLetterSample?: { queue: string; attributes: Record<string, string> };
  };
  stackConfiguration?: Record<string, unknown>;
  interrupted: boolean;
}

/** What a run recorded, raw. */
export interface RunRecord {
  rate: number;
  durationSeconds: number;
  customers: number;
  target: string;
  stackConfiguration?: Record<string, unknown>;
  cloudPid?: number;
  /** The SES sending rate notify's workers keep to, when the run knows the stack. */
  sesMaxSendRate?: number;
  /** The arrivals, in order, and what the producer saw of each. */
  arrived: TrackedOperation[];
  submissions: Submission[];
  accounting: Accounting;
  emails?: Map<string, AcceptedEmail[]>;
  arrivals: ArrivalSummary;
  lastAnswerAt: number;
  drainedAt: number;
  readings: CpuReading[];
  notifyDepths: { at: number; depth: number }[];
  stages?: StageShares;
  fault?: {
    scenario: FaultScenario;
    evidence: FaultEvidence;
    alarms: string[];
    deadLetterSample?: { queue: string; attributes: Record<string, string> };
  };
  interrupted: boolean;
}

/** A run kept up when it accepted at least this share of the offered rate… */
const KEPT_UP_ACCEPTANCE = 0.95;
/** …and its outcomes settled this soon after the last answer (a batching window, a batch, SES's events). */
const KEPT_UP_DRAIN_SECONDS = 5;

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function firstEmails(run: RunRecord): { scheduledAt: number; acceptedAt: number }[] {
  const { emails } = run;
  if (!emails) return [];
  return run.arrived
    .filter((_, index) => run.submissions[index]?.accepted)
    .flatMap((item) =>
      item.expected.flatMap((expected) => {
        const sent = emails.get(notificationKey(item.operation.id, expected.kind));
        return sent
          ? [
              {
                scheduledAt: item.scheduledAt,
                acceptedAt: Math.min(...sent.map((email) => email.acceptedAt)),
              },
            ]
          : [];
      }),
    );
}

function emailCount(run: RunRecord): number {
  const { emails } = run;
  if (!emails) return 0;
  return run.arrived.reduce(
    (sum, item) =>
      sum +
      item.expected.reduce(
        (count, expected) =>
          count + (emails.get(notificationKey(item.operation.id, expected.kind))?.length ?? 0),
        0,
      ),
    0,
  );
}

export function buildReport(run: RunRecord): LoadReport {
  const { accounting } = run;
  const started = run.arrived[0]?.scheduledAt ?? run.lastAnswerAt;
  const accepted = run.submissions.filter((submission) => submission.accepted);
  const errors: Record<string, number> = {};
  for (const attempt of run.submissions.flatMap((submission) => submission.attempts))
    if (attempt.status !== 202) errors[attempt.kind] = (errors[attempt.kind] ?? 0) + 1;

  const first = firstEmails(run);
  const lastEmail = Math.max(started, ...first.map((email) => email.acceptedAt));
  const emails = emailCount(run);
  const emailsPerSecond = emails > 0 ? round(emails / ((lastEmail - started) / 1000)) : 0;
  const acceptedPerSecond =
    accepted.length > 0
      ? round(
          accepted.length /
            ((Math.max(...accepted.map((submission) => submission.acceptedAt!)) - started) / 1000),
        )
      : 0;
  const drainSeconds = round((run.drainedAt - run.lastAnswerAt) / 1000);
  const keptUp = acceptedPerSecond >= KEPT_UP_ACCEPTANCE * run.rate && drainSeconds <= KEPT_UP_DRAIN_SECONDS;

  const duplicatedByFault = Math.min(accounting.duplicated, run.fault?.scenario.allowedDuplicates ?? 0);
  const cores =
    run.readings.length > 1 ? coresBetween(run.readings[0], run.readings[run.readings.length - 1]) : {};
  const maxContainers: Record<string, number> = {};
  for (const reading of run.readings)
    for (const [name, count] of Object.entries(containersIn(reading)))
      maxContainers[name] = Math.max(maxContainers[name] ?? 0, count);
  const duringArrivals = run.notifyDepths.filter((entry) => entry.at <= run.lastAnswerAt);
  const notifyQueueMaxDepth =
    run.notifyDepths.length > 0 ? Math.max(...run.notifyDepths.map((entry) => entry.depth)) : undefined;
  // The backlog grew when the last quarter of the arrivals found, on average, more than one second of
  // arrivals more waiting than the second quarter did (the first is the containers' cold start).
  const quarter = (index: number) =>
    duringArrivals.slice(
      Math.floor((index * duringArrivals.length) / 4),
      Math.floor(((index + 1) * duringArrivals.length) / 4),
    );
  const average = (entries: { depth: number }[]) =>
    entries.reduce((sum, entry) => sum + entry.depth, 0) / Math.max(1, entries.length);
  const notifyQueueGrew = duringArrivals.length >= 8 && average(quarter(3)) > average(quarter(1)) + run.rate;
  const bottleneck =
    run.cloudPid === undefined
      ? "not measured: the stage runs in AWS (its CloudWatch dashboard graphs each stage)"
      : nameBottleneck({
          keptUp,
          cores,
          machineCores: availableParallelism(),
          cloudPid: run.cloudPid,
          stages: run.stages,
          notifyQueueMaxDepth,
          notifyQueueGrew,
          emailsPerSecond,
          sesMaxSendRate: run.sesMaxSendRate,
          containers: maxContainers,
        });

  return {
    accepted: accepted.length,
    rejected: run.submissions.length - accepted.length,
    lost: accounting.lost,
    duplicated: accounting.duplicated - duplicatedByFault,
    latencyMs: percentiles(first.map((email) => email.acceptedAt - email.scheduledAt)),
    emailsPerSecond,
    bottleneck,
    duplicatedByFault,
    target: run.target,
    offered: {
      rate: run.rate,
      durationSeconds: run.durationSeconds,
      operations: run.arrived.length,
      customers: run.customers,
    },
    acceptedPerSecond:
      accepted.length > 0
        ? round(
            accepted.length /
              ((Math.max(...accepted.map((submission) => submission.acceptedAt!)) - started) / 1000),
          )
        : 0,
    apiLatencyMs: percentiles(accepted.map((submission) => submission.acceptedAt! - submission.scheduledAt)),
    errors,
    notifications: {
      due: accounting.accounts.filter((item) => item.verdict !== "unexpected").length,
      sent: accounting.sent,
      suppressed: accounting.suppressed,
      deadLettered: accounting.deadLettered,
      lost: accounting.lost,
    },
    problems: accounting.accounts
      .filter((item) => item.verdict === "lost" || item.verdict === "unexpected" || item.extraEmails > 0)
      .slice(0, 10)
      .map(
        (item) => `${item.operationId} ${item.kind}: ${item.verdict}${item.note ? ` (${item.note})` : ""}`,
      ),
    measurements: {
      cores,
      machineCores: availableParallelism(),
      maxContainers,
      ...(run.stages ? { cloudEventLoop: run.stages } : {}),
      ...(notifyQueueMaxDepth !== undefined ? { notifyQueueMaxDepth } : {}),
      keptUp,
      arrivalLagMaxMs: Math.round(run.arrivals.maxLagMs),
      drainSeconds,
    },
    ...(run.fault
      ? {
          fault: {
            name: run.fault.scenario.name,
            fault: run.fault.scenario.fault,
            documentedOutcome: run.fault.scenario.documentedOutcome,
            exercised: run.fault.scenario.exercised(run.fault.evidence),
            evidence: run.fault.evidence,
            alarmsThatWouldFire: run.fault.alarms,
            ...(run.fault.deadLetterSample ? { deadLetterSample: run.fault.deadLetterSample } : {}),
          },
        }
      : {}),
    ...(run.stackConfiguration ? { stackConfiguration: run.stackConfiguration } : {}),
    interrupted: run.interrupted,
  };
}
