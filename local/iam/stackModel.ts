import type { NamedPolicy, PolicyDocument } from "./evaluator";

/**
 * The authorization facts of a planned stack, read from the resources a Pulumi program registered
 * (under mocks): each role's policies, each resource's policy, the KMS key encrypting each resource.
 * The tests and the local cloud ask this model, never the component's source.
 */
export interface PlannedResource {
  type: string;
  id?: string;
  name: string;
  inputs: Record<string, unknown>;
  /** What the provider answered: inputs plus computed properties such as `arn`. */
  state: Record<string, unknown>;
}

function document(json: unknown): PolicyDocument {
  const parsed = (typeof json === "string" ? JSON.parse(json) : json) as PolicyDocument;
  return { ...parsed, Statement: Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement] };
}

/** The account and region in an ARN such as `arn:aws:sqs:eu-west-1:111122223333:queue`. */
export function arnParts(arn: string): {
  partition: string;
  service: string;
  region: string;
  account: string;
} {
  const [, partition, service, region, account] = arn.split(":");
  return { partition, service, region, account };
}

/**
 * A REST API's resource policy names resources as `execute-api:/<stage>/<method>/<path>`; API
 * Gateway expands the prefix to the API's own ARN.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html
 */
function expandExecuteApiShorthand(policy: PolicyDocument, executionArn: string): PolicyDocument {
  const expand = (resource: unknown) =>
    typeof resource === "string" && resource.startsWith("execute-api:/")
      ? `${executionArn}/${resource.slice("execute-api:/".length)}`
      : resource;
  return {
    ...policy,
    Statement: policy.Statement.map((statement) => {
      const { Resource, ...rest } = statement as { Resource: unknown };
      return { ...rest, Resource: Array.isArray(Resource) ? Resource.map(expand) : expand(Resource) };
    }),
  };
}

export interface StackModel {
  resources: PlannedResource[];
  ofType(type: string): PlannedResource[];
  /** The resource whose `arn` (or id) is this value. */
  byArn(arn: string): PlannedResource | undefined;
  /** A role's inline policies and the managed policies attached to it. */
  rolePolicies(roleArn: string): NamedPolicy[];
  /** The execution role of a function, by function name or ARN. */
  functionRoleArn(functionNameOrArn: string): string;
  /** The policy AWS evaluates on the resource side for a request on this ARN, if any. */
  resourcePolicy(resourceArn: string): PolicyDocument | undefined;
  /** The ARN of the KMS key that encrypts the resource at rest, if a customer-managed key does. */
  encryptionKey(resourceArn: string): string | undefined;
}

const TYPES = {
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policy: "aws:iam/policy:Policy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  fn: "aws:lambda/function:Function",
  permission: "aws:lambda/permission:Permission",
  key: "aws:kms/key:Key",
  bucket: "aws:s3/bucket:Bucket",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  table: "aws:dynamodb/table:Table",
  secret: "aws:secretsmanager/secret:Secret",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  bus: "aws:cloudwatch/eventBus:EventBus",
  restApi: "aws:apigateway/restApi:RestApi",
} as const;

export function stackModel(resources: PlannedResource[]): StackModel {
  const ofType = (type: string) => resources.filter((resource) => resource.type === type);
  const byArn = (arn: string) =>
    resources.find((resource) => resource.state.arn === arn || resource.id === arn);
  const one = (type: string, test: (resource: PlannedResource) => boolean) => ofType(type).find(test);

  const rolePolicies = (roleArn: string): NamedPolicy[] => {
    const role = one(TYPES.role, (candidate) => candidate.state.arn === roleArn);
    if (!role) throw new Error(`The plan has no role ${roleArn}`);
    const roleName = String(role.inputs.name ?? role.state.name);
    const inline = ofType(TYPES.rolePolicy)
      .filter((policy) => policy.inputs.role === roleName || policy.inputs.role === role.state.id)
      .map((policy) => ({ name: String(policy.inputs.name), document: document(policy.inputs.policy) }));
    const attached = ofType(TYPES.attachment)
      .filter((attachment) => attachment.inputs.role === roleName)
      .map((attachment) => {
        const managed = byArn(String(attachment.inputs.policyArn));
        if (!managed) throw new Error(`${roleName} has a managed policy the plan does not hold`);
        return { name: String(managed.inputs.name), document: document(managed.inputs.policy) };
      });
    return [...inline, ...attached];
  };

  const functionRoleArn = (functionNameOrArn: string) => {
    const fn = one(
      TYPES.fn,
      (candidate) => candidate.inputs.name === functionNameOrArn || candidate.state.arn === functionNameOrArn,
    );
    if (!fn) throw new Error(`The plan has no function ${functionNameOrArn}`);
    return String(fn.inputs.role);
  };

  /** Lambda's resource-based policy: one statement per permission. */
  const functionPolicy = (functionArn: string): PolicyDocument | undefined => {
    const fn = byArn(functionArn);
    if (!fn) return undefined;
    const statements = ofType(TYPES.permission)
      .filter((permission) => [fn.inputs.name, fn.state.arn].includes(permission.inputs.function))
      .map((permission) => ({
        Sid: permission.name,
        Effect: "Allow",
        Principal: { Service: permission.inputs.principal },
        Action: permission.inputs.action,
        Resource: fn.state.arn,
        ...(permission.inputs.sourceArn
          ? { Condition: { ArnLike: { "AWS:SourceArn": permission.inputs.sourceArn } } }
          : {}),
      }));
    return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
  };

  const resourcePolicy = (resourceArn: string): PolicyDocument | undefined => {
    const { service } = arnParts(resourceArn);
    switch (service) {
      case "s3": {
        const bucket = resourceArn.split(":::")[1].split("/")[0];
        const policy = one(TYPES.bucketPolicy, (candidate) => candidate.inputs.bucket === bucket);
        return policy && document(policy.inputs.policy);
      }
      case "sqs": {
        const queue = byArn(resourceArn);
        const policy =
          queue &&
          // A queue policy names its queue by URL, the queue's id.
          one(TYPES.queuePolicy, (candidate) =>
            [queue.id, queue.state.url].includes(String(candidate.inputs.queueUrl)),
          );
        return policy && document(policy.inputs.policy);
      }
      case "sns": {
        const policy = one(TYPES.topicPolicy, (candidate) => candidate.inputs.arn === resourceArn);
        return policy && document(policy.inputs.policy);
      }
      case "kms": {
        const key = byArn(resourceArn);
        return key && document(key.inputs.policy);
      }
      case "lambda":
        return functionPolicy(resourceArn);
      case "execute-api": {
        const api = ofType(TYPES.restApi).find((candidate) =>
          resourceArn.startsWith(`${String(candidate.state.executionArn)}/`),
        );
        if (!api) return undefined;
        const body = JSON.parse(String(api.inputs.body)) as Record<string, unknown>;
        const policy =
          body["x-amazon-apigateway-policy"] ?? (api.inputs.policy && JSON.parse(String(api.inputs.policy)));
        return policy
          ? expandExecuteApiShorthand(document(policy), String(api.state.executionArn))
          : undefined;
      }
      default:
        return undefined;
    }
  };

  const encryptionKey = (resourceArn: string): string | undefined => {
    const { service } = arnParts(resourceArn);
    if (service === "s3") {
      const bucket = resourceArn.split(":::")[1].split("/")[0];
      const encryption = one(TYPES.bucketEncryption, (candidate) => candidate.inputs.bucket === bucket);
      const rules = (encryption?.inputs.rules ?? []) as {
        applyServerSideEncryptionByDefault?: { kmsMasterKeyId?: string };
      }[];
      return rules[0]?.applyServerSideEncryptionByDefault?.kmsMasterKeyId;
    }
    const base =
      service === "dynamodb"
        ? resourceArn.replace(/\/index\/.*$/, "")
        : service === "logs"
          ? resourceArn.replace(/:log-stream:.*$/, "")
          : resourceArn;
    const resource = byArn(base);
    if (!resource) return undefined;
    const keyOf: Record<string, (inputs: Record<string, unknown>) => unknown> = {
      [TYPES.table]: (inputs) =>
        (inputs.serverSideEncryption as { kmsKeyArn?: string } | undefined)?.kmsKeyArn,
      [TYPES.queue]: (inputs) => inputs.kmsMasterKeyId,
      [TYPES.topic]: (inputs) => inputs.kmsMasterKeyId,
      [TYPES.secret]: (inputs) => inputs.kmsKeyId,
      [TYPES.logGroup]: (inputs) => inputs.kmsKeyId,
      [TYPES.bus]: (inputs) => inputs.kmsKeyIdentifier,
    };
    const key = keyOf[resource.type]?.(resource.inputs);
    return typeof key === "string" ? key : undefined;
  };

  return { resources, ofType, byArn, rolePolicies, functionRoleArn, resourcePolicy, encryptionKey };
}
