import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createCustomersApiHandler } from "../runtime/handlers/customersApi";
import { createNotifyHandler } from "../runtime/handlers/notify";
import { createOperationsApiHandler } from "../runtime/handlers/operationsApi";
import { createSesFeedbackHandler } from "../runtime/handlers/sesFeedbackHandler";
import { ENVIRONMENT, HANDLER_SETTINGS, type EnvironmentKey } from "../runtime/config/environment";
import { TABLE_DESIGN } from "../runtime/domain/tableDesign";
import type { StackContext } from "./context";
import type { Email } from "./email";
import { FUNCTION_HANDLER, functionCode, type HandlerFactory } from "./functionCode";
import { assumeRolePolicy, eventSourceCondition, policyDocument, type PolicyStatementInput } from "./iam";
import { notifyMaximumConcurrency } from "./events";
import { FUNCTION_IDS, type FunctionId, type LogLevel } from "./settings";
import { EVIDENCE_PREFIX } from "../runtime/domain/evidence";

/** How long the notify function's lease on a notification lasts, as a multiple of its timeout. */
const LEASE_TIMEOUT_MULTIPLE = 2;

/** The resources the functions use, created by the other modules. */
export interface FunctionDependencies {
  key: aws.kms.Key;
  table: aws.dynamodb.Table;
  hashKeySecret: aws.secretsmanager.Secret;
  evidenceBucket: aws.s3.Bucket;
  eventBus: aws.cloudwatch.EventBus;
  notifyQueue: aws.sqs.Queue;
  feedbackDlq: aws.sqs.Queue;
  email: Email;
}

export interface StackFunction {
  fn: aws.lambda.Function;
  role: aws.iam.Role;
  rolePolicy: aws.iam.RolePolicy;
  logGroup: aws.cloudwatch.LogGroup;
}
export type StackFunctions = Record<FunctionId, StackFunction>;

/**
 * Each function's handler factory: built once per container by Lambda, from `runtime/`. Imported
 * from the handler's own module (not the `runtime` index) so that its code reaches only that handler.
 */
export const HANDLER_FACTORIES: Record<FunctionId, HandlerFactory> = {
  operationsApi: () => createOperationsApiHandler(),
  customersApi: () => createCustomersApiHandler(),
  notify: () => createNotifyHandler(),
  sesFeedback: () => createSesFeedbackHandler(),
};

const DESCRIPTIONS: Record<FunctionId, string> = {
  operationsApi:
    "The operations routes: records operations, publishes them to the bus, reports their notifications",
  customersApi: "The customer routes: profiles, preferences, erasure, a customer's operations",
  notify: "Consumes the notify queue and sends each notification once through SES",
  sesFeedback: "Applies SES delivery, bounce, complaint, reject and rendering-failure events",
};

function environmentFor(ctx: StackContext, id: FunctionId, deps: FunctionDependencies) {
  const { settings, names } = ctx;
  const values: Partial<Record<EnvironmentKey, pulumi.Input<string>>> = {
    tableName: deps.table.name,
    eventBusName: deps.eventBus.name,
    eventSource: settings.eventSource,
    hashKeySecretId: deps.hashKeySecret.arn,
    senderAddress: settings.senderAddress,
    configurationSetName: deps.email.configurationSet.configurationSetName,
    templatePrefix: names.templatePrefix,
    evidenceBucket: deps.evidenceBucket.bucket,
    retentionDays: String(settings.recordRetentionDays),
    leaseSeconds: String(settings.functionTimeoutSeconds.notify * LEASE_TIMEOUT_MULTIPLE),
    sendIntervalMs: String(notifySendIntervalMs(settings.sesMaxSendRate)),
    logLevel: settings.logLevel,
  };
  return Object.fromEntries([
    [ENVIRONMENT.serviceName, names.functionSlugs[id]],
    [ENVIRONMENT.metricsNamespace, metricsNamespace(names.prefix)],
    ...[...HANDLER_SETTINGS[id].required, ...HANDLER_SETTINGS[id].optional].map((key) => [
      ENVIRONMENT[key],
      values[key],
    ]),
  ]) as Record<string, pulumi.Input<string>>;
}

/**
 * What each function's calls make AWS services do with the stack key on its behalf, with the
 * function's credentials (`kms:ViaService`): DynamoDB decrypts the table key for reads and writes,
 * Secrets Manager decrypts the secret, S3 generates a data key for an upload, SQS decrypts for a
 * consumer and needs both for a producer (the feedback function's on-failure destination).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-authz
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
 */
type KeyUse = { via: "dynamodb" | "secretsmanager" | "s3" | "sqs"; actions: string[] };
const KEY_USE: Record<FunctionId, KeyUse[]> = {
  operationsApi: [
    { via: "dynamodb", actions: ["kms:Decrypt"] },
    { via: "secretsmanager", actions: ["kms:Decrypt"] },
  ],
  customersApi: [
    { via: "dynamodb", actions: ["kms:Decrypt"] },
    { via: "secretsmanager", actions: ["kms:Decrypt"] },
  ],
  notify: [
    { via: "dynamodb", actions: ["kms:Decrypt"] },
    { via: "secretsmanager", actions: ["kms:Decrypt"] },
    { via: "s3", actions: ["kms:GenerateDataKey"] },
    { via: "sqs", actions: ["kms:Decrypt"] },
  ],
  sesFeedback: [
    { via: "dynamodb", actions: ["kms:Decrypt"] },
    { via: "secretsmanager", actions: ["kms:Decrypt"] },
    { via: "sqs", actions: ["kms:GenerateDataKey", "kms:Decrypt"] },
  ],
};

/**
 * The encryption context each service sends with its KMS requests, where AWS documents it: the
 * statement then covers this stack's table, secret or bucket only.
 */
function keyUseStatement(ctx: StackContext, use: KeyUse, deps: FunctionDependencies): PolicyStatementInput {
  const context: Partial<Record<KeyUse["via"], Record<string, pulumi.Input<string>>>> = {
    dynamodb: { "kms:EncryptionContext:aws:dynamodb:tableName": deps.table.name },
    secretsmanager: { "kms:EncryptionContext:SecretARN": deps.hashKeySecret.arn },
    // With an S3 Bucket Key the context is the bucket's ARN, not the object's.
    s3: { "kms:EncryptionContext:aws:s3:arn": deps.evidenceBucket.arn },
  };
  const names = { dynamodb: "DynamoDb", secretsmanager: "SecretsManager", s3: "S3", sqs: "Sqs" };
  return {
    Sid: `UseStackKeyThrough${names[use.via]}`,
    Effect: "Allow",
    Action: use.actions,
    Resource: deps.key.arn,
    Condition: {
      StringEquals: {
        "kms:ViaService": pulumi.interpolate`${use.via}.${ctx.region}.amazonaws.com`,
        ...context[use.via],
      },
    },
  };
}

/** DynamoDB actions per function, on the table and on named indexes, matching what its handler calls. */
const TABLE_ACCESS: Record<FunctionId, { table: string[]; indexes?: Partial<Record<string, string[]>> }> = {
  operationsApi: {
    table: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
    indexes: { [TABLE_DESIGN.indexes.byFailure.name]: ["dynamodb:Query"] },
  },
  customersApi: {
    table: ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"],
    indexes: { [TABLE_DESIGN.indexes.byCustomer.name]: ["dynamodb:Query"] },
  },
  notify: { table: ["dynamodb:GetItem", "dynamodb:UpdateItem"] },
  sesFeedback: {
    table: ["dynamodb:UpdateItem"],
    indexes: { [TABLE_DESIGN.indexes.bySesMessageId.name]: ["dynamodb:Query"] },
  },
};

/** Every statement of a function's role, each on exact ARNs (`*` only for the X-Ray actions AWS cannot scope). */
function roleStatements(
  ctx: StackContext,
  id: FunctionId,
  deps: FunctionDependencies,
  logGroup: aws.cloudwatch.LogGroup,
): PolicyStatementInput[] {
  const access = TABLE_ACCESS[id];
  const statements: PolicyStatementInput[] = [
    {
      Sid: "WriteOwnLogGroup",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: pulumi.interpolate`${logGroup.arn}:*`,
    },
    {
      Sid: "SendActiveTracingData",
      Effect: "Allow",
      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      Resource: "*",
    },
    { Sid: "UseTable", Effect: "Allow", Action: access.table, Resource: deps.table.arn },
    ...Object.entries(access.indexes ?? {}).map(([index, actions]) => ({
      Sid: `QueryIndex${index[0].toUpperCase()}${index.slice(1)}`,
      Effect: "Allow" as const,
      Action: actions ?? [],
      Resource: pulumi.interpolate`${deps.table.arn}/index/${index}`,
    })),
    ...KEY_USE[id].map((use) => keyUseStatement(ctx, use, deps)),
  ];
  const reads = (key: EnvironmentKey) =>
    (HANDLER_SETTINGS[id].required as readonly EnvironmentKey[]).includes(key);
  if (reads("hashKeySecretId")) {
    statements.push({
      Sid: "ReadHashKeySecret",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: deps.hashKeySecret.arn,
    });
  }
  if (reads("eventBusName")) {
    statements.push({
      Sid: "PublishOperationEvents",
      Effect: "Allow",
      Action: "events:PutEvents",
      Resource: deps.eventBus.arn,
      Condition: eventSourceCondition(ctx.settings.eventSource),
    });
  }
  if (id === "notify") {
    const templateArns = deps.email.templates.map((template) => template.arn);
    statements.push(
      {
        Sid: "ConsumeNotifyQueue",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: deps.notifyQueue.arn,
      },
      {
        Sid: "SendTemplatedEmail",
        Effect: "Allow",
        Action: "ses:SendEmail",
        Resource: [
          deps.email.identity.arn,
          deps.email.configurationSet.arn,
          ...templateArns,
          // In the sandbox SES also checks the recipient's (verified) identity.
          ...(ctx.settings.sesSandbox ? [ctx.arn("ses", "identity/*")] : []),
        ],
        Condition: { StringEquals: { "ses:FromAddress": ctx.settings.senderAddress } },
      },
      { Sid: "ReadTemplates", Effect: "Allow", Action: "ses:GetEmailTemplate", Resource: templateArns },
      {
        Sid: "WriteEvidence",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: pulumi.interpolate`${deps.evidenceBucket.arn}/${EVIDENCE_PREFIX}*`,
      },
    );
  }
  if (id === "sesFeedback") {
    statements.push({
      Sid: "SendFailedEventsToDlq",
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: deps.feedbackDlq.arn,
    });
  }
  return statements;
}

/**
 * The four functions. Each one's code is its runtime handler factory, serialized and bundled into one
 * file (`functionCode.ts`), with its own role (inline policy only, no managed policy), a
 * KMS-encrypted log group with JSON logs, active tracing and an explicit runtime.
 */
export function createFunctions(ctx: StackContext, deps: FunctionDependencies): StackFunctions {
  const { settings, names } = ctx;
  const create = (id: FunctionId): StackFunction => {
    const slug = names.functionSlugs[id];
    const logGroup = new aws.cloudwatch.LogGroup(
      `${ctx.name}-${slug}`,
      {
        name: names.logGroups[id],
        retentionInDays: settings.logRetentionDays,
        kmsKeyId: deps.key.arn,
        tags: settings.tags,
      },
      ctx.opts(),
    );
    const role = new aws.iam.Role(
      `${ctx.name}-${slug}`,
      {
        name: ctx.accountWideNames.roles[id],
        description: `Execution role of ${names.functions[id]}`,
        assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
        tags: settings.tags,
      },
      ctx.opts(),
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${ctx.name}-${slug}`,
      {
        role: role.id,
        name: "least-privilege",
        policy: policyDocument(roleStatements(ctx, id, deps, logGroup)),
      },
      ctx.opts(),
    );
    const fn = new aws.lambda.Function(
      `${ctx.name}-${slug}`,
      {
        name: names.functions[id],
        description: DESCRIPTIONS[id],
        code: functionCode(HANDLER_FACTORIES[id]),
        handler: FUNCTION_HANDLER,
        role: role.arn,
        runtime: settings.lambdaRuntime,
        // The archive is JavaScript only, so the cheaper Graviton architecture runs it as is.
        architectures: ["arm64"],
        timeout: settings.functionTimeoutSeconds[id],
        memorySize: settings.functionMemoryMb[id],
        environment: { variables: environmentFor(ctx, id, deps) },
        tracingConfig: { mode: "Active" },
        loggingConfig: {
          logFormat: "JSON",
          logGroup: logGroup.name,
          applicationLogLevel: lambdaApplicationLogLevel(settings.logLevel),
          systemLogLevel: "WARN",
        },
        tags: settings.tags,
      },
      ctx.opts({ dependsOn: [rolePolicy, logGroup] }),
    );
    return { fn, role, rolePolicy, logGroup };
  };
  const functions = Object.fromEntries(FUNCTION_IDS.map((id) => [id, create(id)])) as StackFunctions;

  // Asynchronous invocations (the SES feedback rule) retry twice, then land in the feedback DLQ.
  new aws.lambda.FunctionEventInvokeConfig(
    `${ctx.name}-${names.functionSlugs.sesFeedback}`,
    {
      functionName: functions.sesFeedback.fn.name,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 6 * 3600,
      destinationConfig: { onFailure: { destination: deps.feedbackDlq.arn } },
    },
    ctx.opts(),
  );
  return functions;
}

/**
 * Lambda's application log-level filter. Lambda gives a JSON log line without a valid `level` the level
 * INFO (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html), and the
 * embedded-metric lines have none, so a filter at WARN or ERROR would drop every metric. The filter
 * therefore stays at INFO (DEBUG when the stack asks for DEBUG), and the runtime's logger applies the
 * stack's own level (LOG_LEVEL) to its log lines.
 */
export function lambdaApplicationLogLevel(logLevel: LogLevel): "DEBUG" | "INFO" {
  return logLevel === "DEBUG" ? "DEBUG" : "INFO";
}

/**
 * The least time between two sends of one notify worker: at most `notifyMaximumConcurrency` workers
 * run at once, so each sends at most sesMaxSendRate / concurrency messages a second. Rounded up to
 * whole milliseconds, so that concurrency × (1000 / interval) never exceeds the rate.
 */
export function notifySendIntervalMs(sesMaxSendRate: number): number {
  return Math.ceil((1000 * notifyMaximumConcurrency(sesMaxSendRate)) / sesMaxSendRate);
}

/** The CloudWatch namespace of the functions' embedded metrics. */
export function metricsNamespace(namePrefix: string): string {
  return `BankNotifications/${namePrefix}`;
}

/** The notify queue's visibility timeout: six times the function timeout plus the batching window, as AWS advises. */
export function notifyQueueVisibilityTimeoutSeconds(notifyTimeoutSeconds: number): number {
  return 6 * notifyTimeoutSeconds + NOTIFY_BATCHING_WINDOW_SECONDS;
}

/** How long the event source mapping may gather records before invoking notify. */
export const NOTIFY_BATCHING_WINDOW_SECONDS = 1;
