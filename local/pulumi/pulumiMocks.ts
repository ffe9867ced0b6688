import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { load as loadYaml } from "js-yaml";

/**
 * Runs a Pulumi program under mocks that answer like AWS would: every resource gets realistic
 * identifiers and ARNs (`arn:aws:<service>:<region>:<account>:...`), so the policies and names the
 * program derives from them can be checked. Used by the infra specs and by `npm run plan`.
 */

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const DEFAULT_ACCOUNT_ID = "123456789012";
export const DEFAULT_REGION = "eu-west-1";
/**
 * The hash key the plan and the specs give the program in place of the stack's encrypted secret
 * (`pulumi config set --secret hashKey`), which only the Pulumi CLI can decrypt.
 */
export const MOCK_HASH_KEY = "mock-hash-key-for-plans-and-tests-only-0123456789";
/** Shown instead of any value the program marked secret. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface RecordedResource {
  type: string;
  name: string;
  /** Name of the parent resource, or null for a top-level resource. */
  parent: string | null;
  id: string;
  /** Inputs as the engine receives them (assets and archives as Pulumi asset objects). */
  inputs: Record<string, unknown>;
  /** Inputs that carry a secret somewhere inside. */
  secretInputs: string[];
  /** The `protect` resource option: Pulumi refuses to delete the resource. */
  protect: boolean;
  /** The `retainOnDelete` resource option: destroying the stack leaves the resource in AWS. */
  retainOnDelete: boolean;
  /** Names of the resources it depends on (explicit `dependsOn` and inputs taken from other resources). */
  dependencies: string[];
  /** What the mock answered: inputs plus computed properties such as `arn`. */
  state: Record<string, unknown>;
}

export interface ProgramRun<T> {
  stack: string;
  resources: RecordedResource[];
  outputs: T;
}

export interface StackConfig {
  /** Config as the CLI passes it to a program: `project:key` → string (structured values as JSON). */
  config: Record<string, string>;
  secretKeys: string[];
}

function yamlFile(file: string): Record<string, unknown> {
  return (loadYaml(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
}

export function projectName(root = REPO_ROOT): string {
  return String(yamlFile(path.join(root, "Pulumi.yaml")).name);
}

/**
 * The config of `Pulumi.<stack>.yaml`, the way the CLI hands it to the program. Encrypted values
 * (`secure:`) cannot be decrypted without the CLI; they, and `hashKey` if the file has none, get
 * mock values and stay marked secret.
 */
export function loadStackConfig(stack: string, root = REPO_ROOT): StackConfig {
  const project = projectName(root);
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  const values = (yamlFile(file).config ?? {}) as Record<string, unknown>;
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(values)) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    if (value !== null && typeof value === "object" && "secure" in value) {
      config[key] = key === `${project}:hashKey` ? MOCK_HASH_KEY : "mock-secret-value";
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  const hashKey = `${project}:hashKey`;
  if (!(hashKey in config)) {
    config[hashKey] = MOCK_HASH_KEY;
    secretKeys.push(hashKey);
  }
  return { config, secretKeys };
}

function shortHash(value: string, length: number): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}

function uuidFrom(value: string): string {
  const hex = shortHash(value, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface AwsEnvironment {
  accountId: string;
  region: string;
}

/** What AWS would answer for a created resource: its id and the properties it computes. */
export function mockResourceState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  aws: AwsEnvironment,
): { id: string; state: Record<string, unknown> } {
  const { accountId: account, region } = aws;
  const physical = String(inputs.name ?? name);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const computed = ((): { id?: string } & Record<string, unknown> => {
    switch (type) {
      case "aws:kms/key:Key": {
        const keyId = uuidFrom(name);
        return { id: keyId, keyId, arn: arn("kms", `key/${keyId}`) };
      }
      case "aws:kms/alias:Alias":
        return {
          id: physical,
          arn: arn("kms", physical),
          targetKeyArn: arn("kms", `key/${inputs.targetKeyId}`),
        };
      case "aws:dynamodb/table:Table":
        return { id: physical, arn: arn("dynamodb", `table/${physical}`) };
      case "aws:s3/bucket:Bucket": {
        const bucket = String(inputs.bucket ?? name);
        return {
          id: bucket,
          bucket,
          arn: `arn:aws:s3:::${bucket}`,
          bucketDomainName: `${bucket}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
          region,
        };
      }
      case "aws:secretsmanager/secret:Secret": {
        const secretArn = arn("secretsmanager", `secret:${physical}-${shortHash(name, 6)}`);
        return { id: secretArn, arn: secretArn };
      }
      case "aws:secretsmanager/secretVersion:SecretVersion":
        return {
          id: `${inputs.secretId}|${uuidFrom(name)}`,
          arn: inputs.secretId,
          versionId: uuidFrom(name),
        };
      case "aws:cloudwatch/eventBus:EventBus":
        return { id: physical, arn: arn("events", `event-bus/${physical}`) };
      case "aws:cloudwatch/eventArchive:EventArchive":
        return { id: physical, arn: arn("events", `archive/${physical}`) };
      case "aws:cloudwatch/eventRule:EventRule": {
        const bus = String(inputs.eventBusName ?? "default");
        return {
          id: `${bus}/${physical}`,
          arn: arn("events", bus === "default" ? `rule/${physical}` : `rule/${bus}/${physical}`),
        };
      }
      case "aws:cloudwatch/eventTarget:EventTarget":
        return { id: `${inputs.eventBusName ?? "default"}/${inputs.rule}/${inputs.targetId}` };
      case "aws:sqs/queue:Queue": {
        const url = `https://sqs.${region}.amazonaws.com/${account}/${physical}`;
        return { id: url, url, arn: arn("sqs", physical) };
      }
      case "aws:lambda/function:Function": {
        const functionArn = arn("lambda", `function:${physical}`);
        return {
          id: physical,
          arn: functionArn,
          qualifiedArn: `${functionArn}:$LATEST`,
          invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
          version: "$LATEST",
        };
      }
      case "aws:lambda/eventSourceMapping:EventSourceMapping": {
        const uuid = uuidFrom(name);
        return { id: uuid, uuid, arn: arn("lambda", `event-source-mapping:${uuid}`) };
      }
      case "aws:lambda/permission:Permission":
        return { id: String(inputs.statementId ?? name) };
      case "aws:iam/role:Role":
        return {
          id: physical,
          arn: `arn:aws:iam::${account}:role/${physical}`,
          uniqueId: `AROA${shortHash(name, 16).toUpperCase()}`,
        };
      case "aws:iam/policy:Policy": {
        const policyArn = `arn:aws:iam::${account}:policy/${physical}`;
        return { id: policyArn, arn: policyArn, policyId: `ANPA${shortHash(name, 16).toUpperCase()}` };
      }
      case "aws:iam/rolePolicy:RolePolicy":
        return { id: `${inputs.role}:${physical}` };
      case "aws:cloudwatch/logGroup:LogGroup":
        return { id: physical, arn: arn("logs", `log-group:${physical}`) };
      case "aws:apigateway/restApi:RestApi": {
        const apiId = shortHash(name, 10);
        return {
          id: apiId,
          rootResourceId: shortHash(`${name}/`, 10),
          executionArn: arn("execute-api", apiId),
          arn: `arn:aws:apigateway:${region}::/restapis/${apiId}`,
        };
      }
      case "aws:apigateway/deployment:Deployment":
        return { id: shortHash(name, 6) };
      case "aws:apigateway/stage:Stage": {
        const apiId = String(inputs.restApi);
        return {
          id: `ags-${apiId}-${inputs.stageName}`,
          invokeUrl: `https://${apiId}.execute-api.${region}.amazonaws.com/${inputs.stageName}`,
          executionArn: arn("execute-api", `${apiId}/${inputs.stageName}`),
          arn: `arn:aws:apigateway:${region}::/restapis/${apiId}/stages/${inputs.stageName}`,
        };
      }
      case "aws:sesv2/emailIdentity:EmailIdentity": {
        const identity = String(inputs.emailIdentity);
        const isDomain = !identity.includes("@");
        return {
          id: identity,
          arn: arn("ses", `identity/${identity}`),
          identityType: isDomain ? "DOMAIN" : "EMAIL_ADDRESS",
          ...(isDomain
            ? {
                dkimSigningAttributes: {
                  ...(inputs.dkimSigningAttributes as object),
                  tokens: [0, 1, 2].map((index) => shortHash(`${identity}/${index}`, 32)),
                  signingAttributesOrigin: "AWS_SES",
                  status: "PENDING",
                },
              }
            : {}),
        };
      }
      case "aws:sesv2/configurationSet:ConfigurationSet":
        return {
          id: String(inputs.configurationSetName),
          arn: arn("ses", `configuration-set/${inputs.configurationSetName}`),
        };
      case "aws:ses/template:Template":
        return { id: physical, arn: arn("ses", `template/${physical}`) };
      case "aws:sns/topic:Topic": {
        const topicArn = arn("sns", physical);
        return { id: topicArn, arn: topicArn };
      }
      case "aws:sns/topicSubscription:TopicSubscription": {
        const subscriptionArn = `${inputs.topic}:${uuidFrom(name)}`;
        return { id: subscriptionArn, arn: subscriptionArn };
      }
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        return { id: physical, arn: arn("cloudwatch", `alarm:${physical}`) };
      case "aws:cloudwatch/dashboard:Dashboard":
        return {
          id: String(inputs.dashboardName),
          dashboardArn: `arn:aws:cloudwatch::${account}:dashboard/${inputs.dashboardName}`,
        };
      default:
        return {};
    }
  })();
  const { id, ...state } = computed;
  return { id: id ?? `${name}-id`, state: { ...inputs, ...state } };
}

/** What AWS would answer for the provider functions the programs call. */
export function mockCall(
  token: string,
  inputs: Record<string, unknown>,
  aws: AwsEnvironment,
): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        id: aws.accountId,
        accountId: aws.accountId,
        arn: `arn:aws:sts::${aws.accountId}:assumed-role/deployer/plan`,
        userId: "AROAPLANMOCK:plan",
      };
    case "aws:index/getRegion:getRegion":
      return {
        id: aws.region,
        name: aws.region,
        region: aws.region,
        endpoint: `ec2.${aws.region}.amazonaws.com`,
        description: aws.region,
      };
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    default:
      return inputs;
  }
}

function containsSecret(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return true;
  return Object.values(record).some(containsSecret);
}

interface RegisterRequest {
  getParent(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean | undefined;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface MonitorWithRegister {
  registerResource(
    req: RegisterRequest,
    callback: (error: unknown, response: unknown) => void,
  ): Promise<void>;
}

function nameOfUrn(urn: string): string {
  return urn.split("::").pop()!;
}

function awaitRpcs(): Promise<void> {
  return (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

function resolveOutputs<T>(value: T): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => {
    pulumi.output(value).apply((resolved) => {
      resolve(resolved as pulumi.Unwrap<T>);
      return resolved;
    });
  });
}

let queue: Promise<unknown> = Promise.resolve();

export interface RunOptions<T> {
  stack: string;
  project?: string;
  config: StackConfig;
  program: () => T;
  /**
   * Called for each resource as the program registers it, once the resources it depends on exist:
   * the local cloud creates the resource there and returns what the provider would answer instead of
   * the mock's (a local queue URL, the local API's URL), which the program's outputs then carry.
   */
  materialise?: (resource: RecordedResource) => Promise<Record<string, unknown> | void>;
}

/**
 * Runs `program` under mocks with the given stack config and returns every resource it registered.
 * Runs are serialised: Pulumi's mock settings and config are process-wide.
 */
export function runProgram<T>(options: RunOptions<T>): Promise<ProgramRun<pulumi.Unwrap<T>>> {
  const run = queue.then(() => runProgramNow(options));
  queue = run.catch(() => undefined);
  return run;
}

async function runProgramNow<T>(options: RunOptions<T>): Promise<ProgramRun<pulumi.Unwrap<T>>> {
  const { config, secretKeys } = options.config;
  const allowedAccounts = config["aws:allowedAccountIds"]
    ? (JSON.parse(config["aws:allowedAccountIds"]) as string[])
    : [];
  const aws: AwsEnvironment = {
    accountId: allowedAccounts[0] ?? DEFAULT_ACCOUNT_ID,
    region: config["aws:region"] ?? DEFAULT_REGION,
  };
  const resources: RecordedResource[] = [];
  const noRequest = {
    parent: "",
    secrets: [] as string[],
    protect: false,
    retainOnDelete: false,
    dependencies: [] as string[],
  };
  let pending = noRequest;
  pulumi.runtime.setAllConfig({ "aws:region": aws.region, ...config }, secretKeys);
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const { id, state } = mockResourceState(args.type, args.name, args.inputs, aws);
        const resource: RecordedResource = {
          type: args.type,
          name: args.name,
          parent: pending.parent ? nameOfUrn(pending.parent) : null,
          id,
          inputs: args.inputs,
          secretInputs: pending.secrets,
          protect: pending.protect,
          retainOnDelete: pending.retainOnDelete,
          dependencies: pending.dependencies,
          state,
        };
        resources.push(resource);
        if (options.materialise) Object.assign(resource.state, await options.materialise(resource));
        return { id, state: resource.state };
      },
      call: (args) => mockCall(args.token, args.inputs, aws),
    },
    options.project ?? projectName(),
    options.stack,
    false,
  );
  // The mock monitor does not tell `newResource` the parent, the options, nor which inputs were
  // secret: read them from the request, which the monitor hands to `newResource` synchronously.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const raw = req.getObject()?.toJavaScript() ?? {};
    pending = {
      parent: req.getParent(),
      secrets: Object.keys(raw).filter((key) => containsSecret(raw[key])),
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete() ?? false,
      dependencies: req.getDependenciesList().map(nameOfUrn),
    };
    const registered = register(req, callback);
    pending = noRequest;
    return registered;
  };
  const outputs = await resolveOutputs(options.program());
  await awaitRpcs();
  return { stack: options.stack, resources, outputs };
}
