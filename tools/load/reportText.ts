import type { Percentiles } from "./percentiles";
import type { LoadReport } from "./loadReport";

/** A load report for a person: what was offered, what came out, what went wrong, what bounded it. */
const ms = (value: Percentiles | null) =>
  value ? `p50 ${value.p50} ms, p95 ${value.p95} ms, p99 ${value.p99} ms` : "not measured";

export function formatReport(report: LoadReport): string {
  const { offered, notifications, measurements } = report;
  const lines = [
    "",
    `Target: ${report.target}`,
    `Offered: ${offered.operations} operations at ${offered.rate}/s for ${offered.durationSeconds} s, ${offered.customers} customers`,
    `Accepted: ${report.accepted} (${report.acceptedPerSecond}/s), rejected: ${report.rejected}`,
    `Latency, request to the API's 202: ${ms(report.apiLatencyMs)}`,
    `Latency, request to SES accepting the e-mail: ${ms(report.latencyMs)}`,
    `E-mails: ${report.emailsPerSecond}/s; notifications due ${notifications.due}: sent ${notifications.sent}, suppressed ${notifications.suppressed}, dead-lettered as expected ${notifications.deadLettered}`,
    `Lost: ${report.lost}, sent twice: ${report.duplicated}${report.duplicatedByFault ? ` (plus ${report.duplicatedByFault} allowed by the fault's documented outcome)` : ""}`,
    `Failed attempts by kind: ${
      Object.keys(report.errors).length === 0
        ? "none"
        : Object.entries(report.errors)
            .map(([kind, n]) => `${kind} × ${n}`)
            .join(", ")
    }`,
    ...report.problems.map((problem) => `  ${problem}`),
    `CPU (cores, ${measurements.machineCores} on this machine): ${
      Object.entries(measurements.cores)
        .map(([group, cores]) => `${group} ${cores}`)
        .join(", ") || "not measured"
    }`,
    ...(measurements.cloudEventLoop
      ? [
          `The local cloud's event loop: busy ${Math.round(measurements.cloudEventLoop.busy * 100)} %; ${Object.entries(
            measurements.cloudEventLoop.stages,
          )
            .map(([stage, share]) => `${stage} ${Math.round((share ?? 0) * 100)} %`)
            .join(", ")}`,
        ]
      : []),
    ...(measurements.notifyQueueMaxDepth !== undefined
      ? [`Notify queue: at most ${measurements.notifyQueueMaxDepth} messages`]
      : []),
    `Arrivals: at most ${measurements.arrivalLagMaxMs} ms behind schedule; outcomes settled ${measurements.drainSeconds} s after the last answer; ${measurements.keptUp ? "kept up" : "did not keep up"}`,
    `Bottleneck: ${report.bottleneck}`,
  ];
  if (report.fault) {
    const { fault } = report;
    lines.push(
      `Fault ${fault.name}: ${fault.fault}`,
      `  documented outcome: ${fault.documentedOutcome}`,
      `  exercised: ${fault.exercised ? "yes" : "NO"} (${Object.entries(fault.evidence)
        .map(([name, n]) => `${name} ${n}`)
        .join(", ")})`,
      `  alarms that would fire: ${fault.alarmsThatWouldFire.join(", ") || "none"}`,
      ...(fault.deadLetterSample
        ? [
            `  a dead letter in ${fault.deadLetterSample.queue}: ${JSON.stringify(fault.deadLetterSample.attributes)}`,
          ]
        : []),
    );
  }
  if (report.interrupted) lines.push("Interrupted: the figures cover what was sent before Ctrl-C.");
  return `${lines.join("\n")}\n`;
}
