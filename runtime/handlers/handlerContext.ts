import { randomUUID } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsClients } from "../clients/awsClients";
import { createDocumentClient, createDynamoDbClient } from "../clients/dynamodbClient";
import { DEFAULTS, ENVIRONMENT, type Environment } from "../config/environment";
import { createLogger, type Logger } from "../observability/logger";
import { createMetrics, type Metrics } from "../observability/metrics";

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
  /** The injected client `name`, or one built once with `create`: a handler names only the clients it uses. */
  client<K extends keyof AwsClients>(name: K, create: () => AwsClients[K]): AwsClients[K];
  documents(): DynamoDBDocumentClient;
}

/** Built once per container by each handler factory: clients, logger and metrics are reused across calls. */
export function createHandlerContext(defaultService: string, options: HandlerOptions = {}): HandlerContext {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const service = env[ENVIRONMENT.serviceName] ?? defaultService;
  const clients: Partial<AwsClients> = { ...options.clients };
  let documents: DynamoDBDocumentClient | undefined;
  const client = <K extends keyof AwsClients>(name: K, create: () => AwsClients[K]): AwsClients[K] => {
    if (!clients[name]) clients[name] = create() as Partial<AwsClients>[K];
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
      documents ??= createDocumentClient(client("dynamodb", createDynamoDbClient));
      return documents;
    },
  };
}
