/**
 * `npm start`: the program's resource graph running on this machine (see local/cloud/localCloud.ts).
 */
import { parseArgs } from "node:util";
import { startLocalCloud, type CloudDescription } from "../local/cloud/localCloud";

const HELP = `npm start [-- options]

Runs the program's resource graph on this machine: tables in dynalite, queues and the evidence
bucket in fauxqs, SES templates in the SES emulator, each function's archive in Node 22 processes,
the REST API, EventBridge, and an IAM evaluator authorizing every call. Writes .local/cloud.json
(where everything is, and credentials for a producer, a customer administrator, an outsider and
an operator, who may redrive the dead-letter queues: npm run redrive).
Ctrl-C stops every process it started.

  --stack NAME       the stack whose Pulumi.<stack>.yaml configures the program (default dev)
  --state DIR        the state folder (default .local); one running instance per folder
  --fresh            start from empty tables, keys and logs (never while an instance runs)
  --port N           try ports N, N+1, … first (free ports otherwise)
  --time-scale N     run EventBridge and Lambda retry waits and event ages N times faster
  --help             this text
`;

function summary(cloud: CloudDescription): string {
  const rows: [string, string][] = [
    ["API (stage URL)", cloud.apiUrl],
    ["e-mail viewer", cloud.viewerUrl],
    ["sent e-mail (JSON)", cloud.sesStoreUrl],
    ["event bus", `${cloud.eventBusName} at ${cloud.endpoints.events}`],
    ["DynamoDB", cloud.endpoints.dynamodb],
    ["S3", cloud.endpoints.s3],
    ["SQS", cloud.endpoints.sqs],
    ["SES v2", cloud.endpoints.ses],
    ["Secrets Manager", cloud.endpoints.secretsmanager],
    ["function logs", cloud.logsDir],
    ["description", `${cloud.stateDir}/cloud.json`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `Local cloud for stack ${cloud.stack} (${cloud.region}, account ${cloud.accountId}): every call is signed and authorized.`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    "",
    "Try: npm run call -- POST /operations --data @operation.json --as producer",
    "Ctrl-C stops it.",
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "dev" },
      state: { type: "string" },
      fresh: { type: "boolean", default: false },
      port: { type: "string" },
      "time-scale": { type: "string", default: "1" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const timeScale = Number(values["time-scale"]);
  if (!(timeScale > 0))
    throw new Error(`--time-scale must be a positive number, not ${values["time-scale"]}`);
  const cloud = await startLocalCloud({
    stack: values.stack,
    stateDir: values.state,
    fresh: values.fresh,
    portBase: values.port ? Number(values.port) : undefined,
    timeScale,
  });
  process.stdout.write(`\n${summary(cloud.description)}\n`);
  const stop = async () => {
    process.stdout.write("\nStopping the local cloud...\n");
    await cloud.stop();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
