import { ERROR_CODES, domainError } from "../domain/errors";

/**
 * Environment variables the functions read. The component sets them from the same names, so a
 * renamed variable fails to compile rather than at run time.
 */
export const ENVIRONMENT = {
  tableName: "TABLE_NAME",
  eventBusName: "EVENT_BUS_NAME",
  eventSource: "EVENT_SOURCE",
  hashKeySecretId: "HASH_KEY_SECRET_ID",
  senderAddress: "SENDER_ADDRESS",
  configurationSetName: "SES_CONFIGURATION_SET",
  templatePrefix: "SES_TEMPLATE_PREFIX",
  evidenceBucket: "EVIDENCE_BUCKET",
  retentionDays: "RECORD_RETENTION_DAYS",
  leaseSeconds: "NOTIFICATION_LEASE_SECONDS",
  metricsNamespace: "METRICS_NAMESPACE",
  serviceName: "SERVICE_NAME",
  /**
   * The runtime logger's own level, the stack's `logLevel`. Not AWS_LAMBDA_LOG_LEVEL: Lambda's filter
   * stays at INFO (or DEBUG) so that embedded-metric lines, which have no level, are kept.
   */
  logLevel: "LOG_LEVEL",
  /** Least time between two SES sends of one notify worker, so that all workers stay within the SES rate. */
  sendIntervalMs: "SES_SEND_INTERVAL_MS",
} as const;
export type EnvironmentKey = keyof typeof ENVIRONMENT;

/**
 * What each handler reads: `required` settings fail the factory when absent, `optional` ones have a
 * default in DEFAULTS. The component gives each function exactly these.
 */
export const HANDLER_SETTINGS = {
  operationsApi: {
    required: ["tableName", "eventBusName", "eventSource", "hashKeySecretId"],
    optional: ["retentionDays", "logLevel"],
  },
  customersApi: { required: ["tableName", "hashKeySecretId"], optional: ["logLevel"] },
  notify: {
    required: [
      "tableName",
      "hashKeySecretId",
      "senderAddress",
      "configurationSetName",
      "templatePrefix",
      "evidenceBucket",
    ],
    optional: ["retentionDays", "leaseSeconds", "sendIntervalMs", "logLevel"],
  },
  sesFeedback: {
    required: ["tableName", "hashKeySecretId", "configurationSetName"],
    optional: ["logLevel"],
  },
} as const satisfies Record<
  string,
  { required: readonly EnvironmentKey[]; optional: readonly EnvironmentKey[] }
>;
export type HandlerId = keyof typeof HANDLER_SETTINGS;

export const DEFAULTS = {
  retentionDays: 400,
  leaseSeconds: 120,
  /** Without the component's setting (a local run), sends are not spaced. */
  sendIntervalMs: 0,
  metricsNamespace: "BankNotifications",
  logLevel: "INFO",
} as const;

export type Environment = Record<string, string | undefined>;

/** Reads the named settings, failing once with every missing variable named. */
export function requireSettings<K extends EnvironmentKey>(
  env: Environment,
  keys: readonly K[],
): Record<K, string> {
  const missing = keys.filter((key) => !env[ENVIRONMENT[key]]);
  if (missing.length > 0) {
    throw domainError(
      ERROR_CODES.configuration,
      `Missing environment variables: ${missing.map((key) => ENVIRONMENT[key]).join(", ")}`,
    );
  }
  return Object.fromEntries(keys.map((key) => [key, env[ENVIRONMENT[key]] as string])) as Record<K, string>;
}

export function numberSetting(env: Environment, key: EnvironmentKey, fallback: number): number {
  const raw = env[ENVIRONMENT[key]];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw domainError(
      ERROR_CODES.configuration,
      `${ENVIRONMENT[key]} must be a positive integer, got "${raw}"`,
    );
  }
  return value;
}
