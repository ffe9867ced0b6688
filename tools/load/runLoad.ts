import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { accountFor, type NotificationRecord, type TrackedOperation } from "./accounting";
import { alarmsThatWouldFire, apiErrorMetrics, queueDepthMetric } from "./alarms";
import { runArrivals } from "./arrivals";
import type { CloudControl } from "./cloudControl";
import type { HostExtras } from "./cloudHost";
import { expectedNotifications } from "./expectations";
import { FAULT_SCENARIOS, type ActiveFault, type FaultName, type FaultScenario } from "./faultScenarios";
import { buildReport, type LoadReport, type RunRecord } from "./loadReport";
import {
  deadLettersByNotification,
  forEachLimited,
  functionLogRecords,
  notificationRecords,
  settled,
  stackQueues,
  type DeadLetterFound,
  type StackQueues,
} from "./observe";
import { customerBody, customersFor, operationSource, type OperationMix } from "./operationMix";
import { readCpu, type CpuReading } from "./processCpu";
import { submitOperation, type Submission } from "./producer";
import type { ProgressReporter } from "./progress";
import { scenarioEnvironment } from "./scenarioEnvironment";
import { notificationKey, sesLedger, type SesLedger } from "./sesLedger";
import { callApi, type ApiTarget } from "./signedApi";
import { FAULT_STACK_CONFIG } from "./stackConfigs";
import { stackSetting } from "./stackSettings";
import { openTarget, type Target } from "./target";

/**
 * One load run: the mix's customers first, then operations at a constant arrival rate for the
 * duration (with a fault scenario on its own timeline if asked), then every accepted operation is
 * followed to its outcome and accounted for; the figures and the bottleneck come from what was
 * measured meanwhile (CPU per process, the cloud's event loop, the notify queue's depth).
 */
export interface LoadOptions {
  rate: number;
  durationSeconds: number;
  /** `local`, or a deployed stage URL. */
  target: string;
  mix: OperationMix;
  fault?: FaultName;
  stateDir?: string;
  /** How long to wait for the outcomes once the last operation is answered. */
  drainSeconds: number;
  progress: ProgressReporter;
  signal: AbortSignal;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const target = await openTarget({
    target: options.target,
    stateDir: options.stateDir,
    withFaults: options.fault !== undefined,
    progress: options.progress,
  });
  try {
    return buildReport(await run(options, target));
  } finally {
    await target.local?.stop();
  }
}

/** Creates the customers through the API, retrying what is worth retrying. */
async function createCustomers(api: ApiTarget, bodies: [string, unknown][]): Promise<void> {
  await forEachLimited(bodies, 4, async ([id, body]) => {
    for (let attempt = 0; ; attempt++) {
      const answer = await callApi(api, "customerAdmin", "PUT", `/customers/${id}`, body);
      if (answer.status === 200) return;
      if ((answer.status !== 0 && answer.status !== 429 && answer.status < 500) || attempt >= 5)
        throw new Error(
          `PUT /customers/${id} answered ${answer.status || answer.networkError}: ${JSON.stringify(answer.body)}`,
        );
      await pause(500 * 2 ** attempt);
    }
  });
}

/** Samples CPU and the notify queue's depth every second while the run lasts. */
function sampler(target: Target, queues: StackQueues | undefined, onTick: () => void) {
  const readings: CpuReading[] = [];
  const notifyDepths: { at: number; depth: number }[] = [];
  const local = target.local;
  const sample = async () => {
    if (local) readings.push(readCpu(local.pid));
    if (local?.control && queues) {
      const depth = await local.control.queueDepth(queues.notify).catch(() => undefined);
      if (depth) notifyDepths.push({ at: Date.now(), depth: depth.visible + depth.inFlight });
    }
  };
  const timer = setInterval(() => {
    void sample();
    onTick();
  }, 1000);
  return {
    readings,
    notifyDepths,
    sample,
    stop: () => clearInterval(timer),
    /** The notify queue was empty at the last two samples (taken within the last 2.5 s). */
    notifyQueueEmpty: () =>
      notifyDepths.length >= 2 &&
      notifyDepths.slice(-2).every((entry) => entry.depth === 0) &&
      notifyDepths[notifyDepths.length - 1].at > Date.now() - 2500,
  };
}

/** Starts the scenario at its moment of the run, and ends it after its window. */
function scheduleFault(
  scenario: FaultScenario,
  control: CloudControl & HostExtras,
  target: Target,
  durationMs: number,
  progress: ProgressReporter,
  newOperation: Parameters<typeof scenarioEnvironment>[2]["newOperation"],
) {
  const environment = scenarioEnvironment(target.local!.description, control, {
    notifyTimeoutSeconds: FAULT_STACK_CONFIG.functionTimeoutSeconds.notify,
    newOperation,
  });
  const timers: NodeJS.Timeout[] = [];
  let active: ActiveFault | undefined;
  const windowMs = scenario.lastsMs?.(durationMs);
  timers.push(
    setTimeout(() => {
      progress.note(`Fault ${scenario.name}: ${scenario.fault}`);
      scenario.begin(environment, { windowMs }).then(
        (fault) => {
          active = fault;
          if (windowMs !== undefined) timers.push(setTimeout(() => void fault.end(), windowMs));
        },
        (error: unknown) => progress.note(`The fault could not begin: ${String(error)}`),
      );
    }, scenario.beginsAt * durationMs),
  );
  return {
    active: () => active,
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      await active?.end();
    },
  };
}

async function run(options: LoadOptions, target: Target): Promise<RunRecord> {
  const { progress, signal } = options;
  const { local } = target;
  const description = local?.description;
  const control = local?.control;
  const runId = randomBytes(3).toString("hex");
  const customers = customersFor(options.mix, runId, Math.random);
  // Against a stage, the mix's large band stands for the stage's thresholds.
  const thresholds = description
    ? stackSetting(description.stack, "largeAmountThresholds", target.stackConfiguration)
    : Object.fromEntries(
        Object.keys(options.mix.amounts.large.currencies).map((currency) => [
          currency,
          Number(options.mix.amounts.large.min),
        ]),
      );
  progress.note(`Creating ${customers.length} customers through the API...`);
  await createCustomers(
    target.api,
    customers.map((customer) => [customer.id, customerBody(customer)]),
  );
  const nextOperation = operationSource(options.mix, customers, runId, Math.random);
  const count = Math.round(options.rate * options.durationSeconds);
  const durationMs = options.durationSeconds * 1000;
  const ledger: SesLedger | undefined = description ? sesLedger(description.sesAcceptedFile) : undefined;
  ledger?.refresh();
  const queues = description ? stackQueues(description) : undefined;

  const arrived: TrackedOperation[] = [];
  const pending: Promise<Submission>[] = [];
  const answered: Submission[] = [];
  const sentByScenario: TrackedOperation[] = [];
  const startedAt = Date.now();
  let phase = "sending";
  const samples = sampler(target, queues, () => {
    ledger?.refresh();
    progress.update({
      phase,
      sent: pending.length,
      total: count,
      accepted: answered.filter((submission) => submission.accepted).length,
      failedAttempts: answered.reduce(
        (sum, submission) => sum + submission.attempts.filter((attempt) => attempt.status !== 202).length,
        0,
      ),
      emails: ledger
        ? arrived.reduce(
            (sum, item) =>
              sum +
              item.expected.reduce(
                (n, expected) =>
                  n +
                  (ledger.byNotification.get(notificationKey(item.operation.id, expected.kind))?.length ?? 0),
                0,
              ),
            0,
          )
        : 0,
      elapsedMs: Date.now() - startedAt,
    });
  });

  const scenario = options.fault ? FAULT_SCENARIOS[options.fault] : undefined;
  let poisonIndex = 0;
  const fault =
    scenario && control
      ? scheduleFault(scenario, control, target, durationMs, progress, () => {
          const { operation, customer } = nextOperation(count + poisonIndex++, Date.now());
          const poison = { ...operation, id: `${operation.id}-poison` };
          sentByScenario.push({
            operation: poison,
            scheduledAt: Date.now(),
            expected: expectedNotifications(poison, customer, thresholds),
          });
          return poison;
        })
      : undefined;

  if (control) await control.profileStart();
  await samples.sample();
  const arrivals = await runArrivals({
    rate: options.rate,
    count,
    signal,
    arrive: (index, scheduledAt) => {
      const { operation, customer } = nextOperation(index, Date.now());
      arrived.push({
        operation,
        scheduledAt,
        expected: expectedNotifications(operation, customer, thresholds),
      });
      const submission = submitOperation(target.api, operation, scheduledAt);
      pending.push(submission);
      void submission.then((done) => answered.push(done));
    },
  });
  const submissions = await Promise.all(pending);
  const lastAnswerAt = Date.now();
  phase = "draining";

  // Every outcome, bounded: with the cloud's control, until the notify queue is empty (nothing
  // in flight, nothing waiting: poison records have moved to the DLQ); with SES's ledger only,
  // until every e-mail due was accepted; then until GET shows every notification settled.
  const deadline = Date.now() + options.drainSeconds * 1000;
  const accepted = arrived.filter((_, index) => submissions[index].accepted);
  if (control) {
    while (Date.now() < deadline && !signal.aborted && !samples.notifyQueueEmpty()) await pause(500);
  } else if (ledger) {
    const due = accepted.flatMap((item) =>
      item.expected
        .filter((expected) => expected.outcome === "send")
        .map((expected) => notificationKey(item.operation.id, expected.kind)),
    );
    while (Date.now() < deadline && !signal.aborted && !due.every((key) => ledger.byNotification.has(key))) {
      await pause(1000);
      ledger.refresh();
    }
  }
  samples.stop();
  await fault?.stop();
  const stages = control ? await control.profileStop() : undefined;
  await samples.sample();
  const drainedAt = Date.now();
  progress.done();

  const all = [...accepted, ...sentByScenario];
  progress.note(`Checking ${all.length} operations (GET /operations/{id} as the customer administration)...`);
  const deadLetters = new Map<string, DeadLetterFound>();
  let alarms: string[] = [];
  if (control && queues) {
    // Depths first: reading a dead-letter queue hides its messages for a while.
    const depths = await Promise.all(
      [queues.notifyDlq, queues.deliveryDlq].map(async (queue) =>
        queueDepthMetric(queue, (await control.queueDepth(queue)).visible),
      ),
    );
    const definitions = await control.alarms();
    const fiveXx = submissions
      .flatMap((submission) => submission.attempts)
      .filter((attempt) => attempt.status >= 500);
    alarms = alarmsThatWouldFire(definitions, [
      ...(await control.eventMetrics()),
      ...depths,
      ...apiErrorMetrics(definitions, fiveXx.length),
    ]);
    for (const [key, found] of await deadLettersByNotification(control, queues)) deadLetters.set(key, found);
  }
  const records = new Map<string, NotificationRecord[]>();
  let unsettled = all;
  for (;;) {
    await forEachLimited(unsettled, 8, async (item) => {
      const found = await notificationRecords(target.api, item.operation.id);
      if (found) records.set(item.operation.id, found);
    });
    unsettled = unsettled.filter((item) => !settled(item, records.get(item.operation.id), deadLetters));
    if (unsettled.length === 0 || Date.now() >= deadline || signal.aborted) break;
    await pause(2000);
  }
  ledger?.refresh();
  const active = fault?.active();
  const expectsDeadLetter = (queue: string, operationId: string) =>
    scenario !== undefined && active !== undefined && queues !== undefined
      ? scenario.expectsDeadLetter(queue, operationId, active, queues)
      : false;
  const operationOf = (key: string) => key.split(" ")[0];
  const accounting = accountFor(all, {
    records,
    emails: ledger?.byNotification,
    deadLetters: new Map(
      [...deadLetters].map(([key, found]) => [
        key,
        { queue: found.queue, expected: expectsDeadLetter(found.queue, operationOf(key)) },
      ]),
    ),
  });

  let faultRecord: RunRecord["fault"];
  if (scenario && description) {
    const notifyLog = functionLogRecords(
      description,
      "notify",
      all.map((item) => item.operation.id),
    );
    const cloudLog = path.join(description.stateDir, "local-cloud.log");
    const sample = [...deadLetters].find(([key, found]) =>
      expectsDeadLetter(found.queue, operationOf(key)),
    )?.[1];
    faultRecord = {
      scenario,
      evidence: {
        leasesReleased: notifyLog.filter((record) => record.message?.includes("lease released")).length,
        recordsFailed: notifyLog.filter((record) => record.message?.includes("SQS will redeliver it")).length,
        unavailableAnswers: submissions
          .flatMap((submission) => submission.attempts)
          .filter((attempt) => attempt.status === 503 && attempt.requestId).length,
        timeouts: (existsSync(cloudLog) ? readFileSync(cloudLog, "utf8").split("\n") : []).filter((line) =>
          /notify\] ERROR .*Task timed out/.test(line),
        ).length,
        deadLettered: accounting.deadLettered,
      },
      alarms,
      ...(sample
        ? {
            deadLetterSample: {
              queue: sample.queue,
              attributes: { ...sample.message.attributes, ...sample.message.messageAttributes },
            },
          }
        : {}),
    };
  }

  return {
    rate: options.rate,
    durationSeconds: options.durationSeconds,
    customers: customers.length,
    target: target.label,
    ...(target.stackConfiguration ? { stackConfiguration: target.stackConfiguration } : {}),
    ...(local ? { cloudPid: local.pid } : {}),
    ...(description
      ? { sesMaxSendRate: stackSetting(description.stack, "sesMaxSendRate", target.stackConfiguration) }
      : {}),
    arrived,
    submissions,
    accounting,
    ...(ledger ? { emails: ledger.byNotification } : {}),
    arrivals,
    lastAnswerAt,
    drainedAt,
    readings: samples.readings,
    notifyDepths: samples.notifyDepths,
    ...(stages ? { stages } : {}),
    ...(faultRecord ? { fault: faultRecord } : {}),
    interrupted: signal.aborted,
  };
}
