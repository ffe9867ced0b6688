import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectLockConfigurationCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  CreateEmailTemplateCommand,
  UpdateEmailTemplateCommand,
  type SESv2Client,
} from "@aws-sdk/client-sesv2";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { RecordedResource } from "../pulumi/pulumiMocks";

/**
 * What each resource type of the graph becomes on this machine. A materialiser creates the resource
 * in its local stand-in and returns the properties AWS would compute that differ locally (a queue's
 * URL, the stage's URL); a type that only describes (a policy, an alarm, a key) is kept in the graph,
 * where the IAM evaluator and the services read it. A type with neither stops the start, named.
 */
export interface MaterialiseContext {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  ses: SESv2Client;
  sqs: SQSClient;
  secrets: Record<string, string>;
  /** The local URL clients use for a queue of this name. */
  localQueueUrl(queueName: string): string;
  /** The stage's local URL, where the API will listen once the graph is complete. */
  stageUrl(stageName: string): string;
  addFunction(resource: RecordedResource): Promise<void>;
  addEventSourceMapping(resource: RecordedResource): Promise<void>;
}

type Materialiser = (
  resource: RecordedResource,
  context: MaterialiseContext,
) => Promise<Record<string, unknown> | void>;

/** Kept in the graph: read by the IAM evaluator, the local services or the description of the cloud. */
const DESCRIPTIVE_TYPES = [
  "aws:kms/key:Key",
  "aws:kms/alias:Alias",
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:secretsmanager/secret:Secret",
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
  "aws:cloudwatch/eventBus:EventBus",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:cloudwatch/eventTarget:EventTarget",
  "aws:cloudwatch/eventArchive:EventArchive",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:cloudwatch/dashboard:Dashboard",
  "aws:sns/topic:Topic",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:lambda/permission:Permission",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  "aws:sesv2/emailIdentity:EmailIdentity",
  "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes",
  "aws:sesv2/configurationSet:ConfigurationSet",
  "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
  "aws:apigateway/restApi:RestApi",
  "aws:apigateway/deployment:Deployment",
  "aws:apigateway/methodSettings:MethodSettings",
  "aws:apigateway/account:Account",
];

function ignoreExisting(error: { name?: string; message?: string }): void {
  if (!/InUse|Exists|AlreadyOwned|already exists/i.test(`${error.name} ${error.message}`)) throw error;
}

/** The table as declared: keys, attribute types, indexes and their projections (dynalite has no TTL). */
const table: Materialiser = async ({ inputs }, { dynamodb }) => {
  const name = String(inputs.name);
  const exists = await dynamodb.send(new DescribeTableCommand({ TableName: name })).then(
    () => true,
    () => false,
  );
  if (exists) return;
  const keySchema = (hash: unknown, range?: unknown) => [
    { AttributeName: String(hash), KeyType: "HASH" as const },
    ...(range ? [{ AttributeName: String(range), KeyType: "RANGE" as const }] : []),
  ];
  const indexes = (inputs.globalSecondaryIndexes ?? []) as {
    name: string;
    keySchemas?: { attributeName: string; keyType: "HASH" | "RANGE" }[];
    hashKey?: string;
    rangeKey?: string;
    projectionType: "ALL" | "KEYS_ONLY" | "INCLUDE";
    nonKeyAttributes?: string[];
  }[];
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: (inputs.attributes as { name: string; type: "S" | "N" | "B" }[]).map(
        (attribute) => ({
          AttributeName: attribute.name,
          AttributeType: attribute.type,
        }),
      ),
      KeySchema: keySchema(inputs.hashKey, inputs.rangeKey),
      ...(indexes.length > 0
        ? {
            GlobalSecondaryIndexes: indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: index.keySchemas
                ? index.keySchemas.map((key) => ({ AttributeName: key.attributeName, KeyType: key.keyType }))
                : keySchema(index.hashKey, index.rangeKey),
              Projection: {
                ProjectionType: index.projectionType,
                ...(index.nonKeyAttributes ? { NonKeyAttributes: index.nonKeyAttributes } : {}),
              },
            })),
          }
        : {}),
    }),
  );
};

const bucket: Materialiser = async ({ inputs }, { s3 }) => {
  await s3
    .send(
      new CreateBucketCommand({
        Bucket: String(inputs.bucket),
        ObjectLockEnabledForBucket: inputs.objectLockEnabled === true,
      }),
    )
    .catch(ignoreExisting);
};

const objectLock: Materialiser = async ({ inputs }, { s3 }) => {
  const { mode, days, years } = (
    inputs.rule as { defaultRetention: { mode: "COMPLIANCE" | "GOVERNANCE"; days?: number; years?: number } }
  ).defaultRetention;
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: String(inputs.bucket),
      ObjectLockConfiguration: {
        ObjectLockEnabled: "Enabled",
        Rule: {
          DefaultRetention: {
            Mode: mode,
            ...(days ? { Days: days } : {}),
            ...(years ? { Years: years } : {}),
          },
        },
      },
    }),
  );
};

/** A secret input reaches the mocks wrapped (`{ <signature>: <secret>, value }`). */
function unwrapSecret(value: unknown): string {
  return value !== null && typeof value === "object" && "value" in value
    ? String((value as { value: unknown }).value)
    : String(value);
}

const secretVersion: Materialiser = async ({ inputs }, { secrets }) => {
  secrets[String(inputs.secretId)] = unwrapSecret(inputs.secretString);
};

/** The queue with its attributes; a redrive policy names its dead-letter queue by the local ARN. */
const queue: Materialiser = async ({ inputs }, { sqs, localQueueUrl }) => {
  const name = String(inputs.name);
  const attributes: Record<string, string> = {};
  const copy: Record<string, string> = {
    visibilityTimeoutSeconds: "VisibilityTimeout",
    messageRetentionSeconds: "MessageRetentionPeriod",
    delaySeconds: "DelaySeconds",
    receiveWaitTimeSeconds: "ReceiveMessageWaitTimeSeconds",
    maxMessageSize: "MaximumMessageSize",
  };
  for (const [input, attribute] of Object.entries(copy)) {
    if (inputs[input] !== undefined) attributes[attribute] = String(inputs[input]);
  }
  if (inputs.redrivePolicy) {
    const policy = JSON.parse(String(inputs.redrivePolicy)) as {
      deadLetterTargetArn: string;
      maxReceiveCount: number;
    };
    const deadLetterName = policy.deadLetterTargetArn.split(":").pop()!;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: deadLetterName }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] })))
      .Attributes?.QueueArn;
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: arn,
      maxReceiveCount: String(policy.maxReceiveCount),
    });
  }
  await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { url: localQueueUrl(name) };
};

const template: Materialiser = async ({ inputs }, { ses }) => {
  const content = {
    TemplateName: String(inputs.name),
    TemplateContent: {
      Subject: String(inputs.subject),
      Html: String(inputs.html),
      Text: String(inputs.text),
    },
  };
  await ses
    .send(new CreateEmailTemplateCommand(content))
    .catch(async (error: { name?: string; message?: string }) => {
      ignoreExisting(error);
      await ses.send(new UpdateEmailTemplateCommand(content));
    });
};

const stage: Materialiser = async ({ inputs }, { stageUrl }) => ({
  invokeUrl: stageUrl(String(inputs.stageName)),
});

const MATERIALISERS: Record<string, Materialiser> = {
  "aws:dynamodb/table:Table": table,
  "aws:s3/bucket:Bucket": bucket,
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": objectLock,
  "aws:secretsmanager/secretVersion:SecretVersion": secretVersion,
  "aws:sqs/queue:Queue": queue,
  "aws:ses/template:Template": template,
  "aws:lambda/function:Function": (resource, context) => context.addFunction(resource),
  "aws:lambda/eventSourceMapping:EventSourceMapping": (resource, context) =>
    context.addEventSourceMapping(resource),
  "aws:apigateway/stage:Stage": stage,
};

/** Creates the resource locally; a component (a type of this package) only groups its children. */
export async function materialise(
  resource: RecordedResource,
  context: MaterialiseContext,
): Promise<Record<string, unknown> | void> {
  const create = MATERIALISERS[resource.type];
  if (create) return create(resource, context);
  // A component type (`<package>:index:<Name>`, no module path) registers no cloud resource.
  if (DESCRIPTIVE_TYPES.includes(resource.type) || !resource.type.includes("/")) return;
  throw new Error(
    `The local cloud cannot run ${resource.type} (resource ${resource.name}): no local stand-in does what it does. ` +
      "Add a materialiser in local/cloud/materialisers.ts, or run the stack in AWS.",
  );
}
