import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { CloudControl } from "./cloudControl";
import type { StackQueues } from "./observe";

/**
 * The faults a load run (`--fault NAME`) or test/e2e/faults.spec.ts puts the local cloud through,
 * each with the outcome the system documents for it. A scenario only breaks something and undoes
 * it; the run around it sends the operations and accounts for every one.
 */
export const FAULT_NAMES = [
  "ses-throttling",
  "dynamodb-unavailable",
  "notify-killed-after-send",
  "poison-event",
  "bus-target-failing",
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface ScenarioEnvironment {
  control: CloudControl;
  queues: StackQueues;
  notifyFunction: string;
  notifyTimeoutSeconds: number;
  /** Puts entries on the stack's bus as the producer. */
  putEvents(entries: PutEventsRequestEntry[]): Promise<void>;
  /** A poison entry for a new operation of the run (its event with a version notify cannot read). */
  poisonEntry(): { operationId: string; entry: PutEventsRequestEntry };
  now(): number;
}

export interface ActiveFault {
  /** Undoes the fault; safe to call twice. */
  end(): Promise<void>;
  /** Operations the scenario sent itself (straight to the bus). */
  sentOperations: string[];
}

/** What a run saw of a fault, to tell whether it was exercised at all. */
export interface FaultEvidence {
  /** notify's "lease released" log lines for the run's operations. */
  leasesReleased: number;
  /** notify's records reported failed (SQS redelivers them) for the run's operations. */
  recordsFailed: number;
  /** API answers 503 that quoted a request id. */
  unavailableAnswers: number;
  /** notify invocations Lambda stopped at their timeout. */
  timeouts: number;
  /** Notifications found in a dead-letter queue where the scenario expects them. */
  deadLettered: number;
}

export interface FaultScenario {
  name: FaultName;
  /** What breaks. */
  fault: string;
  /** What the system documents for it, which the run checks. */
  documentedOutcome: string;
  /** When the fault begins, as a fraction of a load run's duration. */
  beginsAt: number;
  /** How long it lasts in a load run (undefined: it undoes itself, or needs no undoing). */
  lastsMs?(durationMs: number): number;
  /** Dead letters the documented outcome expects: for a notification of `operationId` in `queue`. */
  expectsDeadLetter(queue: string, operationId: string, active: ActiveFault, queues: StackQueues): boolean;
  /** E-mails the documented outcome allows twice. */
  allowedDuplicates: number;
  /** Whether the run shows the fault happened (a window with no traffic exercises nothing). */
  exercised(evidence: FaultEvidence): boolean;
  begin(environment: ScenarioEnvironment, options?: { windowMs?: number }): Promise<ActiveFault>;
}

/** SESv2's answer to a send above the account's rate (SendEmail, Errors). */
export const SES_THROTTLING_ERROR = {
  status: 429,
  code: "TooManyRequestsException",
  message: "Maximum sending rate exceeded.",
};

/** DynamoDB's answer while it cannot serve a request (5xx errors are retryable). */
export const DYNAMODB_UNAVAILABLE_ERROR = {
  status: 503,
  code: "ServiceUnavailable",
  message: "DynamoDB is currently unavailable. (This should be a temporary state.)",
};

const noDeadLetters = () => false;

export const FAULT_SCENARIOS: Record<FaultName, FaultScenario> = {
  "ses-throttling": {
    name: "ses-throttling",
    fault: "SES answers every send with 429 TooManyRequestsException (SESv2's throttling) for a while",
    documentedOutcome:
      "notify releases its lease on each throttled notification and reports the record; SQS redelivers it after the visibility timeout and it is sent once the throttling ends: nothing lost, nothing sent twice",
    beginsAt: 0.25,
    lastsMs: (durationMs) => Math.max(5_000, 0.35 * durationMs),
    expectsDeadLetter: noDeadLetters,
    allowedDuplicates: 0,
    exercised: (evidence) => evidence.leasesReleased > 0,
    async begin({ control, notifyFunction, now }, { windowMs = 5_000 } = {}) {
      await control.injectFault({
        service: "ses",
        command: "SendEmailCommand",
        principal: notifyFunction,
        fault: { error: SES_THROTTLING_ERROR },
        untilMs: now() + windowMs,
      });
      return { end: () => control.clearFaults(), sentOperations: [] };
    },
  },
  "dynamodb-unavailable": {
    name: "dynamodb-unavailable",
    fault: "DynamoDB answers every call with 503 ServiceUnavailable for a few seconds, for every function",
    documentedOutcome:
      "the API answers 503 with a request id and Retry-After; the producer's retry of the same operation succeeds; notify's records fail, come back after the visibility timeout and are sent once: nothing lost, nothing sent twice",
    beginsAt: 0.4,
    lastsMs: () => 4_000,
    expectsDeadLetter: noDeadLetters,
    allowedDuplicates: 0,
    exercised: (evidence) => evidence.unavailableAnswers > 0 || evidence.recordsFailed > 0,
    async begin({ control, now }, { windowMs = 4_000 } = {}) {
      await control.injectFault({
        service: "dynamodb",
        fault: { error: DYNAMODB_UNAVAILABLE_ERROR },
        untilMs: now() + windowMs,
      });
      return { end: () => control.clearFaults(), sentOperations: [] };
    },
  },
  "notify-killed-after-send": {
    name: "notify-killed-after-send",
    fault:
      "SES accepts one e-mail but its answer is held past notify's timeout, so Lambda stops notify before it records the send",
    documentedOutcome:
      "the lease expires and the redelivered record sends again: at most one duplicate per killed send, never a loss; SES feedback records the first message as untracked",
    beginsAt: 0.25,
    expectsDeadLetter: noDeadLetters,
    allowedDuplicates: 1,
    exercised: (evidence) => evidence.timeouts > 0,
    async begin({ control, notifyFunction, notifyTimeoutSeconds }) {
      await control.injectFault({
        service: "ses",
        command: "SendEmailCommand",
        principal: notifyFunction,
        fault: { delayAfterMs: notifyTimeoutSeconds * 1000 + 3_000 },
        times: 1,
      });
      return { end: () => control.clearFaults(), sentOperations: [] };
    },
  },
  "poison-event": {
    name: "poison-event",
    fault: "three events on the bus with a detail version notify cannot read",
    documentedOutcome:
      "notify reports each record; SQS redelivers it until notifyMaxReceiveCount, then moves it to the notify DLQ, whose depth alarm fires",
    beginsAt: 0.25,
    expectsDeadLetter: (queue, operationId, active, queues) =>
      queue === queues.notifyDlq && active.sentOperations.includes(operationId),
    allowedDuplicates: 0,
    exercised: (evidence) => evidence.deadLettered >= 3,
    async begin({ putEvents, poisonEntry }) {
      const poisons = [poisonEntry(), poisonEntry(), poisonEntry()];
      await putEvents(poisons.map(({ entry }) => entry));
      return { end: async () => undefined, sentOperations: poisons.map(({ operationId }) => operationId) };
    },
  },
  "bus-target-failing": {
    name: "bus-target-failing",
    fault:
      "the notify queue's policy loses its statement for EventBridge, so every rule's delivery is refused (AccessDenied) for a few seconds",
    documentedOutcome:
      "EventBridge does not retry a missing permission: each refused delivery goes to the delivery DLQ at once with its ERROR_CODE, RULE_ARN and TARGET_ARN, and the rule's failed-invocation and the DLQ's depth alarms fire",
    beginsAt: 0.25,
    lastsMs: () => 3_000,
    expectsDeadLetter: (queue, _operationId, _active, queues) => queue === queues.deliveryDlq,
    allowedDuplicates: 0,
    exercised: (evidence) => evidence.deadLettered > 0,
    async begin({ control, queues }) {
      const removed = await control.revokeEventBridgeGrant(queues.notify);
      if (removed === 0)
        throw new Error(`the policy of ${queues.notify} has no statement for EventBridge to remove`);
      return { end: () => control.restoreEventBridgeGrants(), sentOperations: [] };
    },
  },
};
