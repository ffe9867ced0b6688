/**
 * `npm run load`: a bounded, open-model load on the local cloud (started for the run when none is
 * running) or on a deployed stage, with every accepted operation accounted for. See tools/load/.
 */
import { parseArgs } from "node:util";
import { FAULT_NAMES, FAULT_SCENARIOS, type FaultName } from "./load/faultScenarios";
import { DEFAULT_MIX, readMix } from "./load/operationMix";
import { progressReporter } from "./load/progress";
import { formatReport } from "./load/reportText";
import { runLoad } from "./load/runLoad";
import { FAULT_STACK_CONFIG, LOAD_MAX_CONTAINERS, LOAD_STACK_CONFIG } from "./load/stackConfigs";

const HELP = `npm run load -- [--rate R] [--duration D] [--target local|URL] [--mix FILE] [--fault NAME] [--json] [--state DIR]

Sends operations at a constant arrival rate (an open model: one signed POST /operations every 1/R s,
whether or not earlier ones were answered), after creating the mix's customers; then follows every
accepted operation to its outcome and reports throughput, latency from request to SES acceptance,
errors by kind, what was lost or sent twice, and what bounded the run. Exits 1 if anything was lost
or sent twice (beyond what a fault scenario's documented outcome allows).

  --rate R         operations per second (default 5; at most 1000)
  --duration D     seconds of arrivals (default 20; at most 3600); R × D operations in all
  --target T       local (default): the local cloud running on --state, or one started for the run
                   in .local/load (fresh) with a load test stack configuration
                   ${JSON.stringify({ ...LOAD_STACK_CONFIG, maxContainers: LOAD_MAX_CONTAINERS })};
                   or a stage URL (https://{id}.execute-api.{region}.amazonaws.com/{stage}), signed with
                   the default AWS credential chain, whose identity needs both the producer's and the
                   customer administration's policies
  --mix FILE       the mix as JSON (customers, locales, opt-outs, kinds, amounts); see tools/load/operationMix.ts
  --fault NAME     a fault during the run, on a local cloud the run starts (configuration
                   ${JSON.stringify(FAULT_STACK_CONFIG)}, retry waits 60 × faster):
${FAULT_NAMES.map((name) => `                     ${name}: ${FAULT_SCENARIOS[name].fault}`).join("\n")}
  --state DIR      the local cloud's state folder (default .local to attach to npm start's)
  --drain S        seconds to wait for the outcomes after the last answer (default 120 + 2 × D)
  --json           one JSON document on stdout: { accepted, rejected, lost, duplicated, latencyMs:
                   { p50, p95, p99 }, emailsPerSecond, bottleneck, … }
  --help           this text
`;

function positive(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max)
    throw new Error(`--${name} must be a number above 0 and at most ${max}, not ${raw}`);
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rate: { type: "string" },
      duration: { type: "string" },
      target: { type: "string", default: "local" },
      mix: { type: "string" },
      fault: { type: "string" },
      state: { type: "string" },
      drain: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const rate = positive("rate", values.rate, 5, 1000);
  const durationSeconds = positive("duration", values.duration, 20, 3600);
  if (values.fault !== undefined && !(FAULT_NAMES as readonly string[]).includes(values.fault))
    throw new Error(`--fault must be one of ${FAULT_NAMES.join(", ")}, not ${values.fault}`);
  if (values.fault !== undefined && values.target !== "local")
    throw new Error("--fault works on the local cloud only: faults are injected in its process");
  const controller = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\nStopping: no more arrivals; accounting for what was sent...\n");
    controller.abort();
  });
  const report = await runLoad({
    rate,
    durationSeconds,
    target: values.target,
    mix: values.mix ? readMix(values.mix) : DEFAULT_MIX,
    fault: values.fault as FaultName | undefined,
    stateDir: values.state,
    drainSeconds: positive("drain", values.drain, 120 + 2 * durationSeconds, 7200),
    progress: progressReporter(),
    signal: controller.signal,
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  const faultHeld = !report.fault || report.fault.exercised;
  return report.lost === 0 && report.duplicated === 0 && faultHeld && !report.interrupted ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
