import type { Plan, PlannedResource } from "./plan";

/**
 * The architecture as a graph, derived from a stack's plan (`npm run plan -- --json`): nodes are
 * resources (similar ones, such as the rules of one bus or the alarms, folded into one node), edges
 * are the flows the resources' inputs declare: API integrations, rule targets, event source
 * mappings, redrive policies and failure destinations, what each function's role may do, where SES
 * publishes its events and where alarms notify. Nothing here is drawn from a hand-written list:
 * a resource the plan does not hold is not drawn.
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

interface Statement {
  Action: string | string[];
  Resource: string | string[];
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The name an ARN ends with: `...:table/orders` → `orders`, `...:function:notify` → `notify`. */
function arnName(arn: string): string {
  return arn.split(/[:/]/).pop()!;
}

function string(resource: PlannedResource, key: string): string {
  return String(resource.inputs[key] ?? "");
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
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

export function architectureGraph(plan: Plan): ArchitectureGraph {
  const of = (type: string) => plan.resources.filter((resource) => resource.type === type);
  const functions = of("aws:lambda/function:Function");
  const queues = of("aws:sqs/queue:Queue");
  const buses = of("aws:cloudwatch/eventBus:EventBus");
  const namePrefix = commonPrefix(
    [...functions, ...queues, ...buses].map((resource) => string(resource, "name")),
  );
  const short = (name: string) => (name.startsWith(namePrefix) ? name.slice(namePrefix.length) : name);

  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const node = (id: string, group: Group, title: string, details: string[] = []) => {
    if (!nodes.has(id)) nodes.set(id, { id, group, title, details });
    return id;
  };
  const edge = (from: string, to: string, label: string, kind: EdgeKind = "flow") => {
    if (!edges.some((known) => known.from === from && known.to === to && known.label === label)) {
      edges.push({ from, to, label, kind });
    }
  };

  const functionId = (nameOrArn: string) => `function:${arnName(nameOrArn)}`;
  const queueId = (arn: string) => `queue:${arnName(arn)}`;
  const busId = (nameOrArn: string) => `bus:${arnName(nameOrArn)}`;

  // Where each function is triggered from decides its group.
  const api = of("aws:apigateway/restApi:RestApi");
  const mappings = of("aws:lambda/eventSourceMapping:EventSourceMapping");
  const targets = of("aws:cloudwatch/eventTarget:EventTarget");
  const rules = of("aws:cloudwatch/eventRule:EventRule");
  const groupOfFunction = new Map<string, Group>();
  const apiRoutes = new Map<string, Map<string, string[]>>();
  const apiSigning = new Map<string, string>();
  for (const restApi of api) {
    const body = JSON.parse(string(restApi, "body")) as OpenApiBody;
    const sigv4 = Object.entries(body.components?.securitySchemes ?? {})
      .filter(([, scheme]) => scheme["x-amazon-apigateway-authtype"] === "awsSigv4")
      .map(([name]) => name);
    const routes = new Map<string, string[]>();
    let signed = 0;
    let total = 0;
    for (const [route, methods] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const uri = operation["x-amazon-apigateway-integration"]?.uri;
        if (!uri) continue;
        total++;
        if (asList(operation.security).some((requirement) => sigv4.some((name) => name in requirement)))
          signed++;
        const fn = functionId(uri.replace(/\/invocations$/, ""));
        routes.set(fn, [...(routes.get(fn) ?? []), `${method.toUpperCase()} ${route}`]);
        groupOfFunction.set(fn, "ingest");
      }
    }
    apiRoutes.set(restApi.name, routes);
    apiSigning.set(
      restApi.name,
      signed === total ? "IAM (SigV4) on every route" : `IAM (SigV4) on ${signed} of ${total} routes`,
    );
  }
  for (const mapping of mappings) groupOfFunction.set(functionId(string(mapping, "functionName")), "notify");
  for (const target of targets) {
    if (string(target, "arn").includes(":function:"))
      groupOfFunction.set(functionId(string(target, "arn")), "feedback");
  }

  for (const fn of functions) {
    const id = functionId(string(fn, "name"));
    node(id, groupOfFunction.get(id) ?? "ingest", `λ ${short(string(fn, "name"))}`, [
      `Lambda · ${string(fn, "runtime")} · ${string(fn, "memorySize")} MB · ${string(fn, "timeout")} s`,
    ]);
  }

  // Ingest: the API and the routes it hands to each function.
  const stages = of("aws:apigateway/stage:Stage");
  const settings = of("aws:apigateway/methodSettings:MethodSettings")[0]?.inputs.settings as
    { throttlingRateLimit?: number; throttlingBurstLimit?: number } | undefined;
  for (const restApi of api) {
    const endpoint =
      (restApi.inputs.endpointConfiguration as { types?: string } | undefined)?.types ?? "EDGE";
    const id = node(`api:${restApi.name}`, "ingest", "REST API", [
      `API Gateway · ${endpoint} · ${apiSigning.get(restApi.name)}`,
      ...stages.map(
        (stage) =>
          `stage ${string(stage, "stageName")}` +
          (settings ? ` · ${settings.throttlingRateLimit}/s, burst ${settings.throttlingBurstLimit}` : ""),
      ),
    ]);
    for (const [fn, routes] of apiRoutes.get(restApi.name) ?? []) edge(id, fn, routes.join("\n"));
  }

  // Routing: the buses, their archive, their rules and the rules' targets.
  for (const bus of buses) {
    node(busId(string(bus, "name")), "routing", "Event bus", [`EventBridge · ${short(string(bus, "name"))}`]);
  }
  for (const archive of of("aws:cloudwatch/eventArchive:EventArchive")) {
    const retention = Number(archive.inputs.retentionDays);
    const id = node(`archive:${string(archive, "name")}`, "routing", "Archive", [
      `replay · ${retention === 0 ? "kept forever" : `${retention} days`}`,
    ]);
    edge(busId(string(archive, "eventSourceArn")), id, "every event");
  }
  const queueGroup = new Map<string, Group>();
  const rulesByRoute = new Map<string, { bus: string; target: PlannedResource; rules: string[] }>();
  for (const target of targets) {
    const rule = rules.find((candidate) => string(candidate, "name") === string(target, "rule"));
    const bus = rule?.inputs.eventBusName === undefined ? "default" : string(rule, "eventBusName");
    const key = `${bus}|${string(target, "arn")}`;
    const entry = rulesByRoute.get(key) ?? { bus, target, rules: [] };
    entry.rules.push(short(string(target, "rule")));
    rulesByRoute.set(key, entry);
  }
  for (const [key, { bus, target, rules: names }] of [...rulesByRoute].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const onDefaultBus = bus === "default";
    const group: Group = onDefaultBus ? "feedback" : "routing";
    if (onDefaultBus)
      node(busId("default"), "feedback", "Default event bus", ["EventBridge · the account's"]);
    const retry = target.inputs.retryPolicy as {
      maximumRetryAttempts: number;
      maximumEventAgeInSeconds: number;
    };
    const id = node(`rules:${key}`, group, plural(names.length, "rule"), [
      ...(names.length === 1 ? names : wrap(names.sort(), 4)),
      `retries ${retry.maximumRetryAttempts}× within ${retry.maximumEventAgeInSeconds / 3600} h`,
    ]);
    edge(busId(bus), id, onDefaultBus ? "SES events of this stack" : "pattern per kind");
    const destination = string(target, "arn");
    const transformed = target.inputs.inputTransformer ? "{ notificationKind, event }" : "the event";
    if (destination.includes(":sqs:")) {
      queueGroup.set(queueId(destination), "notify");
      edge(id, queueId(destination), transformed);
    } else edge(id, functionId(destination), transformed);
    const deadLetter = (target.inputs.deadLetterConfig as { arn?: string } | undefined)?.arn;
    if (deadLetter) {
      if (!queueGroup.has(queueId(deadLetter))) queueGroup.set(queueId(deadLetter), group);
      edge(id, queueId(deadLetter), "undeliverable", "failure");
    }
  }

  // Notify: the queues, their redrive, the mapping to the function; failure destinations.
  for (const queue of queues) {
    const redrive = queue.inputs.redrivePolicy
      ? (JSON.parse(string(queue, "redrivePolicy")) as {
          deadLetterTargetArn: string;
          maxReceiveCount: number;
        })
      : undefined;
    if (redrive) {
      queueGroup.set(
        queueId(redrive.deadLetterTargetArn),
        queueGroup.get(queueId(string(queue, "name"))) ?? "notify",
      );
      edge(
        queueId(string(queue, "name")),
        queueId(redrive.deadLetterTargetArn),
        `after ${redrive.maxReceiveCount} receives`,
        "failure",
      );
    }
  }
  for (const config of of("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")) {
    const destination = (
      config.inputs.destinationConfig as { onFailure?: { destination: string } } | undefined
    )?.onFailure?.destination;
    if (!destination) continue;
    const fn = functionId(string(config, "functionName"));
    queueGroup.set(queueId(destination), groupOfFunction.get(fn) ?? "feedback");
    edge(
      fn,
      queueId(destination),
      `failed after ${string(config, "maximumRetryAttempts")} retries`,
      "failure",
    );
  }
  for (const queue of queues) {
    const id = queueId(string(queue, "name"));
    const deadLetter = edges.some((candidate) => candidate.to === id && candidate.kind === "failure");
    const days = Number(queue.inputs.messageRetentionSeconds) / 86_400;
    node(id, queueGroup.get(id) ?? "notify", deadLetter ? "Dead-letter queue" : "Queue", [
      `SQS · ${short(string(queue, "name"))}`,
      `KMS · kept ${days} days`,
    ]);
  }
  for (const mapping of mappings) {
    const scaling = mapping.inputs.scalingConfig as { maximumConcurrency?: number } | undefined;
    edge(
      queueId(string(mapping, "eventSourceArn")),
      functionId(string(mapping, "functionName")),
      `batches of ${string(mapping, "batchSize")}` +
        (scaling?.maximumConcurrency ? `, ≤ ${scaling.maximumConcurrency} concurrent` : "") +
        (asList(mapping.inputs.functionResponseTypes as string[]).includes("ReportBatchItemFailures")
          ? "\npartial batch failures"
          : ""),
    );
  }

  // SES: identity, configuration set, templates; where it publishes its events.
  const identities = of("aws:sesv2/emailIdentity:EmailIdentity");
  const mailFrom = of("aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes");
  const templates = of("aws:ses/template:Template");
  const sesId = "ses";
  if (identities.length > 0) {
    node(sesId, "notify", "SES", [
      ...identities.map((identity) => `identity ${string(identity, "emailIdentity")}`),
      ...mailFrom.map((attributes) => `MAIL FROM ${string(attributes, "mailFromDomain")}`),
      `${plural(of("aws:sesv2/configurationSet:ConfigurationSet").length, "configuration set")} · ${plural(templates.length, "template")}`,
    ]);
  }
  for (const destination of of(
    "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
  )) {
    const settings = destination.inputs.eventDestination as {
      eventBridgeDestination?: { eventBusArn: string };
      matchingEventTypes: string[];
    };
    if (!settings.eventBridgeDestination) continue;
    const bus = arnName(settings.eventBridgeDestination.eventBusArn);
    if (bus === "default")
      node(busId("default"), "feedback", "Default event bus", ["EventBridge · the account's"]);
    edge(
      sesId,
      busId(bus),
      wrap(
        settings.matchingEventTypes.map((type) => type.toLowerCase().replace("_", " ")),
        3,
      ).join("\n"),
    );
  }

  // Storage and secrets, drawn when a function's role may use them.
  for (const table of of("aws:dynamodb/table:Table")) {
    const indexes = asList(table.inputs.globalSecondaryIndexes as unknown[]).length;
    node(`table:${string(table, "name")}`, "storage", "Table", [
      `DynamoDB · ${short(string(table, "name"))}`,
      `${string(table, "billingMode") === "PAY_PER_REQUEST" ? "on-demand" : "provisioned"} · ${plural(indexes, "index", "indexes")} · PITR`,
    ]);
  }
  const lockRules = new Map(
    of("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").map((lock) => [
      string(lock, "bucket"),
      (lock.inputs.rule as { defaultRetention: { mode: string; days: number } }).defaultRetention,
    ]),
  );
  for (const bucket of of("aws:s3/bucket:Bucket")) {
    const lock = lockRules.get(string(bucket, "bucket"));
    node(`bucket:${string(bucket, "bucket")}`, "storage", "Evidence bucket", [
      `S3 · ${short(string(bucket, "bucket"))}`,
      lock ? `Object Lock ${lock.mode} · ${lock.days} days` : "no Object Lock",
    ]);
  }
  for (const secret of of("aws:secretsmanager/secret:Secret")) {
    node(`secret:${string(secret, "name")}`, "security", "Hash-key secret", [
      `Secrets Manager · ${short(string(secret, "name"))}`,
    ]);
  }

  const roleOwner = new Map(
    functions.map((fn) => [arnName(string(fn, "role")), functionId(string(fn, "name"))]),
  );
  const resourceNode = (arn: string): { id: string; service: string } | undefined => {
    const service = arn.split(":")[2];
    if (service === "dynamodb") return { id: `table:${arn.split("/")[1]}`, service };
    if (service === "events") return { id: busId(arn), service };
    if (service === "ses") return { id: sesId, service };
    if (service === "s3") return { id: `bucket:${arn.split(":::")[1].split("/")[0]}`, service };
    if (service === "secretsmanager") {
      const secret = of("aws:secretsmanager/secret:Secret").find((candidate) =>
        arn.split(":secret:")[1]?.startsWith(`${string(candidate, "name")}-`),
      );
      return secret ? { id: `secret:${string(secret, "name")}`, service } : undefined;
    }
    return undefined;
  };
  for (const policy of of("aws:iam/rolePolicy:RolePolicy")) {
    const fn = roleOwner.get(string(policy, "role"));
    if (!fn) continue;
    const granted = new Map<string, string[]>();
    for (const statement of (JSON.parse(string(policy, "policy")) as { Statement: Statement[] }).Statement) {
      for (const arn of asList(statement.Resource)) {
        const target = resourceNode(arn);
        if (target && nodes.has(target.id))
          granted.set(target.id, [...(granted.get(target.id) ?? []), ...asList(statement.Action)]);
      }
    }
    for (const [target, actions] of granted) {
      const service = target.split(":")[0];
      // Publishing and sending carry the notification on; reading and writing data only serve it.
      if (service === "bus") edge(fn, target, "PutEvents");
      else if (service === "ses") edge(fn, target, "SendEmail (template)");
      else edge(fn, target, service === "secret" ? "reads the hash key" : accessOf(actions), "access");
    }
  }

  // Who may call in: the identity policies other teams attach to their roles.
  for (const policy of of("aws:iam/policy:Policy")) {
    const id = node(
      `policy:${string(policy, "name")}`,
      "security",
      `${short(string(policy, "name"))} policy`,
      ["IAM · attach to callers' roles"],
    );
    for (const statement of (JSON.parse(string(policy, "policy")) as { Statement: Statement[] }).Statement) {
      const actions = asList(statement.Action);
      const resources = asList(statement.Resource);
      if (actions.includes("execute-api:Invoke")) {
        const routes = resources.map((arn) => {
          const [method, ...route] = arn.split("/").slice(2);
          return `${method} /${route.join("/")}`;
        });
        edge(id, `api:${api[0]?.name}`, wrap(routes, 2).join("\n"), "access");
      }
      if (actions.includes("events:PutEvents"))
        for (const arn of resources) edge(id, busId(arn), "PutEvents", "access");
    }
  }
  const roles = of("aws:iam/role:Role");
  if (roles.length > 0) {
    const assumedBy = new Map<string, number>();
    for (const role of roles) {
      const trust = JSON.parse(string(role, "assumeRolePolicy")) as {
        Statement: { Principal?: { Service?: string | string[] } }[];
      };
      for (const service of new Set(
        trust.Statement.flatMap((statement) => asList(statement.Principal?.Service)),
      )) {
        const name = service.replace(/\.amazonaws\.com$/, "");
        assumedBy.set(name, (assumedBy.get(name) ?? 0) + 1);
      }
    }
    const managed =
      roles.some((role) => asList(role.inputs.managedPolicyArns as string[]).length > 0) ||
      plan.resources.some((resource) => /PolicyAttachment/.test(resource.type));
    node("roles", "security", plural(roles.length, "IAM role"), [
      `assumed by ${[...assumedBy]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, count]) => `${name} ${count}`)
        .join(" · ")}`,
      `inline policies · ${managed ? "managed policies attached" : "no managed policy"}`,
    ]);
  }
  const keys = of("aws:kms/key:Key");
  if (keys.length > 0) {
    const encrypted = [
      ...new Set(
        plan.resources
          .filter(
            (resource) =>
              /:kms:[^"]*:key\//.test(JSON.stringify(resource.inputs)) &&
              resource.type !== "aws:iam/rolePolicy:RolePolicy",
          )
          .map((resource) => resource.type.split(":")[1].split("/")[0]),
      ),
    ].sort();
    node("key", "security", "KMS key", [
      `${keys.every((key) => key.inputs.enableKeyRotation === true) ? "rotated yearly" : "not rotated"} · encrypts`,
      ...wrap(encrypted, 4),
    ]);
  }

  // Observability: log groups, alarms and where they notify, the dashboard.
  const logGroups = of("aws:cloudwatch/logGroup:LogGroup");
  if (logGroups.length > 0) {
    const retention = [...new Set(logGroups.map((group) => string(group, "retentionInDays")))].join("/");
    node("logs", "observability", "Logs", [
      `CloudWatch · ${plural(logGroups.length, "log group")}`,
      `JSON · KMS · ${retention} days`,
    ]);
  }
  const alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm");
  const topicId = (arn: string) => `topic:${arnName(arn)}`;
  for (const topic of of("aws:sns/topic:Topic"))
    node(topicId(string(topic, "name")), "observability", "Alarm topic", ["SNS · KMS"]);
  if (alarms.length > 0) {
    const byNamespace = new Map<string, number>();
    for (const alarm of alarms) {
      const namespace = alarm.inputs.namespace
        ? string(alarm, "namespace")
            .replace(/^AWS\//, "")
            .replace(/\/.*/, "")
        : "metric math";
      byNamespace.set(namespace, (byNamespace.get(namespace) ?? 0) + 1);
    }
    const counts = [...byNamespace]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([name, count]) => `${name} ${count}`);
    node("alarms", "observability", plural(alarms.length, "alarm"), ["CloudWatch", ...wrap(counts, 3)]);
    for (const topic of new Set(alarms.flatMap((alarm) => asList(alarm.inputs.alarmActions as string[])))) {
      edge("alarms", topicId(topic), "ALARM and OK");
    }
  }
  for (const subscription of of("aws:sns/topicSubscription:TopicSubscription")) {
    const id = node(`subscriber:${string(subscription, "endpoint")}`, "observability", "On call", [
      `${string(subscription, "protocol")} ${string(subscription, "endpoint")}`,
    ]);
    edge(topicId(string(subscription, "topic")), id, "notifies");
  }
  for (const dashboard of of("aws:cloudwatch/dashboard:Dashboard")) {
    node(`dashboard:${string(dashboard, "dashboardName")}`, "observability", "Dashboard", [
      `CloudWatch · ${short(string(dashboard, "dashboardName")) || string(dashboard, "dashboardName")}`,
    ]);
  }

  const order = Object.keys(GROUPS);
  return {
    stack: plan.stack,
    namePrefix,
    nodes: [...nodes.values()].sort(
      (a, b) => order.indexOf(a.group) - order.indexOf(b.group) || a.id.localeCompare(b.id),
    ),
    edges: edges
      .filter((candidate) => nodes.has(candidate.from) && nodes.has(candidate.to))
      .sort(
        (a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.label.localeCompare(b.label),
      ),
  };
}

/** Items joined by " · ", a few per line. */
function wrap(items: string[], perLine: number): string[] {
  const lines: string[] = [];
  for (let index = 0; index < items.length; index += perLine)
    lines.push(items.slice(index, index + perLine).join(" · "));
  return lines;
}
