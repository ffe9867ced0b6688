import { randomBytes } from "node:crypto";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { largeAmountRulePattern, operationRulePattern } from "../../components/events";
import { DEFAULTS } from "../../components/settings";
import { createTableFromDesign, uploadTemplates } from "../../local/bootstrap";
import { matchesPattern } from "../../local/eventbridge/pattern";
import { startLocalServices, type LocalServices, type RecordedEvent } from "../../local/localServices";
import { createAwsClients, type AwsClients } from "../../runtime/clients/awsClients";
import { ENVIRONMENT } from "../../runtime/config/environment";
import {
  LARGE_AMOUNT_NOTIFICATION,
  OPERATION_KINDS,
  type NotificationKind,
} from "../../runtime/domain/operationKinds";
import { notificationInputTemplate } from "../../runtime/domain/operationEvent";
import { createCustomersApiHandler } from "../../runtime/handlers/customersApi";
import type { ApiEvent, ApiResult } from "../../runtime/handlers/http";
import { createNotifyHandler, type SqsBatchResponse, type SqsEvent } from "../../runtime/handlers/notify";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createSesFeedbackHandler } from "../../runtime/handlers/sesFeedbackHandler";

/**
 * The world the bench runs handlers in: the local services on 127.0.0.1 (in this process), one table,
 * bucket, secret and template set, customers, and the component's own rules to turn what the API
 * puts on the bus into notify queue messages, as the rules' input transformer writes them.
 */

const EVENT_SOURCE = "bank.core-banking";
const ACCOUNT = "111122223333";

export interface QueueMessage {
  /** The operation and notification kind it stands for. */
  operationId: string;
  notificationKind: NotificationKind;
  body: string;
}

export interface BenchWorld {
  services: LocalServices;
  tableName: string;
  env: Record<string, string>;
  customerIds: string[];
  /** Handlers built as Lambda builds them, on the given clients (each uses only its own). */
  operationsApi(clients: AwsClients): (event: ApiEvent) => Promise<ApiResult>;
  notify(clients: AwsClients): (event: SqsEvent) => Promise<SqsBatchResponse>;
  sesFeedback(clients: AwsClients): ReturnType<typeof createSesFeedbackHandler>;
  /** The API request of a small deposit (one notification) for this customer. */
  deposit(operationId: string, customerId: string): ApiEvent;
  /** Called with what the rules deliver for each event the API publishes from now on. */
  onDelivery(listener: (messages: QueueMessage[]) => void): void;
  /** A client that records nothing, for the bench's own reads. */
  inspector: DynamoDBClient;
  stop(): Promise<void>;
}

const RULES: [NotificationKind, object][] = [
  ...OPERATION_KINDS.map((kind): [NotificationKind, object] => [
    kind,
    operationRulePattern(EVENT_SOURCE, kind),
  ]),
  [LARGE_AMOUNT_NOTIFICATION, largeAmountRulePattern(EVENT_SOURCE, DEFAULTS.largeAmountThresholds)],
];

/** What the component's rules put on the notify queue for one event the API published. */
function deliveries(event: RecordedEvent, region: string): QueueMessage[] {
  const detail = JSON.parse(event.Detail) as { operationId: string; occurredAt: string };
  const busEvent = {
    version: "0",
    id: event.eventId,
    "detail-type": event.DetailType,
    source: event.Source,
    account: ACCOUNT,
    time: new Date().toISOString(),
    region,
    resources: [],
    detail,
  };
  return RULES.filter(([, pattern]) => matchesPattern(pattern, busEvent)).map(([kind]) => ({
    operationId: detail.operationId,
    notificationKind: kind,
    body: notificationInputTemplate(kind).replace("<aws.events.event.json>", JSON.stringify(busEvent)),
  }));
}

export async function startBenchWorld(customerCount: number): Promise<BenchWorld> {
  let listener: (messages: QueueMessage[]) => void = () => undefined;
  const services = await startLocalServices({
    onEvent: (event) => listener(deliveries(event, services.region)),
  });
  Object.assign(process.env, services.awsEnvironment());
  const suffix = randomBytes(4).toString("hex");
  const tableName = `bench-${suffix}`;
  const secretId = `arn:aws:secretsmanager:${services.region}:${ACCOUNT}:secret:bench-hash-key`;
  services.secrets[secretId] = randomBytes(32).toString("hex");
  const env: Record<string, string> = {
    ...services.awsEnvironment(),
    [ENVIRONMENT.tableName]: tableName,
    [ENVIRONMENT.eventBusName]: "bench-bus",
    [ENVIRONMENT.eventSource]: EVENT_SOURCE,
    [ENVIRONMENT.hashKeySecretId]: secretId,
    [ENVIRONMENT.senderAddress]: "notifications@bank.example",
    [ENVIRONMENT.configurationSetName]: "bench",
    [ENVIRONMENT.templatePrefix]: `bench-${suffix}`,
    [ENVIRONMENT.evidenceBucket]: `bench-evidence-${suffix}`,
  };
  const inspector = new DynamoDBClient({});
  await createTableFromDesign(inspector, tableName);
  await new S3Client({}).send(new CreateBucketCommand({ Bucket: env[ENVIRONMENT.evidenceBucket] }));
  await uploadTemplates(new SESv2Client({}), env[ENVIRONMENT.templatePrefix]);

  const customersApi = createCustomersApiHandler({
    env,
    clients: createAwsClients(),
    write: () => undefined,
  });
  const customerIds = Array.from({ length: customerCount }, (_, index) => `bench-customer-${index}`);
  for (const [index, customerId] of customerIds.entries()) {
    const english = index % 2 === 1;
    const saved = await customersApi({
      httpMethod: "PUT",
      resource: "/customers/{id}",
      pathParameters: { id: customerId },
      body: JSON.stringify({
        email: `${customerId}@example.com`,
        locale: english ? "en-GB" : "fr-FR",
        displayName: english ? "Alex Morgan" : "Camille Martin",
        timeZone: english ? "Europe/London" : "Europe/Paris",
      }),
    });
    if (saved.statusCode !== 200) throw new Error(`bench customer ${customerId}: ${saved.body}`);
  }

  return {
    services,
    tableName,
    env,
    customerIds,
    operationsApi: (clients) => createOperationsApiHandler({ env, clients, write: () => undefined }),
    notify: (clients) => createNotifyHandler({ env, clients, write: () => undefined }),
    sesFeedback: (clients) => createSesFeedbackHandler({ env, clients, write: () => undefined }),
    deposit: (operationId, customerId) => ({
      httpMethod: "POST",
      resource: "/operations",
      body: JSON.stringify({
        id: operationId,
        customerId,
        kind: "deposit",
        accountIban: "FR7630006000011234567890189",
        amount: { value: "42.00", currency: "EUR" },
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
        description: "Bench deposit",
      }),
    }),
    onDelivery(next) {
      listener = next;
    },
    inspector,
    stop: () => services.stop(),
  };
}
