import type * as pulumi from "@pulumi/pulumi";

/**
 * A number per Lambda function of the stack; a function left out keeps its default.
 * (An interface rather than a `Record` keyed by function, so that Pulumi's component analyzer can
 * describe it to every Pulumi language.)
 */
export interface FunctionSettings {
  /** The operations API function: `POST /operations` and the operation status routes. */
  operationsApi?: number;
  /** The customers API function: create, read, update and erase customers and their preferences. */
  customersApi?: number;
  /** The notify function: consumes the notify queue and sends the e-mails through SES. */
  notify?: number;
  /** The SES feedback function: delivery, bounce, complaint, reject and rendering-failure events. */
  sesFeedback?: number;
}

/** The four Lambda functions of the stack, by the runtime handler each one runs. */
export const FUNCTION_IDS = [
  "operationsApi",
  "customersApi",
  "notify",
  "sesFeedback",
] as const satisfies readonly (keyof FunctionSettings)[];
export type FunctionId = (typeof FUNCTION_IDS)[number];

/**
 * Log levels the runtime's logger and Lambda's application log level filter both understand.
 * (An object of string constants, which Pulumi's component analyzer reads as an enum; TypeScript
 * programs may still write the plain string, `"INFO"`.)
 */
export const LogLevel = {
  /** Everything, including each step of a notification. */
  Debug: "DEBUG",
  /** One line per handled request or message. */
  Info: "INFO",
  /** Retries and rejected input. */
  Warn: "WARN",
  /** Failures only. */
  Error: "ERROR",
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];
export const LOG_LEVELS: readonly LogLevel[] = Object.values(LogLevel);

/** S3 Object Lock retention modes of the evidence bucket. */
export const ObjectLockMode = {
  /** Users with `s3:BypassGovernanceRetention` can shorten or remove the retention. */
  Governance: "GOVERNANCE",
  /** Nobody, the account's root user included, can shorten or remove the retention. */
  Compliance: "COMPLIANCE",
} as const;
export type ObjectLockMode = (typeof ObjectLockMode)[keyof typeof ObjectLockMode];
export const OBJECT_LOCK_MODES: readonly ObjectLockMode[] = Object.values(ObjectLockMode);

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** API Gateway ends an integration after 29 seconds, so API functions must finish before that. */
export const API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29;
const API_FUNCTIONS: readonly FunctionId[] = ["operationsApi", "customersApi"];

/** EventBridge numeric matching only accepts values within ±5.0e9 (and the runtime clamps there). */
const ROUTING_AMOUNT_LIMIT = 5_000_000_000;

/** Alarm thresholds. Every alarm notifies the alarm topic. */
export interface AlarmThresholds {
  /** Errors of one function in 5 minutes. */
  functionErrors: number;
  /** Throttled invocations of one function in 5 minutes. */
  functionThrottles: number;
  /** p99 duration as a percentage of the function's timeout. */
  functionDurationP99PercentOfTimeout: number;
  /** API 5XX responses in 5 minutes. */
  api5xxErrors: number;
  /** API p99 latency, milliseconds. */
  apiLatencyP99Ms: number;
  /** Age of the oldest message on the notify queue, seconds. */
  queueOldestMessageAgeSeconds: number;
  /** SES bounce rate (0..1) of the configuration set. AWS reviews accounts above 5 %. */
  sesBounceRate: number;
  /** SES complaint rate (0..1) of the configuration set. AWS reviews accounts above 0.1 %. */
  sesComplaintRate: number;
}

/**
 * What a program passes to `BankNotificationStack`. Plain data only; every field but the sender and
 * the hash key has a default in `DEFAULTS`, and every default is the safe choice: a stack opts out of
 * a protection (deletion protection, Object Lock, long retention), never into it.
 */
export interface BankNotificationStackArgs {
  /**
   * Prefix of every physical name (tables, queues, functions, roles, rules, templates, alarms...), so
   * that two instances in one account never collide. Names AWS keeps unique across the account's
   * regions (IAM roles and policies, the dashboard) also end with the region, so one prefix can be
   * used in several regions. Lowercase letters, digits and "-", starting with a letter, at most 26
   * characters (the evidence bucket name adds account and region). Default: `<component name>-<stack>`.
   */
  namePrefix?: string;
  /** `source` of the events core banking puts on the bus. Default "bank.core-banking". */
  eventSource?: string;
  /** The From address of every e-mail. */
  senderAddress: string;
  /**
   * When set, the stack verifies this domain (Easy DKIM, custom MAIL FROM) instead of the single
   * sender address; the sender address must belong to it. Default: unset (address identity).
   */
  sendingDomain?: string;
  /** Label of the custom MAIL FROM domain under `sendingDomain`. Default "bounce". */
  mailFromSubdomain?: string;
  /** Key of the keyed hashes (account numbers, addresses), at least 32 characters. Pass a Pulumi secret. */
  hashKey: pulumi.Input<string>;
  /** IAM principals (role or user ARNs) allowed to call `POST /operations`. Default: none. */
  producerPrincipalArns?: string[];
  /** IAM principals allowed to call every other route: customers, operation status, failed notifications. Default: none. */
  customerAdminPrincipalArns?: string[];
  /** VPC endpoint ids: when given, the API is PRIVATE and reachable only through them. Default: regional API. */
  privateApiVpcEndpointIds?: string[];
  /**
   * Set the region's API Gateway CloudWatch Logs role (one per account and region, shared with other
   * teams). Access logs need it; leave false when the platform already set it, and in any stack that
   * may be destroyed. The role, its policy and the setting are kept when the stack is destroyed.
   * Default false.
   */
  manageApiGatewayAccountRole?: boolean;
  /** API stage name. Default "v1". */
  apiStageName?: string;
  /** Stage-wide steady request rate, requests per second. Default 50. */
  apiThrottlingRateLimit?: number;
  /** Stage-wide burst, requests. Default 100. */
  apiThrottlingBurstLimit?: number;
  /** SES sending rate (messages per second) this stack may use; sizes the notify function's concurrency. Default 14. */
  sesMaxSendRate?: number;
  /**
   * Deliveries of a notify-queue message before SQS moves it to the notify DLQ (the redrive policy's
   * maxReceiveCount, 1 to 1,000). AWS advises at least 5 for a Lambda consumer, so that throttling
   * alone never dead-letters a message. Default 5.
   */
  notifyMaxReceiveCount?: number;
  /**
   * The account's SES is still in the sandbox, where SES also authorises the recipient's identity:
   * the notify role may then send to any identity of the account, still only from `senderAddress`.
   * Default false.
   */
  sesSandbox?: boolean;
  /** Large-amount alert thresholds in whole major units per ISO 4217 currency. Default 10,000 EUR/USD/GBP/CHF. */
  largeAmountThresholds?: Record<string, number>;
  /** Retention of every log group, days (a value CloudWatch Logs accepts). Default 400. */
  logRetentionDays?: number;
  /** Application log level of every function. Default "INFO". */
  logLevel?: LogLevel;
  /** How long operation and notification records live before DynamoDB's TTL removes them, days. Default 400. */
  recordRetentionDays?: number;
  /** Retention of the bus archive used for replay, days (0 keeps events forever). Default 365. */
  eventArchiveRetentionDays?: number;
  /** Evidence objects are kept this long (Object Lock retention, then lifecycle expiry), days. Default 3653. */
  evidenceRetentionDays?: number;
  /** Write-once evidence with S3 Object Lock; it can only be chosen when the bucket is created. Default true. */
  evidenceObjectLock?: boolean;
  /** Object Lock mode. Default "COMPLIANCE" (nobody, root included, can shorten the retention). */
  evidenceObjectLockMode?: ObjectLockMode;
  /** Pulumi `protect` and DynamoDB deletion protection on the data (key, table, bucket, secret). Default true. */
  protect?: boolean;
  /** Waiting period before the KMS key is deleted, days (7 to 30). Default 30. */
  kmsKeyDeletionWindowDays?: number;
  /** Waiting period before the hash-key secret is deleted, days (7 to 30). Default 30. */
  secretRecoveryWindowDays?: number;
  /** E-mail address subscribed to the alarm topic. Default: no subscription. */
  alarmEmail?: string;
  /** Alarm thresholds; missing fields keep their default. */
  alarmThresholds?: Partial<AlarmThresholds>;
  /**
   * Also alarm on the SES account's bounce and complaint rates in the region (the rates AWS reviews
   * an account on), besides the configuration set's own. Every stack of an account and region sees
   * the same account rates, so turn this on in one of them only. Default false.
   */
  sesAccountReputationAlarms?: boolean;
  /** Lambda runtime of every function. Default "nodejs22.x". */
  lambdaRuntime?: string;
  /**
   * Memory per function, MB (128 to 10240); missing functions keep their default: 512 for the two
   * API functions and notify, 256 for SES feedback.
   */
  functionMemoryMb?: FunctionSettings;
  /**
   * Timeout per function, seconds; missing functions keep their default: 10 for the two API
   * functions (at most 28: API Gateway ends an integration after 29 s), 60 for notify, 30 for SES
   * feedback (at most 900).
   */
  functionTimeoutSeconds?: FunctionSettings;
  /** Tags on every taggable resource. */
  tags?: Record<string, string>;
}

/** The defaults, all in one place. */
export const DEFAULTS = {
  eventSource: "bank.core-banking",
  mailFromSubdomain: "bounce",
  producerPrincipalArns: [] as string[],
  customerAdminPrincipalArns: [] as string[],
  privateApiVpcEndpointIds: [] as string[],
  manageApiGatewayAccountRole: false,
  apiStageName: "v1",
  apiThrottlingRateLimit: 50,
  apiThrottlingBurstLimit: 100,
  sesMaxSendRate: 14,
  notifyMaxReceiveCount: 5,
  sesSandbox: false,
  largeAmountThresholds: { EUR: 10_000, USD: 10_000, GBP: 10_000, CHF: 10_000 } as Record<string, number>,
  logRetentionDays: 400,
  logLevel: "INFO" as LogLevel,
  recordRetentionDays: 400,
  eventArchiveRetentionDays: 365,
  evidenceRetentionDays: 3653,
  evidenceObjectLock: true,
  evidenceObjectLockMode: "COMPLIANCE" as ObjectLockMode,
  protect: true,
  kmsKeyDeletionWindowDays: 30,
  secretRecoveryWindowDays: 30,
  alarmThresholds: {
    functionErrors: 1,
    functionThrottles: 1,
    functionDurationP99PercentOfTimeout: 80,
    api5xxErrors: 1,
    apiLatencyP99Ms: 3000,
    queueOldestMessageAgeSeconds: 900,
    sesBounceRate: 0.05,
    sesComplaintRate: 0.001,
  } as AlarmThresholds,
  sesAccountReputationAlarms: false,
  lambdaRuntime: "nodejs22.x",
  functionMemoryMb: {
    operationsApi: 512,
    customersApi: 512,
    notify: 512,
    sesFeedback: 256,
  } satisfies Required<FunctionSettings>,
  functionTimeoutSeconds: {
    operationsApi: 10,
    customersApi: 10,
    notify: 60,
    sesFeedback: 30,
  } satisfies Required<FunctionSettings>,
  tags: {} as Record<string, string>,
} as const;

/** Everything the modules read: the args with their defaults applied and checked. */
export interface StackSettings extends Required<
  Omit<BankNotificationStackArgs, "sendingDomain" | "alarmEmail" | "alarmThresholds">
> {
  sendingDomain?: string;
  alarmEmail?: string;
  alarmThresholds: AlarmThresholds;
  functionMemoryMb: Record<FunctionId, number>;
  functionTimeoutSeconds: Record<FunctionId, number>;
}

const NAME_PREFIX = /^[a-z][a-z0-9-]*[a-z0-9]$/;
export const NAME_PREFIX_MAX_LENGTH = 26;
const EMAIL_ADDRESS = /^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}$/i;
const DOMAIN = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;
const EVENT_SOURCE = /^[A-Za-z0-9._-]{1,256}$/;
/**
 * Roles and users only: the API's explicit deny compares `aws:PrincipalArn`, which for a session is
 * its role's ARN, never an account root or an assumed-role session ARN, so those would be locked out.
 */
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/;
const VPC_ENDPOINT_ID = /^vpce-[0-9a-f]{8,17}$/;

function fail(message: string): never {
  throw new Error(`BankNotificationStack: ${message}`);
}

/** Rejects keys a program may have misspelt (YAML and other languages have no type checker to do it). */
function checkKnownKeys(label: string, value: object | undefined, known: readonly string[]): void {
  for (const key of Object.keys(value ?? {})) {
    if (!known.includes(key)) fail(`${label} has no setting "${key}"; use one of ${known.join(", ")}`);
  }
}

function checkInteger(label: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${label} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Bounds of the whole-number arguments, as AWS accepts them. */
const INTEGER_BOUNDS = {
  apiThrottlingRateLimit: [1, 10_000],
  apiThrottlingBurstLimit: [1, 5_000],
  sesMaxSendRate: [1, 10_000],
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (RedrivePolicy)
  notifyMaxReceiveCount: [1, 1_000],
  recordRetentionDays: [1, 36_500],
  eventArchiveRetentionDays: [0, 36_500],
  evidenceRetentionDays: [1, 36_500],
  kmsKeyDeletionWindowDays: [7, 30],
  secretRecoveryWindowDays: [7, 30],
} as const;

/** Derives a valid default prefix from the component and stack names. */
export function defaultNamePrefix(componentName: string, stack: string): string {
  return `${componentName}-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
}

/** Applies the defaults and checks every value, failing with a message that says what to change. */
export function resolveSettings(
  componentName: string,
  stack: string,
  args: BankNotificationStackArgs,
): StackSettings {
  const integerArg = (name: keyof typeof INTEGER_BOUNDS) => {
    const [min, max] = INTEGER_BOUNDS[name];
    return checkInteger(name, args[name] ?? DEFAULTS[name], min, max);
  };
  const namePrefix = args.namePrefix ?? defaultNamePrefix(componentName, stack);
  if (!NAME_PREFIX.test(namePrefix) || namePrefix.length > NAME_PREFIX_MAX_LENGTH) {
    fail(
      `namePrefix "${namePrefix}" must be 2 to ${NAME_PREFIX_MAX_LENGTH} lowercase letters, digits or "-", ` +
        `start with a letter and end with a letter or digit`,
    );
  }
  const eventSource = args.eventSource ?? DEFAULTS.eventSource;
  if (!EVENT_SOURCE.test(eventSource) || eventSource.startsWith("aws.")) {
    fail(
      `eventSource "${eventSource}" must be 1 to 256 letters, digits, ".", "_" or "-" and must not start with "aws."`,
    );
  }
  if (!EMAIL_ADDRESS.test(args.senderAddress ?? ""))
    fail(`senderAddress "${args.senderAddress}" is not an e-mail address`);
  const sendingDomain = args.sendingDomain?.toLowerCase();
  if (sendingDomain !== undefined) {
    if (!DOMAIN.test(sendingDomain)) fail(`sendingDomain "${sendingDomain}" is not a domain name`);
    if (!args.senderAddress.toLowerCase().endsWith(`@${sendingDomain}`)) {
      fail(`senderAddress "${args.senderAddress}" must be an address of sendingDomain "${sendingDomain}"`);
    }
  }
  const mailFromSubdomain = args.mailFromSubdomain ?? DEFAULTS.mailFromSubdomain;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(mailFromSubdomain)) {
    fail(`mailFromSubdomain "${mailFromSubdomain}" must be one DNS label`);
  }
  const principals = (label: string, arns: string[] | undefined) => {
    for (const arn of arns ?? []) {
      if (!IAM_PRINCIPAL_ARN.test(arn))
        fail(`${label} holds "${arn}": give an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)`);
    }
    return [...(arns ?? [])];
  };
  const privateApiVpcEndpointIds = [...(args.privateApiVpcEndpointIds ?? DEFAULTS.privateApiVpcEndpointIds)];
  for (const id of privateApiVpcEndpointIds) {
    if (!VPC_ENDPOINT_ID.test(id))
      fail(`privateApiVpcEndpointIds holds "${id}", which is not a VPC endpoint id (vpce-...)`);
  }
  const apiStageName = args.apiStageName ?? DEFAULTS.apiStageName;
  if (!/^[A-Za-z0-9_]{1,128}$/.test(apiStageName))
    fail(`apiStageName "${apiStageName}" must be letters, digits or "_"`);

  const largeAmountThresholds = { ...(args.largeAmountThresholds ?? DEFAULTS.largeAmountThresholds) };
  if (Object.keys(largeAmountThresholds).length === 0)
    fail("largeAmountThresholds needs at least one currency");
  for (const [currency, threshold] of Object.entries(largeAmountThresholds)) {
    if (!/^[A-Z]{3}$/.test(currency))
      fail(`largeAmountThresholds key "${currency}" is not an ISO 4217 currency code`);
    checkInteger(`largeAmountThresholds.${currency}`, threshold, 1, ROUTING_AMOUNT_LIMIT);
  }

  const logRetentionDays = args.logRetentionDays ?? DEFAULTS.logRetentionDays;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    fail(
      `logRetentionDays ${logRetentionDays} is not accepted by CloudWatch Logs; use one of ${LOG_RETENTION_DAYS.join(", ")}`,
    );
  }
  const logLevel = args.logLevel ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) fail(`logLevel "${logLevel}" must be one of ${LOG_LEVELS.join(", ")}`);
  const evidenceObjectLockMode = args.evidenceObjectLockMode ?? DEFAULTS.evidenceObjectLockMode;
  if (!OBJECT_LOCK_MODES.includes(evidenceObjectLockMode)) {
    fail(`evidenceObjectLockMode "${evidenceObjectLockMode}" must be one of ${OBJECT_LOCK_MODES.join(", ")}`);
  }

  checkKnownKeys("alarmThresholds", args.alarmThresholds, Object.keys(DEFAULTS.alarmThresholds));
  const alarmThresholds = { ...DEFAULTS.alarmThresholds, ...args.alarmThresholds };
  for (const [key, value] of Object.entries(alarmThresholds)) {
    if (typeof value !== "number" || !(value > 0)) fail(`alarmThresholds.${key} must be a positive number`);
  }
  if (alarmThresholds.sesBounceRate >= 1 || alarmThresholds.sesComplaintRate >= 1) {
    fail("alarmThresholds.sesBounceRate and sesComplaintRate are rates between 0 and 1");
  }

  checkKnownKeys("functionMemoryMb", args.functionMemoryMb, FUNCTION_IDS);
  checkKnownKeys("functionTimeoutSeconds", args.functionTimeoutSeconds, FUNCTION_IDS);
  const functionMemoryMb = { ...DEFAULTS.functionMemoryMb, ...args.functionMemoryMb };
  const functionTimeoutSeconds = { ...DEFAULTS.functionTimeoutSeconds, ...args.functionTimeoutSeconds };
  for (const id of FUNCTION_IDS) {
    checkInteger(`functionMemoryMb.${id}`, functionMemoryMb[id], 128, 10_240);
    const maxTimeout = API_FUNCTIONS.includes(id) ? API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS - 1 : 900;
    checkInteger(`functionTimeoutSeconds.${id}`, functionTimeoutSeconds[id], 1, maxTimeout);
  }

  if (args.alarmEmail !== undefined && !EMAIL_ADDRESS.test(args.alarmEmail)) {
    fail(`alarmEmail "${args.alarmEmail}" is not an e-mail address`);
  }

  return {
    namePrefix,
    eventSource,
    senderAddress: args.senderAddress,
    sendingDomain,
    mailFromSubdomain,
    hashKey: args.hashKey,
    producerPrincipalArns: principals("producerPrincipalArns", args.producerPrincipalArns),
    customerAdminPrincipalArns: principals("customerAdminPrincipalArns", args.customerAdminPrincipalArns),
    privateApiVpcEndpointIds,
    manageApiGatewayAccountRole: args.manageApiGatewayAccountRole ?? DEFAULTS.manageApiGatewayAccountRole,
    apiStageName,
    apiThrottlingRateLimit: integerArg("apiThrottlingRateLimit"),
    apiThrottlingBurstLimit: integerArg("apiThrottlingBurstLimit"),
    sesMaxSendRate: integerArg("sesMaxSendRate"),
    notifyMaxReceiveCount: integerArg("notifyMaxReceiveCount"),
    sesSandbox: args.sesSandbox ?? DEFAULTS.sesSandbox,
    largeAmountThresholds,
    logRetentionDays,
    logLevel,
    recordRetentionDays: integerArg("recordRetentionDays"),
    eventArchiveRetentionDays: integerArg("eventArchiveRetentionDays"),
    evidenceRetentionDays: integerArg("evidenceRetentionDays"),
    evidenceObjectLock: args.evidenceObjectLock ?? DEFAULTS.evidenceObjectLock,
    evidenceObjectLockMode,
    protect: args.protect ?? DEFAULTS.protect,
    kmsKeyDeletionWindowDays: integerArg("kmsKeyDeletionWindowDays"),
    secretRecoveryWindowDays: integerArg("secretRecoveryWindowDays"),
    alarmEmail: args.alarmEmail,
    alarmThresholds,
    sesAccountReputationAlarms: args.sesAccountReputationAlarms ?? DEFAULTS.sesAccountReputationAlarms,
    lambdaRuntime: args.lambdaRuntime ?? DEFAULTS.lambdaRuntime,
    functionMemoryMb,
    functionTimeoutSeconds,
    tags: { ...DEFAULTS.tags, ...args.tags },
  };
}
