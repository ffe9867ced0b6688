import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { DEFAULTS, ENVIRONMENT, type Environment } from "../config/environment";
import { createLogger, type Logger } from "../observability/logger";
import { createMetrics, type Metrics } from "../observability/metrics";

export interface AwsClients {
  dynamodb: DynamoDBClient;
  ses: SESv2Client;
  eventBridge: EventBridgeClient;
  secretsManager: SecretsManagerClient;
  s3: S3Client;
}

/**
 * What a handler factory may be given. In Lambda nothing is passed: settings come from the
 * environment and the SDK finds its region, credentials and (locally) `AWS_ENDPOINT_URL_*` itself.
 */
export interface HandlerOptions {
  env?: Environment;
  now?: () => number;
  /** How the handler waits (back-off, send spacing); a timer by default. */
  sleep?: (ms: number) => Promise<void>;
  newId?: () => string;
  /** Where log and metric lines go; stdout by default, which Lambda sends to CloudWatch Logs. */
  write?: (line: string) => void;
  clients?: Partial<AwsClients>;
}

export interface HandlerContext {
  env: Environment;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  newId: () => string;
  logger: Logger;
  metrics: Metrics;
  client<K extends keyof AwsClients>(name: K): AwsClients[K];
  documents(): DynamoDBDocumentClient;
}

const CLIENT_FACTORIES: { [K in keyof AwsClients]: () => AwsClients[K] } = {
  dynamodb: () => new DynamoDBClient({}),
  ses: () => new SESv2Client({}),
  eventBridge: () => new EventBridgeClient({}),
  secretsManager: () => new SecretsManagerClient({}),
  s3: () => new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" }),
};

/** A fresh set of the clients the handlers use, configured as they configure them. */
export function createAwsClients(): AwsClients {
  return {
    dynamodb: CLIENT_FACTORIES.dynamodb(),
    ses: CLIENT_FACTORIES.ses(),
    eventBridge: CLIENT_FACTORIES.eventBridge(),
    secretsManager: CLIENT_FACTORIES.secretsManager(),
    s3: CLIENT_FACTORIES.s3(),
  };
}

/** Built once per container by each handler factory: clients, logger and metrics are reused across calls. */
export function createHandlerContext(defaultService: string, options: HandlerOptions = {}): HandlerContext {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const service = env[ENVIRONMENT.serviceName] ?? defaultService;
  const clients: Partial<AwsClients> = { ...options.clients };
  let documents: DynamoDBDocumentClient | undefined;
  const client = <K extends keyof AwsClients>(name: K): AwsClients[K] => {
    if (!clients[name]) clients[name] = CLIENT_FACTORIES[name]() as Partial<AwsClients>[K];
    return clients[name] as AwsClients[K];
  };
  return {
    env,
    now,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    newId: options.newId ?? randomUUID,
    logger: createLogger({
      service,
      level: env[ENVIRONMENT.logLevel] ?? DEFAULTS.logLevel,
      write: options.write,
      now,
    }),
    metrics: createMetrics({
      namespace: env[ENVIRONMENT.metricsNamespace] ?? DEFAULTS.metricsNamespace,
      service,
      write: options.write,
      now,
    }),
    client,
    documents() {
      if (!documents) {
        documents = DynamoDBDocumentClient.from(client("dynamodb"), {
          marshallOptions: { removeUndefinedValues: true },
        });
      }
      return documents;
    },
  };
}
