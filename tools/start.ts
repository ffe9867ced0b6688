/**
 * `npm start`: the runtime on this machine, against real local services (dynalite, the SES
 * emulator, a local S3) on 127.0.0.1. It seeds two demo customers, submits a few operations through
 * the operations API handler, hands what reaches the bus to the notify handler, prints the e-mail
 * viewer's address and keeps serving until Ctrl-C. `npm start -- --fresh` forgets the saved state.
 *
 * Until the local cloud runs the component's whole resource graph, the step from bus to queue is
 * done here: each event is matched against the component's own rule patterns (one per kind, and the
 * large-amount rule with the default thresholds) by the local EventBridge pattern matcher.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DynamoDBClient, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { ENVIRONMENT } from "../runtime/config/environment";
import { createCustomersApiHandler, createNotifyHandler, createOperationsApiHandler } from "../runtime";
import {
  LARGE_AMOUNT_NOTIFICATION,
  OPERATION_KINDS,
  type NotificationKind,
} from "../runtime/domain/operationKinds";
import { largeAmountRulePattern, operationRulePattern } from "../components/events";
import { DEFAULTS } from "../components/settings";
import { matchesPattern } from "../local/eventbridge/pattern";
import { startLocalServices, type RecordedEvent } from "../local/localServices";
import { createTableFromDesign, uploadTemplates } from "../local/bootstrap";

const STATE_DIR = resolve(__dirname, "..", ".local");
const PORTS = { dynamodb: 8000, ses: 8005, s3: 9000, eventBridge: 9001, secretsManager: 9002 };
const EVENT_SOURCE = "bank.core-banking";

const CUSTOMERS = [
  {
    id: "demo-camille",
    body: {
      email: "camille.martin@example.com",
      locale: "fr-FR",
      displayName: "Camille Martin",
      timeZone: "Europe/Paris",
    },
  },
  {
    id: "demo-alex",
    body: {
      email: "alex.morgan@example.com",
      locale: "en-GB",
      displayName: "Alex Morgan",
      timeZone: "Europe/London",
    },
  },
];

function operations(runId: string, occurredAt: string) {
  return [
    {
      id: `${runId}-1`,
      customerId: "demo-camille",
      kind: "deposit",
      accountIban: "FR7630006000011234567890189",
      amount: { value: "1234.56", currency: "EUR" },
      balanceAfter: { value: "4321.00", currency: "EUR" },
      occurredAt,
      description: "Salaire mars",
    },
    {
      id: `${runId}-2`,
      customerId: "demo-alex",
      kind: "card-payment",
      accountIban: "GB82WEST12345698765432",
      amount: { value: "42.50", currency: "GBP" },
      occurredAt,
      description: "Coffee & Co, London",
    },
    {
      id: `${runId}-3`,
      customerId: "demo-camille",
      kind: "transfer-in",
      accountIban: "FR7630006000011234567890189",
      amount: { value: "20000000.00", currency: "EUR" },
      occurredAt,
      counterparty: { name: "Notaire Dupont & Associés", iban: "DE89370400440532013000" },
    },
    {
      id: `${runId}-4`,
      customerId: "demo-alex",
      kind: "card-blocked",
      accountIban: "GB82WEST12345698765432",
      occurredAt,
      description: "Card ending 4242 blocked after three wrong PINs",
    },
  ];
}

/** What the component's rules would put on the notify queue for this event. */
function notificationKinds(event: RecordedEvent): NotificationKind[] {
  const busEvent = {
    source: event.Source,
    "detail-type": event.DetailType,
    detail: JSON.parse(event.Detail),
  };
  const rules: [NotificationKind, object][] = [
    ...OPERATION_KINDS.map((kind): [NotificationKind, object] => [
      kind,
      operationRulePattern(EVENT_SOURCE, kind),
    ]),
    [LARGE_AMOUNT_NOTIFICATION, largeAmountRulePattern(EVENT_SOURCE, DEFAULTS.largeAmountThresholds)],
  ];
  return rules.filter(([, pattern]) => matchesPattern(pattern, busEvent)).map(([kind]) => kind);
}

async function main() {
  if (process.argv.includes("--fresh")) rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(join(STATE_DIR, "dynamodb"), { recursive: true });
  const hashKeyFile = join(STATE_DIR, "hash-key");
  if (!existsSync(hashKeyFile)) writeFileSync(hashKeyFile, randomBytes(32).toString("hex"), { mode: 0o600 });

  const queued: RecordedEvent[] = [];
  const services = await startLocalServices({
    dynamodbPath: join(STATE_DIR, "dynamodb"),
    ports: PORTS,
    onEvent: (e) => queued.push(e),
  });
  Object.assign(process.env, services.awsEnvironment());
  const secretId = "arn:aws:secretsmanager:eu-west-1:000000000000:secret:local-hash-key";
  services.secrets[secretId] = readFileSync(hashKeyFile, "utf8");

  const env = {
    ...(process.env as Record<string, string>),
    [ENVIRONMENT.tableName]: "bank-notifications",
    [ENVIRONMENT.eventBusName]: "bank-operations",
    [ENVIRONMENT.eventSource]: EVENT_SOURCE,
    [ENVIRONMENT.hashKeySecretId]: secretId,
    [ENVIRONMENT.senderAddress]: "notifications@bank.example",
    [ENVIRONMENT.configurationSetName]: "bank-notifications",
    [ENVIRONMENT.templatePrefix]: "local",
    [ENVIRONMENT.evidenceBucket]: "bank-notification-evidence",
  };
  const dynamodb = new DynamoDBClient({});
  const tableExists = await dynamodb.send(new DescribeTableCommand({ TableName: env.TABLE_NAME })).then(
    () => true,
    () => false,
  );
  if (!tableExists) await createTableFromDesign(dynamodb, env.TABLE_NAME);
  await new S3Client({}).send(new CreateBucketCommand({ Bucket: env.EVIDENCE_BUCKET }));
  await uploadTemplates(new SESv2Client({}), env.SES_TEMPLATE_PREFIX);

  const logFile = join(STATE_DIR, "runtime.log");
  const write = (line: string) => appendFileSync(logFile, `${line}\n`);
  const customersApi = createCustomersApiHandler({ env, write });
  const operationsApi = createOperationsApiHandler({ env, write });
  const notify = createNotifyHandler({ env, write });
  for (const customer of CUSTOMERS) {
    await customersApi({
      httpMethod: "PUT",
      resource: "/customers/{id}",
      pathParameters: { id: customer.id },
      body: JSON.stringify(customer.body),
    });
  }
  const runId = `demo-${Date.now().toString(36)}`;
  for (const operation of operations(runId, new Date().toISOString())) {
    const response = await operationsApi({
      httpMethod: "POST",
      resource: "/operations",
      body: JSON.stringify(operation),
    });
    console.log(`POST /operations ${operation.kind.padEnd(13)} → ${response.statusCode}`);
  }
  for (const event of queued.splice(0)) {
    for (const kind of notificationKinds(event)) {
      const body = JSON.stringify({
        notificationKind: kind,
        event: {
          id: event.eventId,
          source: event.Source,
          "detail-type": event.DetailType,
          time: new Date().toISOString(),
          detail: JSON.parse(event.Detail),
        },
      });
      const result = await notify({ Records: [{ messageId: `${event.eventId}-${kind}`, body }] });
      console.log(`notify ${kind.padEnd(13)} → ${result.batchItemFailures.length === 0 ? "ok" : "failed"}`);
    }
  }

  const store = (await (await fetch(`${services.endpoints.ses}/store`)).json()) as {
    emails: { subject: string; destination: { to: string[] } }[];
  };
  console.log(`\n${store.emails.length} e-mail(s) sent:`);
  for (const email of store.emails) console.log(`  ${email.destination.to.join(", ")}: ${email.subject}`);
  console.log(`\nE-mail viewer:   ${services.endpoints.ses}/`);
  console.log(`DynamoDB:        ${services.endpoints.dynamodb} (table ${env.TABLE_NAME}, state in .local/)`);
  console.log(`S3 (evidence):   ${services.endpoints.s3}/${env.EVIDENCE_BUCKET}`);
  console.log(`Function logs:   ${logFile}`);
  console.log("Serving until Ctrl-C.");

  const stop = async () => {
    await services.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
