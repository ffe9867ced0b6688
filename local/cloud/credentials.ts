import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Caller, NamedPolicy } from "../iam/evaluator";
import { arnParts, type StackModel } from "../iam/stackModel";
import type { CredentialStore, LocalPrincipal } from "./types";

/**
 * Credentials the local cloud issues: one access key per function (its execution role), three
 * API callers: a producer and a customer administrator, each the first principal the stack names
 * with the access policy the stack offers it attached, and an outsider the API's resource policy
 * does not name, whose own policy would allow everything the API and the bus offer; and an
 * operator, who may redrive the dead-letter queues (`npm run redrive`) and nothing else. A
 * principal's policies are read from the stack when a request is evaluated, so they are the graph's
 * current ones.
 */
export interface IssuedKeys {
  [principalName: string]: { accessKeyId: string; secretAccessKey: string };
}

const OUTSIDER_POLICY: NamedPolicy = {
  name: "outsider-broad-access",
  document: {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["execute-api:Invoke", "events:PutEvents"], Resource: "*" }],
  },
};

function newKey(): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: `AKIALOCAL${randomBytes(6).toString("hex").toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString("base64url"),
  };
}

export interface GrowingCredentialStore extends CredentialStore {
  /** Issues (or finds again) the key of a principal whose policies `policies()` reads when asked. */
  issue(name: string, caller: Caller, policies: () => NamedPolicy[]): LocalPrincipal;
}

/** A store whose keys are kept in `file` (when given), so that a restart keeps them. */
export function createCredentialStore(file?: string): GrowingCredentialStore {
  const keys: IssuedKeys =
    file && existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as IssuedKeys) : {};
  const principals: LocalPrincipal[] = [];
  return {
    issue(name, caller, policies) {
      const existing = principals.find((principal) => principal.name === name);
      if (existing) return existing;
      const issued = (keys[name] ??= newKey());
      const principal = { name, ...issued, caller } as LocalPrincipal;
      Object.defineProperty(principal, "policies", { get: policies, enumerable: true });
      principals.push(principal);
      if (file) writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
      return principal;
    },
    byAccessKey: (accessKeyId) => principals.find((principal) => principal.accessKeyId === accessKeyId),
    byName: (name) => principals.find((principal) => principal.name === name),
    all: () => [...principals],
  };
}

export interface CallerPrincipals {
  producerRoleArn?: string;
  customerAdminRoleArn?: string;
  accountId: string;
}

/** The access policies the stack offers other teams, by the end of their Pulumi name. */
function accessPolicy(model: StackModel, suffix: string): NamedPolicy[] {
  return model
    .ofType("aws:iam/policy:Policy")
    .filter((policy) => policy.name.endsWith(suffix))
    .map((policy) => ({
      name: String(policy.inputs.name),
      document: JSON.parse(String(policy.inputs.policy)),
    }));
}

const TYPES = {
  queue: "aws:sqs/queue:Queue",
  bus: "aws:cloudwatch/eventBus:EventBus",
  rule: "aws:cloudwatch/eventRule:EventRule",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
} as const;

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null || value === "")
    throw new Error(`The local cloud cannot define the operator's policy: the graph has no ${what}`);
  return value;
}

/**
 * What an operator needs to redrive the three dead-letter queues, and nothing more, read from the
 * graph's wiring (not from names): receive, delete and hide messages of the notify queue's DLQ (its
 * redrive policy), the bus's and the rules' delivery DLQ and the feedback function's on-failure
 * destination; send to the notify queue; invoke the feedback function; put events of the bus's own
 * source back on the bus (events the bus itself dead-lettered); and the stack key, only through
 * SQS, which encrypts and decrypts those queues' messages with the caller's credentials
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
 */
export function operatorPolicy(model: StackModel): NamedPolicy {
  const notifyQueue = required(
    model.ofType(TYPES.queue).find((queue) => queue.inputs.redrivePolicy),
    "queue with a redrive policy",
  );
  const notifyQueueArn = String(notifyQueue.state.arn);
  const notifyDlqArn = (
    JSON.parse(String(notifyQueue.inputs.redrivePolicy)) as { deadLetterTargetArn: string }
  ).deadLetterTargetArn;
  const bus = required(
    model.ofType(TYPES.bus).find((candidate) => candidate.inputs.deadLetterConfig),
    "event bus with a dead-letter queue",
  );
  const deliveryDlqArn = (bus.inputs.deadLetterConfig as { arn: string }).arn;
  const invokeConfig = required(
    model
      .ofType(TYPES.invokeConfig)
      .find((config) => (config.inputs.destinationConfig as { onFailure?: unknown } | undefined)?.onFailure),
    "function with an on-failure destination",
  );
  const feedbackDlqArn = (invokeConfig.inputs.destinationConfig as { onFailure: { destination: string } })
    .onFailure.destination;
  const feedbackFunctionArn = String(
    required(
      model.ofType(TYPES.fn).find((fn) => fn.inputs.name === invokeConfig.inputs.functionName),
      `function ${String(invokeConfig.inputs.functionName)}`,
    ).state.arn,
  );
  const sources = [
    ...new Set(
      model
        .ofType(TYPES.rule)
        .filter((rule) => rule.inputs.eventBusName === bus.inputs.name)
        .flatMap(
          (rule) => (JSON.parse(String(rule.inputs.eventPattern)) as { source?: string[] }).source ?? [],
        ),
    ),
  ];
  const keyArn = required(model.encryptionKey(notifyQueueArn), "key encrypting the notify queue");
  return {
    name: "local-operator-redrive",
    document: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadDeadLetters",
          Effect: "Allow",
          Action: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
          ],
          Resource: [notifyDlqArn, deliveryDlqArn, feedbackDlqArn],
        },
        {
          Sid: "RedriveToNotifyQueue",
          Effect: "Allow",
          Action: ["sqs:SendMessage", "sqs:GetQueueUrl"],
          Resource: notifyQueueArn,
        },
        {
          Sid: "ReinvokeFeedbackFunction",
          Effect: "Allow",
          Action: "lambda:InvokeFunction",
          Resource: feedbackFunctionArn,
        },
        {
          Sid: "PutOperationEventsBack",
          Effect: "Allow",
          Action: "events:PutEvents",
          Resource: String(bus.state.arn),
          // events:source is multivalued (one value per entry): every entry must have the bus's source.
          // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
          Condition: {
            "ForAllValues:StringEquals": { "events:source": sources },
            Null: { "events:source": "false" },
          },
        },
        {
          Sid: "UseStackKeyThroughSqs",
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: keyArn,
          Condition: {
            StringEquals: { "kms:ViaService": `sqs.${arnParts(notifyQueueArn).region}.amazonaws.com` },
          },
        },
      ],
    },
  };
}

/** The producer, the customer administrator, the outsider and the operator. */
export function issueCallers(
  store: GrowingCredentialStore,
  model: StackModel,
  callers: CallerPrincipals,
): void {
  if (callers.producerRoleArn) {
    store.issue(
      "producer",
      { kind: "role", roleArn: callers.producerRoleArn, sessionName: "local-producer" },
      () => accessPolicy(model, "-producer"),
    );
  }
  if (callers.customerAdminRoleArn) {
    store.issue(
      "customerAdmin",
      { kind: "role", roleArn: callers.customerAdminRoleArn, sessionName: "local-customer-admin" },
      () => accessPolicy(model, "-customer-admin"),
    );
  }
  store.issue(
    "outsider",
    {
      kind: "role",
      roleArn: `arn:aws:iam::${callers.accountId}:role/local-outsider`,
      sessionName: "local-outsider",
    },
    () => [OUTSIDER_POLICY],
  );
  store.issue(
    "operator",
    {
      kind: "role",
      roleArn: `arn:aws:iam::${callers.accountId}:role/local-operator`,
      sessionName: "local-operator",
    },
    () => [operatorPolicy(model)],
  );
}

/** A function's execution role, as the caller its code uses. */
export function issueFunction(
  store: GrowingCredentialStore,
  model: StackModel,
  functionName: string,
): LocalPrincipal {
  const roleArn = model.functionRoleArn(functionName);
  return store.issue(functionName, { kind: "role", roleArn, sessionName: functionName }, () =>
    model.rolePolicies(roleArn),
  );
}

/** Every principal at once, over a complete plan (for specs of a single service). */
export function issueCredentials(
  model: StackModel,
  callers: CallerPrincipals,
  file?: string,
): CredentialStore {
  const store = createCredentialStore(file);
  for (const fn of model.ofType("aws:lambda/function:Function"))
    issueFunction(store, model, String(fn.inputs.name));
  issueCallers(store, model, callers);
  return store;
}
