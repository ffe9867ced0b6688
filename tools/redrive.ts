/**
 * `npm run redrive -- --queue notify|delivery|feedback [--dry-run] [--target local|FILE|aws] [--max N]`:
 * moves dead-lettered messages back to where they failed, once the cause is fixed (tools/redrive/).
 */
import * as path from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { REPO_ROOT } from "../local/pulumi/pulumiMocks";
import { loadCloudDescription } from "./call";
import { formatSummary } from "./redrive/messageSummary";
import { parseRedriveArguments, type RedriveArguments } from "./redrive/redriveArguments";
import { redriveDeadLetters, type RedriveReport } from "./redrive/redriveDeadLetters";
import {
  localTarget,
  namePrefixTarget,
  outputsTarget,
  type ClientSettings,
  type RedriveTarget,
} from "./redrive/redriveTarget";
import { resenderFor, type RedriveClients } from "./redrive/resender";

const HELP = `npm run redrive -- --queue notify|delivery|feedback [options]

Moves the messages of one dead-letter queue back to where they failed, once the cause is fixed:
receive, resend, delete. A message is deleted only after AWS accepted its resend; the first failure
stops the run, leaves that message and the ones after it in the queue, and exits 1.

  notify     back to the notify queue (body and attributes as they were)
  delivery   each event to the target that could not take it (TARGET_ARN): to the notify queue
             wrapped as its rule (RULE_ARN) wraps it, or to the feedback function as an asynchronous
             invocation; an event the bus itself dead-lettered (no TARGET_ARN) back on the bus
  feedback   the feedback function invoked again, asynchronously, with the record's requestPayload

Options:
  --queue NAME         notify, delivery or feedback (required)
  --dry-run            list the messages (id, age, receive count, operation id, kind, error code; nothing
                       personal) and change nothing: each is made visible again at once (SQS has no
                       peek: its receive count still goes up by one)
  --max N              at most N messages (default: until the queue is empty)
  --target local       the local cloud (default): .local/cloud.json, signed as its operator
  --state DIR          the local cloud's state folder (default .local)
  --target FILE        a deployed stack, from its outputs: pulumi stack output --json > FILE
  --target aws         a deployed stack, from its namePrefix (--name-prefix): the component's names
  --name-prefix P      with --target aws: the stack's namePrefix (Pulumi.<stack>.yaml; the component's
                       default is <component name>-<stack>, notifications-<stack> for index.ts)
  --region R           the deployed stack's region (default: the queue URLs', else the AWS chain's)
  --help               this text

Against AWS it signs with the default credential chain (AWS_PROFILE, environment, SSO, role). It
needs sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility, sqs:GetQueueAttributes
(and sqs:GetQueueUrl with --target aws) on the DLQ; sqs:SendMessage on the notify queue;
lambda:InvokeFunction on the feedback function; events:PutEvents on the bus; kms:Decrypt and
kms:GenerateDataKey on the stack key through SQS (docs/OPERATIONS.md, "Redriving dead letters").

Exit status: 0 when every message was moved (or listed), 1 when a message could not be, 2 when
the command line is wrong.
`;

export interface RedriveIo {
  out: (line: string) => void;
  now: () => number;
}

function targetOf(args: RedriveArguments): RedriveTarget {
  const { target } = args;
  switch (target.kind) {
    case "local": {
      const stateDir = path.resolve(target.stateDir ?? path.join(REPO_ROOT, ".local"));
      return localTarget(loadCloudDescription(stateDir), path.join(stateDir, "cloud.json"));
    }
    case "outputs":
      return outputsTarget(target.file, target.region);
    case "aws":
      return namePrefixTarget(target.namePrefix, target.region);
  }
}

function clientsFor(settings: ClientSettings): RedriveClients {
  const common = {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  };
  const { endpoints } = settings;
  return {
    // Local queue URLs name fauxqs's *.localhost hosts: every call goes to the local endpoint instead.
    sqs: new SQSClient({
      ...common,
      ...(endpoints ? { endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false } : {}),
    }),
    lambda:
      endpoints && !endpoints.lambda
        ? undefined
        : new LambdaClient({ ...common, ...(endpoints ? { endpoint: endpoints.lambda } : {}) }),
    events: new EventBridgeClient({ ...common, ...(endpoints ? { endpoint: endpoints.events } : {}) }),
  };
}

function summaryLines(report: RedriveReport, target: string): string[] {
  const what = `the ${report.queue} dead-letter queue of ${target}`;
  const left =
    report.remaining === undefined ? "" : ` About ${report.remaining} message(s) are visible in it now.`;
  if (report.dryRun)
    return [`Listed ${report.listed.length} message(s) of ${what}; nothing was sent or deleted.${left}`];
  const lines = [`Moved ${report.moved.length} message(s) out of ${what}.${left}`];
  if (report.failure) {
    const { summary, stage, error } = report.failure;
    lines.push(
      stage === "resend"
        ? `Stopped at ${summary.messageId} (operation ${summary.operationId ?? "?"}): its resend failed: ${error}. It and the messages after it are still in the queue.`
        : `Stopped at ${summary.messageId} (operation ${summary.operationId ?? "?"}): it was resent but could not be deleted: ${error}. It will be visible again and a new run would resend it a second time (notify's lease and the feedback status make that a duplicate, never a loss).`,
    );
  }
  return lines;
}

/** Runs the command; resolves with its exit status. */
export async function redrive(argv: string[], io: RedriveIo): Promise<number> {
  const parsed = parseRedriveArguments(argv);
  if (parsed.kind === "help") {
    io.out(HELP);
    return 0;
  }
  if (parsed.kind === "invalid") {
    for (const error of parsed.errors) io.out(`error: ${error}`);
    io.out("Nothing was changed. npm run redrive -- --help lists the options.");
    return 2;
  }
  const { args } = parsed;
  const target = targetOf(args);
  const clients = clientsFor(target.settings);
  try {
    const stack = await target.addresses(
      async (name) => (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!,
    );
    const queueUrl = stack.deadLetterQueueUrls[args.queue];
    io.out(`${args.dryRun ? "Listing" : "Redriving"} ${queueUrl.split("/").pop()} (${target.description})`);
    const report = await redriveDeadLetters(clients.sqs, {
      queue: args.queue,
      queueUrl,
      dryRun: args.dryRun,
      max: args.max,
      resend: resenderFor(args.queue, stack, clients, io.now),
      now: io.now,
      progress: ({ summary, to }) => io.out(`  ${formatSummary(summary)}${to ? `  -> ${to}` : ""}`),
    });
    for (const line of summaryLines(report, target.description)) io.out(line);
    return report.failure ? 1 : 0;
  } finally {
    clients.sqs.destroy();
    clients.lambda?.destroy();
    clients.events.destroy();
  }
}

if (require.main === module) {
  redrive(process.argv.slice(2), { out: (line) => process.stdout.write(`${line}\n`), now: Date.now })
    .then((status) => {
      process.exitCode = status;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
