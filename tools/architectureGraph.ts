import type { Plan, PlannedResource } from "./plan";

/**
 * The architecture as a graph, derived from a stack's plan (`npm run plan -- --json`): nodes are
 * resources (similar ones, such as the rules of one bus or the alarms, folded into one node), edges
 * are the flows the resources' inputs declare: API integrations, rule targets, event source
 * mappings, redrive policies and failure destinations, what each function's role may do, where SES
 * publishes its events and where alarms notify. Nothing is drawn from a hand-written list: a
 * resource the plan does not hold is not drawn, and every detail shown is read from an input.
 */

export const GROUPS = {
  ingest: "Ingest",
  routing: "Routing",
  notify: "Notify",
  feedback: "Feedback",
  storage: "Storage",
  observability: "Observability",
  security: "Security",
} as const;
export type Group = keyof typeof GROUPS;

export interface GraphNode {
  id: string;
  group: Group;
  title: string;
  details: string[];
}

/** A flow carries the work on; a failure ends in a dead-letter queue; an access is what a role or policy may use. */
export type EdgeKind = "flow" | "failure" | "access";

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  kind: EdgeKind;
}

export interface ArchitectureGraph {
  stack: string;
  /** The prefix every physical name starts with, left out of the node titles. */
  namePrefix: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

interface Statement {
  Action: string | string[];
  Resource: string | string[];
}

interface OpenApiBody {
  paths: Record<
    string,
    Record<
      string,
      { "x-amazon-apigateway-integration"?: { uri: string }; security?: Record<string, unknown>[] }
    >
  >;
  components?: { securitySchemes?: Record<string, { "x-amazon-apigateway-authtype"?: string }> };
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The name an ARN ends with: `...:table/orders` → `orders`, `...:function:notify` → `notify`. */
function arnName(arn: string): string {
  return arn.split(/[:/]/).pop()!;
}

function input(resource: PlannedResource, key: string): string {
  return String(resource.inputs[key] ?? "");
}

function statements(policy: string): Statement[] {
  return (JSON.parse(policy) as { Statement: Statement[] }).Statement;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Items joined by " · ", a few per line. */
function wrap(items: string[], perLine: number): string[] {
  const lines: string[] = [];
  for (let index = 0; index < items.length; index += perLine) {
    lines.push(items.slice(index, index + perLine).join(" · "));
  }
  return lines;
}

/** `name count` pairs, most frequent first. */
function counted(names: string[]): string[] {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name, count]) => `${name} ${count}`);
}

/** The longest prefix ending in "-" shared by the names, e.g. `bank-notif-prod-`. */
function commonPrefix(names: string[]): string {
  if (names.length === 0) return "";
  let prefix = names[0];
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf("-") + 1);
}

/** "reads", "writes" or "reads, writes", from DynamoDB or S3 actions. */
function accessOf(actions: string[]): string {
  const verbs = actions.map((action) => action.split(":")[1]);
  const reads = verbs.some((verb) => /^(Get|Query|Scan|BatchGet|List)/.test(verb));
  const writes = verbs.some((verb) => /^(Put|Update|Delete|BatchWrite)/.test(verb));
  return [reads && "reads", writes && "writes"].filter(Boolean).join(", ");
}

const functionId = (nameOrArn: string) => `function:${arnName(nameOrArn)}`;
const queueId = (arn: string) => `queue:${arnName(arn)}`;
const busId = (nameOrArn: string) => `bus:${arnName(nameOrArn)}`;
const topicId = (arn: string) => `topic:${arnName(arn)}`;
const SES = "ses";

/** Builds the graph section by section, in flow order; later sections link to earlier nodes. */
class ArchitectureBuilder {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly edges: GraphEdge[] = [];
  /** Where what a node belongs with is only known from the flows around it (functions, queues). */
  private readonly groupOf = new Map<string, Group>();
  readonly namePrefix: string;

  constructor(private readonly plan: Plan) {
    this.namePrefix = commonPrefix(
      ["aws:lambda/function:Function", "aws:sqs/queue:Queue", "aws:cloudwatch/eventBus:EventBus"].flatMap(
        (type) => this.of(type).map((resource) => input(resource, "name")),
      ),
    );
  }

  of(type: string): PlannedResource[] {
    return this.plan.resources.filter((resource) => resource.type === type);
  }

  private short(name: string): string {
    return name.startsWith(this.namePrefix) ? name.slice(this.namePrefix.length) : name;
  }

  private node(id: string, group: Group, title: string, details: string[] = []): string {
    if (!this.nodes.has(id)) this.nodes.set(id, { id, group, title, details });
    return id;
  }

  private edge(from: string, to: string, label: string, kind: EdgeKind = "flow"): void {
    const known = this.edges.some((edge) => edge.from === from && edge.to === to && edge.label === label);
    if (!known) this.edges.push({ from, to, label, kind });
  }

  private defaultBus(): string {
    return this.node(busId("default"), "feedback", "Default event bus", ["EventBridge · the account's"]);
  }

  /** A function's group is where it is triggered from: the API, a queue, or a rule on the default bus. */
  functions(): void {
    for (const restApi of this.of("aws:apigateway/restApi:RestApi")) {
      for (const methods of Object.values((JSON.parse(input(restApi, "body")) as OpenApiBody).paths)) {
        for (const operation of Object.values(methods)) {
          const uri = operation["x-amazon-apigateway-integration"]?.uri;
          if (uri) this.groupOf.set(functionId(uri.replace(/\/invocations$/, "")), "ingest");
        }
      }
    }
    for (const mapping of this.of("aws:lambda/eventSourceMapping:EventSourceMapping")) {
      this.groupOf.set(functionId(input(mapping, "functionName")), "notify");
    }
    for (const target of this.of("aws:cloudwatch/eventTarget:EventTarget")) {
      if (input(target, "arn").includes(":function:"))
        this.groupOf.set(functionId(input(target, "arn")), "feedback");
    }
    for (const fn of this.of("aws:lambda/function:Function")) {
      const id = functionId(input(fn, "name"));
      this.node(id, this.groupOf.get(id) ?? "ingest", `λ ${this.short(input(fn, "name"))}`, [
        `Lambda · ${input(fn, "runtime")} · ${input(fn, "memorySize")} MB · ${input(fn, "timeout")} s`,
      ]);
    }
  }

  /** The API, how it authenticates, and the routes it hands to each function. */
  ingest(): void {
    const stages = this.of("aws:apigateway/stage:Stage");
    const throttling = this.of("aws:apigateway/methodSettings:MethodSettings")[0]?.inputs.settings as
      { throttlingRateLimit?: number; throttlingBurstLimit?: number } | undefined;
    for (const restApi of this.of("aws:apigateway/restApi:RestApi")) {
      const body = JSON.parse(input(restApi, "body")) as OpenApiBody;
      const sigv4 = Object.entries(body.components?.securitySchemes ?? {})
        .filter(([, scheme]) => scheme["x-amazon-apigateway-authtype"] === "awsSigv4")
        .map(([name]) => name);
      const routes = new Map<string, string[]>();
      let signed = 0;
      for (const [route, methods] of Object.entries(body.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          const uri = operation["x-amazon-apigateway-integration"]?.uri;
          if (!uri) continue;
          const fn = functionId(uri.replace(/\/invocations$/, ""));
          routes.set(fn, [...(routes.get(fn) ?? []), `${method.toUpperCase()} ${route}`]);
          if (asList(operation.security).some((requirement) => sigv4.some((name) => name in requirement)))
            signed++;
        }
      }
      const total = [...routes.values()].flat().length;
      const endpoint =
        (restApi.inputs.endpointConfiguration as { types?: string } | undefined)?.types ?? "EDGE";
      const id = this.node(`api:${restApi.name}`, "ingest", "REST API", [
        `API Gateway · ${endpoint} · IAM (SigV4) on ${signed === total ? "every route" : `${signed} of ${total} routes`}`,
        ...stages.map(
          (stage) =>
            `stage ${input(stage, "stageName")}` +
            (throttling
              ? ` · ${throttling.throttlingRateLimit}/s, burst ${throttling.throttlingBurstLimit}`
              : ""),
        ),
      ]);
      for (const [fn, list] of routes) this.edge(id, fn, list.join("\n"));
    }
  }

  /** The buses, their archive, their rules (folded by bus and target) and where the rules deliver. */
  routing(): void {
    for (const bus of this.of("aws:cloudwatch/eventBus:EventBus")) {
      this.node(busId(input(bus, "name")), "routing", "Event bus", [
        `EventBridge · ${this.short(input(bus, "name"))}`,
      ]);
    }
    for (const archive of this.of("aws:cloudwatch/eventArchive:EventArchive")) {
      const days = Number(archive.inputs.retentionDays);
      const id = this.node(`archive:${input(archive, "name")}`, "routing", "Archive", [
        `replay · ${days === 0 ? "kept forever" : `${days} days`}`,
      ]);
      this.edge(busId(input(archive, "eventSourceArn")), id, "every event");
    }
    const rules = this.of("aws:cloudwatch/eventRule:EventRule");
    const folded = new Map<string, { bus: string; target: PlannedResource; names: string[] }>();
    for (const target of this.of("aws:cloudwatch/eventTarget:EventTarget")) {
      const rule = rules.find((candidate) => input(candidate, "name") === input(target, "rule"));
      const bus = rule?.inputs.eventBusName === undefined ? "default" : input(rule, "eventBusName");
      const key = `${bus}|${input(target, "arn")}`;
      const entry = folded.get(key) ?? { bus, target, names: [] };
      entry.names.push(this.short(input(target, "rule")));
      folded.set(key, entry);
    }
    for (const [key, { bus, target, names }] of [...folded].sort(([a], [b]) => a.localeCompare(b))) {
      const onDefaultBus = bus === "default";
      if (onDefaultBus) this.defaultBus();
      const group: Group = onDefaultBus ? "feedback" : "routing";
      const retry = target.inputs.retryPolicy as {
        maximumRetryAttempts: number;
        maximumEventAgeInSeconds: number;
      };
      const id = this.node(`rules:${key}`, group, plural(names.length, "rule"), [
        ...wrap(names.sort(), 4),
        `retries ${retry.maximumRetryAttempts}× within ${retry.maximumEventAgeInSeconds / 3600} h`,
      ]);
      this.edge(busId(bus), id, onDefaultBus ? "SES events of this stack" : "pattern per kind");
      const destination = input(target, "arn");
      const carried = target.inputs.inputTransformer ? "{ notificationKind, event }" : "the event";
      if (destination.includes(":sqs:")) {
        this.groupOf.set(queueId(destination), "notify");
        this.edge(id, queueId(destination), carried);
      } else this.edge(id, functionId(destination), carried);
      const deadLetter = (target.inputs.deadLetterConfig as { arn?: string } | undefined)?.arn;
      if (deadLetter) {
        if (!this.groupOf.has(queueId(deadLetter))) this.groupOf.set(queueId(deadLetter), group);
        this.edge(id, queueId(deadLetter), "undeliverable", "failure");
      }
    }
  }

  /** The queues, their redrive and failure destinations, and the mapping that feeds a function. */
  queues(): void {
    const queues = this.of("aws:sqs/queue:Queue");
    for (const queue of queues) {
      if (!queue.inputs.redrivePolicy) continue;
      const redrive = JSON.parse(input(queue, "redrivePolicy")) as {
        deadLetterTargetArn: string;
        maxReceiveCount: number;
      };
      const source = queueId(input(queue, "name"));
      this.groupOf.set(queueId(redrive.deadLetterTargetArn), this.groupOf.get(source) ?? "notify");
      this.edge(
        source,
        queueId(redrive.deadLetterTargetArn),
        `after ${redrive.maxReceiveCount} receives`,
        "failure",
      );
    }
    for (const config of this.of("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")) {
      const destination = (
        config.inputs.destinationConfig as { onFailure?: { destination: string } } | undefined
      )?.onFailure?.destination;
      if (!destination) continue;
      const fn = functionId(input(config, "functionName"));
      this.groupOf.set(queueId(destination), this.groupOf.get(fn) ?? "feedback");
      this.edge(
        fn,
        queueId(destination),
        `failed after ${input(config, "maximumRetryAttempts")} retries`,
        "failure",
      );
    }
    for (const queue of queues) {
      const id = queueId(input(queue, "name"));
      const deadLetter = this.edges.some((edge) => edge.to === id && edge.kind === "failure");
      this.node(id, this.groupOf.get(id) ?? "notify", deadLetter ? "Dead-letter queue" : "Queue", [
        `SQS · ${this.short(input(queue, "name"))}`,
        `${queue.inputs.kmsMasterKeyId ? "KMS · " : ""}kept ${Number(queue.inputs.messageRetentionSeconds) / 86_400} days`,
      ]);
    }
    for (const mapping of this.of("aws:lambda/eventSourceMapping:EventSourceMapping")) {
      const scaling = mapping.inputs.scalingConfig as { maximumConcurrency?: number } | undefined;
      const partial = asList(mapping.inputs.functionResponseTypes as string[]).includes(
        "ReportBatchItemFailures",
      );
      this.edge(
        queueId(input(mapping, "eventSourceArn")),
        functionId(input(mapping, "functionName")),
        `batches of ${input(mapping, "batchSize")}` +
          (scaling?.maximumConcurrency ? `, ≤ ${scaling.maximumConcurrency} concurrent` : "") +
          (partial ? "\npartial batch failures" : ""),
      );
    }
  }

  /** SES: the identity, configuration set and templates, and where SES publishes its events. */
  email(): void {
    const identities = this.of("aws:sesv2/emailIdentity:EmailIdentity");
    if (identities.length === 0) return;
    this.node(SES, "notify", "SES", [
      ...identities.map((identity) => `identity ${input(identity, "emailIdentity")}`),
      ...this.of("aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes").map(
        (attributes) => `MAIL FROM ${input(attributes, "mailFromDomain")}`,
      ),
      `${plural(this.of("aws:sesv2/configurationSet:ConfigurationSet").length, "configuration set")} · ` +
        plural(this.of("aws:ses/template:Template").length, "template"),
    ]);
    for (const destination of this.of(
      "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
    )) {
      const settings = destination.inputs.eventDestination as {
        eventBridgeDestination?: { eventBusArn: string };
        matchingEventTypes: string[];
      };
      if (!settings.eventBridgeDestination) continue;
      const bus = arnName(settings.eventBridgeDestination.eventBusArn);
      if (bus === "default") this.defaultBus();
      const types = settings.matchingEventTypes.map((type) => type.toLowerCase().replace("_", " "));
      this.edge(SES, busId(bus), wrap(types, 3).join("\n"));
    }
  }

  /** The table, the evidence bucket and the secret, with what each function's role may do to them. */
  data(): void {
    for (const table of this.of("aws:dynamodb/table:Table")) {
      const indexes = asList(table.inputs.globalSecondaryIndexes as unknown[]).length;
      const recovery = (table.inputs.pointInTimeRecovery as { enabled?: boolean } | undefined)?.enabled;
      this.node(`table:${input(table, "name")}`, "storage", "Table", [
        `DynamoDB · ${this.short(input(table, "name"))}`,
        [
          input(table, "billingMode") === "PAY_PER_REQUEST" ? "on-demand" : "provisioned",
          plural(indexes, "index", "indexes"),
          recovery ? "PITR" : "no PITR",
        ].join(" · "),
      ]);
    }
    const locks = new Map(
      this.of("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").map((lock) => [
        input(lock, "bucket"),
        (lock.inputs.rule as { defaultRetention: { mode: string; days: number } }).defaultRetention,
      ]),
    );
    for (const bucket of this.of("aws:s3/bucket:Bucket")) {
      const lock = locks.get(input(bucket, "bucket"));
      this.node(`bucket:${input(bucket, "bucket")}`, "storage", "Evidence bucket", [
        `S3 · ${this.short(input(bucket, "bucket"))}`,
        lock ? `Object Lock ${lock.mode} · ${lock.days} days` : "no Object Lock",
      ]);
    }
    const secrets = this.of("aws:secretsmanager/secret:Secret");
    for (const secret of secrets) {
      this.node(`secret:${input(secret, "name")}`, "security", "Hash-key secret", [
        `Secrets Manager · ${this.short(input(secret, "name"))}`,
      ]);
    }

    const nodeOfArn = (arn: string): string | undefined => {
      const service = arn.split(":")[2];
      if (service === "dynamodb") return `table:${arn.split("/")[1]}`;
      if (service === "events") return busId(arn);
      if (service === "ses") return SES;
      if (service === "s3") return `bucket:${arn.split(":::")[1].split("/")[0]}`;
      const secret = secrets.find((candidate) =>
        arn.split(":secret:")[1]?.startsWith(`${input(candidate, "name")}-`),
      );
      return secret && `secret:${input(secret, "name")}`;
    };
    const owners = new Map(
      this.of("aws:lambda/function:Function").map((fn) => [
        arnName(input(fn, "role")),
        functionId(input(fn, "name")),
      ]),
    );
    for (const policy of this.of("aws:iam/rolePolicy:RolePolicy")) {
      const fn = owners.get(input(policy, "role"));
      if (!fn) continue;
      const granted = new Map<string, string[]>();
      for (const statement of statements(input(policy, "policy"))) {
        for (const target of asList(statement.Resource).map(nodeOfArn)) {
          if (target && this.nodes.has(target)) {
            granted.set(target, [...(granted.get(target) ?? []), ...asList(statement.Action)]);
          }
        }
      }
      for (const [target, actions] of granted) {
        // Publishing and sending carry the notification on; reading and writing data only serve it.
        const kind = target.split(":")[0];
        if (kind === "bus") this.edge(fn, target, "PutEvents");
        else if (kind === SES) this.edge(fn, target, "SendEmail (template)");
        else this.edge(fn, target, kind === "secret" ? "reads the hash key" : accessOf(actions), "access");
      }
    }
  }

  /** Who may call in (the identity policies other teams attach), the roles and the key. */
  security(): void {
    const api = this.of("aws:apigateway/restApi:RestApi")[0];
    for (const policy of this.of("aws:iam/policy:Policy")) {
      const id = this.node(
        `policy:${input(policy, "name")}`,
        "security",
        `${this.short(input(policy, "name"))} policy`,
        ["IAM · attach to callers' roles"],
      );
      for (const statement of statements(input(policy, "policy"))) {
        const actions = asList(statement.Action);
        const resources = asList(statement.Resource);
        if (actions.includes("execute-api:Invoke") && api) {
          const routes = resources.map((arn) => {
            const [method, ...route] = arn.split("/").slice(2);
            return `${method} /${route.join("/")}`;
          });
          this.edge(id, `api:${api.name}`, wrap(routes, 2).join("\n"), "access");
        }
        if (actions.includes("events:PutEvents")) {
          for (const arn of resources) this.edge(id, busId(arn), "PutEvents", "access");
        }
      }
    }
    const roles = this.of("aws:iam/role:Role");
    if (roles.length > 0) {
      const services = roles.flatMap((role) => {
        const trust = JSON.parse(input(role, "assumeRolePolicy")) as {
          Statement: { Principal?: { Service?: string | string[] } }[];
        };
        const assumers = trust.Statement.flatMap((statement) => asList(statement.Principal?.Service));
        return [...new Set(assumers)].map((service) => service.replace(/\.amazonaws\.com$/, ""));
      });
      const managed =
        roles.some((role) => asList(role.inputs.managedPolicyArns as string[]).length > 0) ||
        this.plan.resources.some((resource) => /PolicyAttachment/.test(resource.type));
      this.node("roles", "security", plural(roles.length, "IAM role"), [
        `assumed by ${counted(services).join(" · ")}`,
        `inline policies · ${managed ? "managed policies attached" : "no managed policy"}`,
      ]);
    }
    const keys = this.of("aws:kms/key:Key");
    if (keys.length > 0) {
      const users = this.plan.resources.filter(
        (resource) =>
          resource.type !== "aws:iam/rolePolicy:RolePolicy" &&
          /:kms:[^"]*:key\//.test(JSON.stringify(resource.inputs)),
      );
      const services = [
        ...new Set(users.map((resource) => resource.type.split(":")[1].split("/")[0])),
      ].sort();
      const rotated = keys.every((key) => key.inputs.enableKeyRotation === true);
      this.node("key", "security", "KMS key", [
        `${rotated ? "rotated" : "not rotated"} · encrypts`,
        ...wrap(services, 4),
      ]);
    }
  }

  /** Log groups, alarms and whom they notify, the dashboard. */
  observability(): void {
    const logGroups = this.of("aws:cloudwatch/logGroup:LogGroup");
    if (logGroups.length > 0) {
      const retention = [...new Set(logGroups.map((group) => input(group, "retentionInDays")))].join("/");
      const encrypted = logGroups.every((group) => group.inputs.kmsKeyId);
      this.node("logs", "observability", "Logs", [
        `CloudWatch · ${plural(logGroups.length, "log group")}`,
        `${encrypted ? "KMS · " : ""}${retention} days`,
      ]);
    }
    for (const topic of this.of("aws:sns/topic:Topic")) {
      this.node(topicId(input(topic, "name")), "observability", "Alarm topic", [
        topic.inputs.kmsMasterKeyId ? "SNS · KMS" : "SNS",
      ]);
    }
    const alarms = this.of("aws:cloudwatch/metricAlarm:MetricAlarm");
    if (alarms.length > 0) {
      const namespaces = alarms.map((alarm) =>
        alarm.inputs.namespace
          ? input(alarm, "namespace")
              .replace(/^AWS\//, "")
              .replace(/\/.*/, "")
          : "metric math",
      );
      this.node("alarms", "observability", plural(alarms.length, "alarm"), [
        "CloudWatch",
        ...wrap(counted(namespaces), 3),
      ]);
      for (const topic of new Set(alarms.flatMap((alarm) => asList(alarm.inputs.alarmActions as string[])))) {
        this.edge("alarms", topicId(topic), "ALARM and OK");
      }
    }
    for (const subscription of this.of("aws:sns/topicSubscription:TopicSubscription")) {
      const id = this.node(`subscriber:${input(subscription, "endpoint")}`, "observability", "On call", [
        `${input(subscription, "protocol")} ${input(subscription, "endpoint")}`,
      ]);
      this.edge(topicId(input(subscription, "topic")), id, "notifies");
    }
    for (const dashboard of this.of("aws:cloudwatch/dashboard:Dashboard")) {
      const name = input(dashboard, "dashboardName");
      this.node(`dashboard:${name}`, "observability", "Dashboard", [
        `CloudWatch · ${this.short(name) || name}`,
      ]);
    }
  }

  graph(): ArchitectureGraph {
    const order = Object.keys(GROUPS);
    return {
      stack: this.plan.stack,
      namePrefix: this.namePrefix,
      nodes: [...this.nodes.values()].sort(
        (a, b) => order.indexOf(a.group) - order.indexOf(b.group) || a.id.localeCompare(b.id),
      ),
      edges: this.edges
        .filter((edge) => this.nodes.has(edge.from) && this.nodes.has(edge.to))
        .sort(
          (a, b) =>
            a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.label.localeCompare(b.label),
        ),
    };
  }
}

export function architectureGraph(plan: Plan): ArchitectureGraph {
  const builder = new ArchitectureBuilder(plan);
  builder.functions();
  builder.ingest();
  builder.routing();
  builder.queues();
  builder.email();
  builder.data();
  builder.security();
  builder.observability();
  return builder.graph();
}
