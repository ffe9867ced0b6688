import { randomUUID } from "node:crypto";
import type { PutEventsRequestEntry as SdkPutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { awsFault, type AwsFault } from "../awsJsonServer";
import type { CredentialStore, LambdaInvoker, LocalPrincipal, QueueSender } from "../cloud/types";
import type { AccountScope } from "../iam/sdkRequests";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import { createArchiveStore } from "./eventArchive";
import { eventValue, newBusEvent, type BusEvent } from "./eventEnvelope";
import { createEventMetrics, type MetricDatum } from "./eventMetrics";
import { eventTopology, type EventBusDefinition, type PlannedEvents } from "./eventTopology";
import { matchesPattern } from "./pattern";
import { authorizePutEvents } from "./putEventsAuthorization";
import { checkEntry, checkPutEventsRequest } from "./putEventsRequest";
import { startPutEventsServer } from "./putEventsServer";
import { deliver, type DeliveryServices, type EventBridgeLog } from "./targetDelivery";
import type { DeliveredEvent } from "./targetInput";

/**
 * The local EventBridge: the plan's buses (and the account's default bus), rules, targets and
 * archives, behind the real PutEvents API. docs/AWS-SEMANTICS.md, "EventBridge (local service)",
 * lists what it reproduces, each with its AWS page and test, and what it does not (KMS).
 */
export interface EventBridgeOptions extends PlannedEvents {
  scope: AccountScope;
  authorizer: StackAuthorizer;
  credentials: CredentialStore;
  lambda: LambdaInvoker;
  sqs: QueueSender;
  /** Archives are kept in `<stateDir>/eventbridge/`. */
  stateDir: string;
  /**
   * Local-only: every wait (retry back-off) and every event age a retry policy allows is divided
   * by it, so that hours of retries take seconds. 1, AWS's timing, by default.
   */
  timeScale?: number;
  /** 0 (the default) picks a free port. */
  port?: number;
  now?: () => number;
  /** In [0, 1): the jitter of retry back-off. */
  random?: () => number;
  log?: EventBridgeLog;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };
export interface PutEventsOutput {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}
export type PutEventsResult = { ok: true; output: PutEventsOutput } | { ok: false; fault: AwsFault };

export interface LocalEventBridge {
  /** The endpoint for `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  url: string;
  /**
   * PutEvents in process, through the same checks as the endpoint. With a principal it is that
   * principal's call (authorized, `aws.` sources refused); without one, an AWS service emitting its
   * own events, as SES does on the default bus. Entries as the AWS SDK takes them.
   */
  putEvents(entries: SdkPutEventsRequestEntry[], principal?: LocalPrincipal): Promise<PutEventsResult>;
  /**
   * Puts the archive's events whose time is in [from, to) back on its bus, each with `replay-name`;
   * resolves once they are routed (deliveries go on; `settled` waits for them).
   */
  replay(
    archiveName: string,
    from: Date,
    to: Date,
    replayName?: string,
  ): Promise<{ replayName: string; eventCount: number }>;
  /** AWS/Events counts since start. */
  metrics(): MetricDatum[];
  /** Resolves when no delivery, retry or archive write is pending. */
  settled(): Promise<void>;
  /** Stops the endpoint; deliveries waiting to retry are abandoned (and logged). */
  close(): Promise<void>;
}

function writeToStderr(level: string, message: string): void {
  process.stderr.write(`[eventbridge] ${level}: ${message}\n`);
}

export async function startEventBridge(options: EventBridgeOptions): Promise<LocalEventBridge> {
  const { scope } = options;
  const timeScale = options.timeScale ?? 1;
  if (!(Number.isFinite(timeScale) && timeScale > 0))
    throw new Error(`timeScale must be a positive number, not ${timeScale}`);
  const topology = eventTopology(options, scope);
  const now = options.now ?? Date.now;
  const log = options.log ?? writeToStderr;
  const metrics = createEventMetrics();
  const archives = createArchiveStore(options.stateDir, log);
  const pending = new Set<Promise<void>>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: (elapsed: boolean) => void }>();
  let closed = false;

  const services: DeliveryServices = {
    authorizer: options.authorizer,
    accountId: scope.accountId,
    sqs: options.sqs,
    lambda: options.lambda,
    metrics,
    now,
    random: options.random ?? Math.random,
    timeScale,
    log,
    wait: (ms) =>
      closed
        ? Promise.resolve(false)
        : new Promise((resolve) => {
            const entry = {
              timer: setTimeout(() => {
                timers.delete(entry);
                resolve(true);
              }, ms),
              resolve,
            };
            timers.add(entry);
          }),
  };

  const track = (work: Promise<void>) => {
    const tracked: Promise<void> = work
      .catch((error: Error) =>
        log("error", `a delivery failed unexpectedly: ${error.stack ?? error.message}`),
      )
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  /** The bus's enabled rules that match, and each of their targets, one delivery each. */
  const route = (bus: EventBusDefinition, delivered: DeliveredEvent) => {
    const matched = topology.rules.filter(
      (rule) => rule.enabled && rule.bus === bus.name && matchesPattern(rule.pattern, delivered.value),
    );
    if (matched.length > 0) metrics.matchedEvent();
    for (const rule of matched) {
      metrics.forRule("TriggeredRules", rule);
      for (const target of topology.targets.filter((candidate) => candidate.rule === rule))
        track(deliver(services, target, delivered));
    }
  };

  /** An event entering the bus now. */
  const arriving = (event: BusEvent): DeliveredEvent => ({
    event,
    value: eventValue(event),
    receivedAt: now(),
  });

  const accept = async (
    input: Record<string, unknown>,
    principal?: LocalPrincipal,
  ): Promise<PutEventsResult> => {
    const request = checkPutEventsRequest(input);
    if (!request.ok) return request;
    if (principal) {
      const authorization = await authorizePutEvents(options.authorizer, scope, principal, request.entries);
      if (!authorization.allowed) {
        log("warn", `PutEvents by ${principal.name} refused: ${authorization.decision.message}`);
        return { ok: false, fault: awsFault(400, "AccessDeniedException", authorization.message) };
      }
    }
    const entries = request.entries.map((entry): PutEventsResultEntry => {
      const checked = checkEntry(entry, { awsService: principal === undefined });
      if (!checked.ok) return { ErrorCode: checked.errorCode, ErrorMessage: checked.errorMessage };
      const id = randomUUID();
      const bus = topology.bus(checked.entry.bus);
      if (!bus) {
        // EventBridge answers with an EventId and drops the event: https://github.com/aws/aws-cli/issues/9186
        log("warn", `event ${id} accepted and dropped: there is no event bus ${checked.entry.bus}`);
        return { EventId: id };
      }
      const event = arriving(
        newBusEvent(checked.entry, { id, account: scope.accountId, region: scope.region, receivedAt: now() }),
      );
      track(
        archives.record(
          topology.archives.filter((archive) => archive.bus === bus.name),
          event,
        ),
      );
      route(bus, event);
      return { EventId: id };
    });
    return {
      ok: true,
      output: { FailedEntryCount: entries.filter((entry) => "ErrorCode" in entry).length, Entries: entries },
    };
  };

  const server = await startPutEventsServer({
    port: options.port,
    region: scope.region,
    credentials: options.credentials,
    now,
    log,
    putEvents: (input, principal) => accept(input, principal),
  });

  const settled = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
    await archives.settled();
  };

  return {
    url: server.url,
    putEvents: (entries, principal) =>
      accept(
        // On the wire a timestamp is epoch seconds.
        {
          Entries: entries.map(({ Time, ...entry }) =>
            Time ? { ...entry, Time: Time.getTime() / 1000 } : entry,
          ),
        },
        principal,
      ),

    async replay(archiveName, from, to, replayName = `${archiveName}-${now()}`) {
      const archive = topology.archives.find((candidate) => candidate.name === archiveName);
      if (!archive) throw new Error(`There is no archive ${archiveName}`);
      if (!(from.getTime() < to.getTime()))
        throw new Error("A replay's end time must be after its start time");
      const bus = topology.bus(archive.bus)!;
      const selected = (await archives.read(archive, now())).filter(({ event }) => {
        const time = Date.parse(event.header.time);
        return time >= from.getTime() && time < to.getTime();
      });
      for (const { event } of selected)
        route(bus, arriving({ ...event, header: { ...event.header, "replay-name": replayName } }));
      return { replayName, eventCount: selected.length };
    },

    metrics: () => metrics.snapshot(),
    settled,

    async close() {
      closed = true;
      for (const { timer, resolve } of timers) {
        clearTimeout(timer);
        resolve(false);
      }
      timers.clear();
      await server.close();
      await settled();
    },
  };
}
