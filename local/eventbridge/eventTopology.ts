import type { AccountScope } from "../iam/sdkRequests";
import type { PlannedResource } from "../iam/stackModel";
import { validatePattern } from "./pattern";
import type { TargetInput } from "./targetInput";

/**
 * The buses, rules, targets and archives of a plan, read from the resources' recorded inputs, and
 * checked the way EventBridge's PutRule and PutTargets would check them. What the local EventBridge
 * does not reproduce (scheduled rules, other target types, `InputPath`, target parameters of other
 * services) stops the start with a message naming the resource.
 */

export interface EventBusDefinition {
  name: string;
  arn: string;
}

export interface RuleDefinition {
  name: string;
  arn: string;
  bus: string;
  pattern: object;
  /** A rule whose state is DISABLED matches nothing. */
  enabled: boolean;
}

export interface RetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
}

export interface TargetDefinition {
  id: string;
  rule: RuleDefinition;
  /** An SQS queue or a Lambda function. */
  arn: string;
  input: TargetInput;
  retryPolicy: RetryPolicy;
  deadLetterArn?: string;
}

export interface ArchiveDefinition {
  name: string;
  bus: string;
  pattern?: object;
  /** 0: kept indefinitely. */
  retentionDays: number;
}

export interface EventTopology {
  buses: EventBusDefinition[];
  rules: RuleDefinition[];
  targets: TargetDefinition[];
  archives: ArchiveDefinition[];
  /** The bus a PutEvents entry names, by name or ARN. */
  bus(nameOrArn: string): EventBusDefinition | undefined;
}

export interface PlannedEvents {
  buses: PlannedResource[];
  rules: PlannedResource[];
  targets: PlannedResource[];
  archives: PlannedResource[];
}

/**
 * EventBridge retries for 24 hours and up to 185 times unless the target says otherwise.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 */
const DEFAULT_RETRY_POLICY: RetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };

/** https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html#eb-transform-input-predefined */
const RESERVED_VARIABLES = [
  "aws.events.rule-arn",
  "aws.events.rule-name",
  "aws.events.event.ingestion-time",
  "aws.events.event",
  "aws.events.event.json",
];
const MAX_INPUT_VARIABLES = 100;

const TARGET_INPUTS = new Set([
  "rule",
  "eventBusName",
  "targetId",
  "arn",
  "input",
  "inputTransformer",
  "retryPolicy",
  "deadLetterConfig",
  "forceDestroy",
  "region",
]);

/** The account's default bus exists without being declared. */
const DEFAULT_BUS = "default";

function busName(nameOrArn: string): string {
  return nameOrArn.startsWith("arn:") ? nameOrArn.slice(nameOrArn.indexOf(":event-bus/") + 11) : nameOrArn;
}

function refuse(resource: PlannedResource, problem: string): never {
  throw new Error(`The local EventBridge cannot run ${resource.type} "${resource.name}": ${problem}`);
}

function parsedPattern(resource: PlannedResource, json: unknown): object {
  const pattern = JSON.parse(String(json)) as unknown;
  const problems = validatePattern(pattern);
  if (problems.length > 0) refuse(resource, `its event pattern is not valid: ${problems.join("; ")}`);
  return pattern as object;
}

function ruleOf(resource: PlannedResource, buses: EventBusDefinition[]): RuleDefinition {
  const { inputs } = resource;
  if (inputs.scheduleExpression) refuse(resource, "scheduled rules are not reproduced");
  if (!inputs.eventPattern) refuse(resource, "it has no event pattern");
  const bus = busName(String(inputs.eventBusName ?? DEFAULT_BUS));
  if (!buses.some((candidate) => candidate.name === bus))
    refuse(resource, `the plan has no event bus ${bus}`);
  if (typeof resource.state.arn !== "string") refuse(resource, "the plan recorded no ARN for it");
  return {
    name: String(inputs.name),
    arn: resource.state.arn,
    bus,
    pattern: parsedPattern(resource, inputs.eventPattern),
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html#API_PutRule_RequestSyntax
    enabled: inputs.state !== "DISABLED",
  };
}

function inputOf(resource: PlannedResource): TargetInput {
  const { input, inputTransformer } = resource.inputs as {
    input?: string;
    inputTransformer?: { inputPaths?: Record<string, string>; inputTemplate: string };
  };
  if (input !== undefined) return { kind: "constant", json: input };
  if (!inputTransformer) return { kind: "event" };
  const paths = inputTransformer.inputPaths ?? {};
  const reserved = Object.keys(paths).filter((name) => RESERVED_VARIABLES.includes(name));
  if (reserved.length > 0) refuse(resource, `its input transformer redefines ${reserved.join(", ")}`);
  if (Object.keys(paths).length > MAX_INPUT_VARIABLES)
    refuse(resource, `its input transformer defines more than ${MAX_INPUT_VARIABLES} variables`);
  return { kind: "transformer", paths, template: inputTransformer.inputTemplate };
}

function targetOf(resource: PlannedResource, rules: RuleDefinition[]): TargetDefinition {
  const { inputs } = resource;
  const unsupported = Object.keys(inputs).filter((name) => !TARGET_INPUTS.has(name));
  if (unsupported.length > 0)
    refuse(resource, `the target settings ${unsupported.join(", ")} are not reproduced`);
  const arn = String(inputs.arn);
  if (!/^arn:[^:]+:(sqs|lambda):/.test(arn))
    refuse(resource, `only SQS queue and Lambda function targets run locally, not ${arn}`);
  const bus = busName(String(inputs.eventBusName ?? DEFAULT_BUS));
  const rule = rules.find((candidate) => candidate.name === inputs.rule && candidate.bus === bus);
  if (!rule) refuse(resource, `the plan has no rule ${String(inputs.rule)} on the bus ${bus}`);
  const policy = (inputs.retryPolicy ?? {}) as Partial<RetryPolicy>;
  const deadLetter = inputs.deadLetterConfig as { arn?: string } | undefined;
  return {
    id: String(inputs.targetId ?? resource.name),
    rule,
    arn,
    input: inputOf(resource),
    retryPolicy: {
      maximumRetryAttempts: policy.maximumRetryAttempts ?? DEFAULT_RETRY_POLICY.maximumRetryAttempts,
      maximumEventAgeInSeconds:
        policy.maximumEventAgeInSeconds ?? DEFAULT_RETRY_POLICY.maximumEventAgeInSeconds,
    },
    ...(deadLetter?.arn ? { deadLetterArn: deadLetter.arn } : {}),
  };
}

function archiveOf(resource: PlannedResource, buses: EventBusDefinition[]): ArchiveDefinition {
  const { inputs } = resource;
  const source = buses.find((bus) => bus.arn === inputs.eventSourceArn);
  if (!source) refuse(resource, `the plan has no event bus ${String(inputs.eventSourceArn)}`);
  return {
    name: String(inputs.name),
    bus: source.name,
    ...(inputs.eventPattern ? { pattern: parsedPattern(resource, inputs.eventPattern) } : {}),
    retentionDays: Number(inputs.retentionDays ?? 0),
  };
}

export function eventTopology(planned: PlannedEvents, scope: AccountScope): EventTopology {
  const defaultBus = {
    name: DEFAULT_BUS,
    arn: `arn:${scope.partition}:events:${scope.region}:${scope.accountId}:event-bus/${DEFAULT_BUS}`,
  };
  const buses = [
    defaultBus,
    ...planned.buses.map((bus) => {
      if (typeof bus.state.arn !== "string") refuse(bus, "the plan recorded no ARN for it");
      return { name: String(bus.inputs.name), arn: bus.state.arn };
    }),
  ];
  const rules = planned.rules.map((rule) => ruleOf(rule, buses));
  return {
    buses,
    rules,
    targets: planned.targets.map((target) => targetOf(target, rules)),
    archives: planned.archives.map((archive) => archiveOf(archive, buses)),
    bus: (nameOrArn) =>
      buses.find((bus) => (nameOrArn.startsWith("arn:") ? bus.arn === nameOrArn : bus.name === nameOrArn)),
  };
}
