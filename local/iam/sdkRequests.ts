/**
 * What IAM evaluates for an AWS SDK command: the action, the resource ARN and the request's condition
 * keys, taken from the command input the code really built. The service authorization reference
 * names, per action, its resource types and condition keys:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */

/** A command as an SDK client's middleware sees it. */
export interface SdkCall {
  /** The client's class name, for example `DynamoDBClient`. */
  client: string;
  /** The command's class name, for example `GetItemCommand`. */
  command: string;
  input: Record<string, unknown>;
}

export interface ActionRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface AccountScope {
  partition: string;
  region: string;
  accountId: string;
}

/** Which SES identity authorises a From address: the address's own identity, or its domain's. */
export type SesIdentityOf = (fromAddress: string) => string;

const IAM_PREFIX: Record<string, string> = {
  DynamoDBClient: "dynamodb",
  SESv2Client: "ses",
  EventBridgeClient: "events",
  SecretsManagerClient: "secretsmanager",
  S3Client: "s3",
  SQSClient: "sqs",
};

/** Operations whose IAM action has another name. https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html */
const ACTION_OF_OPERATION: Record<string, string> = {
  "s3:HeadObject": "s3:GetObject",
  "s3:ListObjectsV2": "s3:ListBucket",
};

/** `dynamodb:GetItem` for `GetItemCommand` on the DynamoDB client. */
export function iamActionOf(call: Pick<SdkCall, "client" | "command">): string {
  const prefix = IAM_PREFIX[call.client];
  if (!prefix) throw new Error(`No IAM service prefix is known for ${call.client}`);
  const operation = `${prefix}:${call.command.replace(/Command$/, "")}`;
  return ACTION_OF_OPERATION[operation] ?? operation;
}

function arn(scope: AccountScope, service: string, resource: string, regional = true): string {
  return `arn:${scope.partition}:${service}:${regional ? scope.region : ""}:${regional ? scope.accountId : ""}:${resource}`;
}

/** The address inside `"Name" <address>` or a bare address. */
function bareAddress(value: string): string {
  return /<([^>]+)>/.exec(value)?.[1] ?? value;
}

/**
 * A batch request is authorised on each table it names (`RequestItems`), any other on its table or index.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
 */
function dynamodbRequests(action: string, input: Record<string, unknown>, scope: AccountScope) {
  const tableArn = (name: string) => arn(scope, "dynamodb", `table/${name}`);
  if (input.RequestItems) {
    return Object.keys(input.RequestItems).map((name) => ({ action, resource: tableArn(name), context: {} }));
  }
  const table = tableArn(String(input.TableName));
  const resource = input.IndexName ? `${table}/index/${String(input.IndexName)}` : table;
  return [{ action, resource, context: {} }];
}

/**
 * `events:source` and `events:detail-type` hold one value per entry: multivalued keys.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
 */
function eventBridgeRequests(action: string, input: Record<string, unknown>, scope: AccountScope) {
  const entries = (input.Entries ?? []) as { EventBusName?: string; Source?: string; DetailType?: string }[];
  const buses = [...new Set(entries.map((entry) => entry.EventBusName ?? "default"))];
  return buses.map((bus) => {
    const onBus = entries.filter((entry) => (entry.EventBusName ?? "default") === bus);
    return {
      action,
      resource: bus.startsWith("arn:") ? bus : arn(scope, "events", `event-bus/${bus}`),
      context: {
        "events:source": onBus.map((entry) => String(entry.Source)),
        "events:detail-type": onBus.map((entry) => String(entry.DetailType)),
      },
    };
  });
}

function secretsManagerRequests(action: string, input: Record<string, unknown>, scope: AccountScope) {
  const id = String(input.SecretId);
  // A name (not an ARN) is matched by the ARN's random six-character suffix.
  return [
    {
      action,
      resource: id.startsWith("arn:") ? id : arn(scope, "secretsmanager", `secret:${id}-??????`),
      context: {},
    },
  ];
}

/**
 * SES v2 authorises `SendEmail` on the sending identity, the configuration set and the template it
 * names, with `ses:FromAddress`, `ses:Recipients` (multivalued) and `ses:ApiVersion` as condition keys.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsimpleemailservicev2.html
 * https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html
 */
function sesRequests(
  action: string,
  command: string,
  input: Record<string, unknown>,
  scope: AccountScope,
  identityOf: SesIdentityOf,
): ActionRequest[] {
  const context = { "ses:ApiVersion": "2" };
  if (command === "SendEmailCommand") {
    const from = bareAddress(String(input.FromEmailAddress));
    const content = input.Content as { Template?: { TemplateName?: string } } | undefined;
    const destination = (input.Destination ?? {}) as Record<string, string[] | undefined>;
    const recipients = ["ToAddresses", "CcAddresses", "BccAddresses"].flatMap(
      (field) => destination[field] ?? [],
    );
    const sendContext = {
      ...context,
      "ses:FromAddress": from,
      ...(recipients.length > 0 ? { "ses:Recipients": recipients.map(bareAddress) } : {}),
    };
    return [
      { action, resource: arn(scope, "ses", `identity/${identityOf(from)}`), context: sendContext },
      ...(input.ConfigurationSetName
        ? [
            {
              action,
              resource: arn(scope, "ses", `configuration-set/${String(input.ConfigurationSetName)}`),
              context: sendContext,
            },
          ]
        : []),
      ...(content?.Template?.TemplateName
        ? [
            {
              action,
              resource: arn(scope, "ses", `template/${content.Template.TemplateName}`),
              context: sendContext,
            },
          ]
        : []),
    ];
  }
  if ("TemplateName" in input) {
    return [{ action, resource: arn(scope, "ses", `template/${String(input.TemplateName)}`), context }];
  }
  throw new Error(`No SES resource mapping for ${command}`);
}

/**
 * S3 object requests, with the condition keys the request's headers set: a key is present only when
 * its header is sent (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html).
 */
function s3Requests(action: string, input: Record<string, unknown>, scope: AccountScope): ActionRequest[] {
  const context: Record<string, string> = {};
  if (input.ServerSideEncryption !== undefined)
    context["s3:x-amz-server-side-encryption"] = String(input.ServerSideEncryption);
  if (input.SSEKMSKeyId !== undefined)
    context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = String(input.SSEKMSKeyId);
  if (input.SSECustomerAlgorithm !== undefined)
    context["s3:x-amz-server-side-encryption-customer-algorithm"] = String(input.SSECustomerAlgorithm);
  if (input.IfNoneMatch !== undefined) context["s3:if-none-match"] = String(input.IfNoneMatch);
  const bucket = `arn:${scope.partition}:s3:::${String(input.Bucket)}`;
  return [{ action, resource: input.Key === undefined ? bucket : `${bucket}/${String(input.Key)}`, context }];
}

/**
 * A queue URL ends with the account and the queue's name: `…/<account>/<name>`. GetQueueUrl names
 * the queue by `QueueName` instead, and is authorized on that queue.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
 */
function sqsRequests(action: string, input: Record<string, unknown>, scope: AccountScope): ActionRequest[] {
  const name =
    input.QueueUrl === undefined && input.QueueName !== undefined
      ? String(input.QueueName)
      : String(input.QueueUrl ?? "")
          .split("/")
          .pop();
  return [{ action, resource: arn(scope, "sqs", String(name)), context: {} }];
}

/** The IAM requests one SDK command makes (SES `SendEmail` is authorised on up to three resources). */
export function iamRequestsOf(
  call: SdkCall,
  scope: AccountScope,
  identityOf: SesIdentityOf,
): ActionRequest[] {
  const action = iamActionOf(call);
  switch (call.client) {
    case "DynamoDBClient":
      return dynamodbRequests(action, call.input, scope);
    case "EventBridgeClient":
      return eventBridgeRequests(action, call.input, scope);
    case "SecretsManagerClient":
      return secretsManagerRequests(action, call.input, scope);
    case "SESv2Client":
      return sesRequests(action, call.command, call.input, scope, identityOf);
    case "S3Client":
      return s3Requests(action, call.input, scope);
    case "SQSClient":
      return sqsRequests(action, call.input, scope);
    default:
      throw new Error(`No IAM request mapping for ${call.client} ${call.command}`);
  }
}
