import { expect } from "chai";
import { authorize, type Caller, type NamedPolicy } from "../../local/iam/evaluator";
import { kmsRequestsFor } from "../../local/iam/kmsRequests";
import { iamRequestsOf, type AccountScope, type ActionRequest } from "../../local/iam/sdkRequests";
import {
  createStackAuthorizer,
  type CheckedRequest,
  type StackAuthorizer,
} from "../../local/iam/stackAuthorizer";
import { stackModel, type StackModel } from "../../local/iam/stackModel";
import { AWS_CALLS, type AwsCall, type StackResource } from "../../runtime/config/awsCalls";
import { EVIDENCE_PREFIX } from "../../runtime/domain/evidence";
import { FUNCTION_IDS, type FunctionId } from "../../components/settings";
import { recordHandlerCalls, type HandlerCalls } from "../support/planHandlerCalls";
import { loadStackConfig, type RecordedResource } from "../../local/pulumi/pulumiMocks";
import { ofType, onlyOfType, stackRun, type StackName, type StackRun } from "../support/pulumiStacks";

/**
 * The seam between what `components/` declares and what `runtime/` sends, proven with an IAM policy
 * evaluator: every request the handlers really build (recorded from their SDK clients, with the plan's
 * resource names) is evaluated against the plan's identity policies and the resource's policy, KMS
 * included; so are the calls Lambda and the other AWS services make for the stack, and what producers,
 * customer administrators and outsiders may do. What each role must never do is evaluated too.
 */

interface Stack {
  run: StackRun;
  model: StackModel;
  scope: AccountScope;
  authorizer: StackAuthorizer;
  recorded: HandlerCalls;
  config: Record<string, string>;
}

const OTHER_ACCOUNT = "999988887777";

function arnOf(
  run: StackRun,
  type: string,
  test: (inputs: Record<string, unknown>) => boolean = () => true,
): string {
  const found = ofType(run, type).find((resource) => test(resource.inputs));
  if (!found) throw new Error(`the plan has no ${type}`);
  return String(found.state.arn);
}

/** Which declared stack resource a request's ARN is, or undefined when the stack declares no such resource. */
function stackResourceOf(run: StackRun, resource: string): StackResource | undefined {
  const table = arnOf(run, "aws:dynamodb/table:Table");
  if (resource === table) return "table";
  if (resource.startsWith(`${table}/index/`)) return `index:${resource.split("/index/")[1]}` as StackResource;
  if (resource === arnOf(run, "aws:cloudwatch/eventBus:EventBus")) return "eventBus";
  if (resource === arnOf(run, "aws:secretsmanager/secret:Secret")) return "hashKeySecret";
  if (resource.startsWith(`${arnOf(run, "aws:s3/bucket:Bucket")}/${EVIDENCE_PREFIX}`))
    return "evidenceObjects";
  if (resource === arnOf(run, "aws:sesv2/emailIdentity:EmailIdentity")) return "sesIdentity";
  if (resource === arnOf(run, "aws:sesv2/configurationSet:ConfigurationSet")) return "sesConfigurationSet";
  if (ofType(run, "aws:ses/template:Template").some((template) => template.state.arn === resource))
    return "sesTemplates";
  return undefined;
}

function describeFailures(checked: CheckedRequest[]): string[] {
  return checked
    .filter(({ decision }) => !decision.allowed)
    .map(({ request, decision }) => `${decision.message} [context ${JSON.stringify(request.context)}]`);
}

async function openStack(name: StackName): Promise<Stack> {
  const run = await stackRun(name);
  const model = stackModel(run.resources);
  const key = arnOf(run, "aws:kms/key:Key");
  const [, partition, , region, accountId] = key.split(":");
  const scope = { partition, region, accountId };
  return {
    run,
    model,
    scope,
    authorizer: createStackAuthorizer(model, scope),
    recorded: await recordHandlerCalls(name),
    config: loadStackConfig(name).config,
  };
}

/** The identity that authorises a From address: the address's own identity, or its domain's. */
function sesIdentityOf(run: StackRun) {
  const identities = ofType(run, "aws:sesv2/emailIdentity:EmailIdentity").map((identity) =>
    String(identity.inputs.emailIdentity),
  );
  return (from: string) => (identities.includes(from) ? from : from.split("@")[1]);
}

function configList(stack: Stack, key: string): string[] {
  const raw = stack.config[`bank-notification-stack:${key}`];
  return raw ? (JSON.parse(raw) as string[]) : [];
}

/**
 * What Lambda itself does with a function's execution role: write its log group, send traces, poll
 * the queue of its event source mapping, send failed asynchronous invocations to the destination.
 */
function lambdaPlatformRequests(run: StackRun, fn: RecordedResource): ActionRequest[] {
  const functionName = String(fn.inputs.name);
  const logGroup = arnOf(
    run,
    "aws:cloudwatch/logGroup:LogGroup",
    (inputs) => inputs.name === (fn.inputs.loggingConfig as { logGroup: string }).logGroup,
  );
  const stream = `${logGroup}:log-stream:2026/03/14/[$LATEST]0123abcd`;
  // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
  // https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
  const requests: ActionRequest[] = [
    { action: "logs:CreateLogStream", resource: stream, context: {} },
    { action: "logs:PutLogEvents", resource: stream, context: {} },
    { action: "xray:PutTraceSegments", resource: "*", context: {} },
    { action: "xray:PutTelemetryRecords", resource: "*", context: {} },
  ];
  // The event source mapping polls with the function's role:
  // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
  for (const mapping of ofType(run, "aws:lambda/eventSourceMapping:EventSourceMapping")) {
    if (![fn.state.arn, functionName].includes(mapping.inputs.functionName)) continue;
    for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"])
      requests.push({ action, resource: String(mapping.inputs.eventSourceArn), context: {} });
  }
  // Lambda sends failed asynchronous invocations to the destination with the function's role:
  // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
  for (const config of ofType(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")) {
    if (config.inputs.functionName !== functionName) continue;
    const { destination } = (config.inputs.destinationConfig as { onFailure: { destination: string } })
      .onFailure;
    requests.push({ action: "sqs:SendMessage", resource: destination, context: {} });
  }
  return requests;
}

for (const name of ["dev", "prod"] as const) {
  describe(`infra (${name}): an IAM evaluator allows exactly what the runtime and AWS do with the plan`, function () {
    this.timeout(180_000);
    let stack: Stack;

    before(async () => {
      stack = await openStack(name);
    });

    const requestsOf = (id: FunctionId): ActionRequest[] =>
      stack.recorded.calls[id].flatMap((call) => iamRequestsOf(call, stack.scope, sesIdentityOf(stack.run)));

    it("every SDK command a handler builds is declared in AWS_CALLS on a resource of the stack, and every declared call is made", () => {
      for (const id of FUNCTION_IDS) {
        const declared = AWS_CALLS[id] as readonly AwsCall[];
        const made = new Set<string>();
        for (const request of requestsOf(id)) {
          const on = stackResourceOf(stack.run, request.resource);
          expect(
            on,
            `${id} sends ${request.action} on ${request.resource}, which the stack does not declare`,
          ).to.not.equal(undefined);
          expect(
            declared.some((call) => call.action === request.action && call.on === on),
            `${id} sends ${request.action} on ${on}, which AWS_CALLS.${id} does not name`,
          ).to.equal(true);
          made.add(`${request.action} on ${on}`);
        }
        expect([...made].sort(), `${id}: declared calls never made`).to.have.members(
          [...new Set(declared.map((call) => `${call.action} on ${call.on}`))].sort(),
        );
      }
    });

    for (const id of FUNCTION_IDS) {
      it(`${id}: every request its handler really built is allowed by its role, the resource's policy and the key`, async () => {
        const fn = stack.recorded.functions[id];
        const { caller, policies } = stack.authorizer.functionCaller(fn.name);
        const requests = requestsOf(id);
        expect(requests.length).to.be.greaterThan(0);
        const checked = (
          await Promise.all(
            requests.map((request) => stack.authorizer.checkWithKey(caller, request, policies)),
          )
        ).flat();
        expect(describeFailures(checked)).to.deep.equal([]);
      });
    }

    it("Lambda's own calls with each role are allowed: its log group, tracing, the queue notify consumes, the feedback destination", async () => {
      const failures: string[] = [];
      for (const fn of ofType(stack.run, "aws:lambda/function:Function")) {
        const { caller, policies } = stack.authorizer.functionCaller(String(fn.inputs.name));
        for (const request of lambdaPlatformRequests(stack.run, fn))
          failures.push(...describeFailures(await stack.authorizer.checkWithKey(caller, request, policies)));
      }
      expect(failures).to.deep.equal([]);
    });

    it("AWS services deliver for the stack: rules to queues and to the feedback function, API Gateway to the API functions, alarms to the topic, and the services that encrypt with the key", async () => {
      const { run, authorizer, scope } = stack;
      const service = (principal: string, sourceArn: string): Caller => ({
        kind: "service",
        service: principal,
        sourceArn,
        sourceAccount: scope.accountId,
      });
      const checks: [Caller, ActionRequest][] = [];
      const keyOf = (arn: string) => stack.model.encryptionKey(arn);
      /** A service writing to an encrypted queue or topic needs the key under the key policy. */
      const withServiceKey = (caller: Caller, resource: string, context: Record<string, string>) => {
        const key = keyOf(resource);
        if (!key) return;
        for (const action of ["kms:GenerateDataKey", "kms:Decrypt"])
          checks.push([caller, { action, resource: key, context }]);
      };
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
      for (const target of ofType(run, "aws:cloudwatch/eventTarget:EventTarget")) {
        const bus = String(target.inputs.eventBusName ?? "default");
        const rule = arnOf(
          run,
          "aws:cloudwatch/eventRule:EventRule",
          (inputs) => inputs.name === target.inputs.rule && String(inputs.eventBusName ?? "default") === bus,
        );
        const events = service("events.amazonaws.com", rule);
        const destinations = [
          String(target.inputs.arn),
          (target.inputs.deadLetterConfig as { arn: string }).arn,
        ];
        for (const destination of destinations) {
          if (destination.includes(":sqs:")) {
            checks.push([events, { action: "sqs:SendMessage", resource: destination, context: {} }]);
            withServiceKey(events, destination, { "kms:EncryptionContext:aws:sqs:arn": destination });
          } else {
            checks.push([events, { action: "lambda:InvokeFunction", resource: destination, context: {} }]);
          }
        }
      }
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
      for (const permission of ofType(run, "aws:lambda/permission:Permission").filter(
        (candidate) => candidate.inputs.principal === "apigateway.amazonaws.com",
      )) {
        const fnArn = arnOf(
          run,
          "aws:lambda/function:Function",
          (inputs) => inputs.name === permission.inputs.function,
        );
        checks.push([
          service("apigateway.amazonaws.com", String(permission.inputs.sourceArn)),
          { action: "lambda:InvokeFunction", resource: fnArn, context: {} },
        ]);
      }
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
      for (const alarm of ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
        const cloudwatch = service("cloudwatch.amazonaws.com", String(alarm.state.arn));
        for (const topic of alarm.inputs.alarmActions as string[]) {
          checks.push([cloudwatch, { action: "sns:Publish", resource: topic, context: {} }]);
          withServiceKey(cloudwatch, topic, {});
        }
      }
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
      for (const group of ofType(run, "aws:cloudwatch/logGroup:LogGroup")) {
        const logs: Caller = { kind: "service", service: `logs.${scope.region}.amazonaws.com` };
        for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"])
          checks.push([
            logs,
            {
              action,
              resource: String(group.inputs.kmsKeyId),
              context: { "kms:EncryptionContext:aws:logs:arn": String(group.state.arn) },
            },
          ]);
      }
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html
      for (const bus of ofType(run, "aws:cloudwatch/eventBus:EventBus")) {
        const key = bus.inputs.kmsKeyIdentifier;
        expect(key, `${String(bus.inputs.name)} is encrypted with the stack key`).to.equal(
          arnOf(run, "aws:kms/key:Key"),
        );
        const events = service("events.amazonaws.com", String(bus.state.arn));
        for (const action of ["kms:GenerateDataKey", "kms:Decrypt"])
          checks.push([
            events,
            {
              action,
              resource: String(key),
              context: { "kms:EncryptionContext:aws:events:event-bus:arn": String(bus.state.arn) },
            },
          ]);
        checks.push([events, { action: "kms:DescribeKey", resource: String(key), context: {} }]);
        // Events the bus cannot encrypt or decrypt go to the bus's own dead-letter queue.
        const deadLetter = (bus.inputs.deadLetterConfig as { arn: string } | undefined)?.arn;
        expect(deadLetter, `${String(bus.inputs.name)} has a dead-letter queue`).to.be.a("string");
        checks.push([events, { action: "sqs:SendMessage", resource: deadLetter!, context: {} }]);
        withServiceKey(events, deadLetter!, { "kms:EncryptionContext:aws:sqs:arn": deadLetter! });
      }
      const failures: string[] = [];
      for (const [caller, request] of checks) {
        const decision = await authorizer.check(caller, request, []);
        if (!decision.allowed) failures.push(decision.message);
      }
      expect(checks.length).to.be.greaterThan(20);
      expect(failures).to.deep.equal([]);
    });

    it("AWS services acting for anything but this stack, and requests without TLS, are refused", async () => {
      const { run, scope, authorizer } = stack;
      const key = arnOf(run, "aws:kms/key:Key");
      const notifyQueue = String(
        ofType(run, "aws:sqs/queue:Queue").find((queue) => String(queue.inputs.name).endsWith("-notify"))!
          .state.arn,
      );
      const topic = arnOf(run, "aws:sns/topic:Topic");
      const feedbackFunction = stack.recorded.functions.sesFeedback.name;
      const feedbackArn = arnOf(
        run,
        "aws:lambda/function:Function",
        (inputs) => inputs.name === feedbackFunction,
      );
      const operationsArn = arnOf(
        run,
        "aws:lambda/function:Function",
        (inputs) => inputs.name === stack.recorded.functions.operationsApi.name,
      );
      const regional = (service: string, account: string, resource: string) =>
        `arn:aws:${service}:${scope.region}:${account}:${resource}`;
      const acting = (service: string, sourceArn: string): Caller => ({
        kind: "service",
        service,
        sourceArn,
        sourceAccount: sourceArn.split(":")[4],
      });
      const otherAccountRule = acting("events.amazonaws.com", regional("events", OTHER_ACCOUNT, "rule/x/y"));
      const otherRule = acting(
        "events.amazonaws.com",
        regional("events", scope.accountId, "rule/another-team-rule"),
      );
      const otherAlarm = acting(
        "cloudwatch.amazonaws.com",
        regional("cloudwatch", scope.accountId, "alarm:another-team"),
      );
      const otherApi = acting(
        "apigateway.amazonaws.com",
        regional("execute-api", scope.accountId, "abcdef1234/v1/POST/operations"),
      );
      const kmsRequest = (action: string, context: Record<string, string> = {}) => ({
        action,
        resource: key,
        context,
      });
      const refused: [Caller, ActionRequest][] = [
        [otherAccountRule, { action: "sqs:SendMessage", resource: notifyQueue, context: {} }],
        [otherAccountRule, kmsRequest("kms:GenerateDataKey")],
        [otherRule, { action: "sqs:SendMessage", resource: notifyQueue, context: {} }],
        [otherRule, { action: "lambda:InvokeFunction", resource: feedbackArn, context: {} }],
        [otherAlarm, { action: "sns:Publish", resource: topic, context: {} }],
        [otherAlarm, kmsRequest("kms:GenerateDataKey")],
        [otherApi, { action: "lambda:InvokeFunction", resource: operationsArn, context: {} }],
        [
          { kind: "service", service: "sqs.amazonaws.com", sourceAccount: scope.accountId },
          kmsRequest("kms:Decrypt"),
        ],
        [
          { kind: "service", service: `logs.${scope.region}.amazonaws.com` },
          kmsRequest("kms:Encrypt", {
            "kms:EncryptionContext:aws:logs:arn": regional(
              "logs",
              scope.accountId,
              "log-group:/another-team",
            ),
          }),
        ],
      ];
      const allowedThatMustNotBe: string[] = [];
      for (const [caller, request] of refused) {
        const decision = await authorizer.check(caller, request, []);
        if (decision.allowed) allowedThatMustNotBe.push(decision.message);
      }
      expect(allowedThatMustNotBe).to.deep.equal([]);

      // The evidence upload notify really sends, over plain HTTP.
      const upload = requestsOf("notify").find((request) => request.action === "s3:PutObject")!;
      const { caller, policies } = authorizer.functionCaller(stack.recorded.functions.notify.name);
      const decision = await authorize({
        caller,
        action: upload.action,
        resource: upload.resource,
        resourceAccount: scope.accountId,
        context: upload.context,
        secureTransport: false,
        identityPolicies: policies,
        resourcePolicy: stack.model.resourcePolicy(upload.resource),
      });
      expect(decision.result).to.equal("ExplicitlyDenied");
      expect(decision.statements).to.deep.equal(["resource#DenyInsecureTransport"]);
    });

    describe("who may submit operations and manage customers", () => {
      const apiArn = (method: string, path: string) =>
        `${String(onlyOfType(stack.run, "aws:apigateway/restApi:RestApi").state.executionArn)}/${String(
          onlyOfType(stack.run, "aws:apigateway/stage:Stage").inputs.stageName,
        )}/${method}${path}`;
      /** A private API is reached through its VPC endpoint: requests carry `aws:SourceVpce`. */
      const apiContext = (): Record<string, string> => {
        const endpoints = configList(stack, "privateApiVpcEndpointIds");
        return endpoints.length > 0 ? { "aws:SourceVpce": endpoints[0] } : {};
      };
      const routes = [
        ["POST", "/operations"],
        ["GET", "/operations/op-1"],
        ["GET", "/notifications/failed"],
        ["PUT", "/customers/cust-1"],
        ["GET", "/customers/cust-1"],
        ["PATCH", "/customers/cust-1"],
        ["DELETE", "/customers/cust-1"],
        ["GET", "/customers/cust-1/operations"],
      ] as const;
      /** An access policy the stack offers, by the end of its Pulumi name. */
      const policyNamed = (suffix: string): NamedPolicy => {
        const policy = ofType(stack.run, "aws:iam/policy:Policy").find((candidate) =>
          candidate.name.endsWith(suffix),
        )!;
        return { name: String(policy.inputs.name), document: JSON.parse(String(policy.inputs.policy)) };
      };
      const role = (arn: string): Caller => ({ kind: "role", roleArn: arn, sessionName: "caller" });
      const putEvents = (
        sources: string[],
        bus = arnOf(stack.run, "aws:cloudwatch/eventBus:EventBus"),
      ): ActionRequest => ({
        action: "events:PutEvents",
        resource: bus,
        // A multivalued key with no value is absent from the request.
        context:
          sources.length === 0
            ? {}
            : { "events:source": sources, "events:detail-type": sources.map(() => "deposit") },
      });
      const eventSource = () => stack.config["bank-notification-stack:eventSource"] ?? "bank.core-banking";
      const allowedRoutes = async (caller: Caller, policies: NamedPolicy[]) => {
        const allowed: string[] = [];
        for (const [method, path] of routes) {
          const decision = await stack.authorizer.check(
            caller,
            { action: "execute-api:Invoke", resource: apiArn(method, path), context: apiContext() },
            policies,
          );
          if (decision.allowed) allowed.push(`${method} ${path}`);
        }
        return allowed;
      };

      it("a producer may only POST /operations and put events with the stack's source on the stack's bus", async () => {
        const producer = role(configList(stack, "producerPrincipalArns")[0]);
        const policies = [policyNamed("-producer")];
        expect(await allowedRoutes(producer, policies)).to.deep.equal(["POST /operations"]);
        const decide = async (request: ActionRequest) =>
          (await stack.authorizer.check(producer, request, policies)).result;
        expect(await decide(putEvents([eventSource()]))).to.equal("Allowed");
        expect(await decide(putEvents([eventSource(), eventSource()]))).to.equal("Allowed");
        expect(await decide(putEvents(["bank.elsewhere"]))).to.not.equal("Allowed");
        expect(
          await decide(putEvents([eventSource(), "bank.elsewhere"])),
          "a batch smuggling another source",
        ).to.not.equal("Allowed");
        expect(await decide(putEvents([])), "a request that names no source").to.not.equal("Allowed");
        const defaultBus = `arn:aws:events:${stack.scope.region}:${stack.scope.accountId}:event-bus/default`;
        expect(await decide(putEvents([eventSource()], defaultBus))).to.not.equal("Allowed");
      });

      it("a customer administrator may use every route but POST /operations, and may not put events", async () => {
        const admin = role(configList(stack, "customerAdminPrincipalArns")[0]);
        const policies = [policyNamed("-customer-admin")];
        expect(await allowedRoutes(admin, policies)).to.deep.equal(
          routes
            .filter(([method, path]) => !(method === "POST" && path === "/operations"))
            .map(([m, p]) => `${m} ${p}`),
        );
        expect((await stack.authorizer.check(admin, putEvents([eventSource()]), policies)).allowed).to.equal(
          false,
        );
      });

      it("outsiders reach nothing, even with administrator-like identity policies: another role of the account, another account", async () => {
        const everything: NamedPolicy = {
          name: "broad",
          document: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: ["execute-api:Invoke", "events:PutEvents"], Resource: "*" },
            ],
          },
        };
        const sameAccount = role(`arn:aws:iam::${stack.scope.accountId}:role/someone-else`);
        const otherAccount = role(`arn:aws:iam::${OTHER_ACCOUNT}:role/someone-elsewhere`);
        expect(await allowedRoutes(sameAccount, [everything])).to.deep.equal([]);
        expect(await allowedRoutes(otherAccount, [everything])).to.deep.equal([]);
        expect(
          (await stack.authorizer.check(otherAccount, putEvents([eventSource()]), [everything])).allowed,
        ).to.equal(false);
        expect(await allowedRoutes({ kind: "anonymous" }, [])).to.deep.equal([]);
      });

      if (name === "prod") {
        it("the private API refuses its own producers outside the VPC endpoint", async () => {
          const producer = role(configList(stack, "producerPrincipalArns")[0]);
          const decision = await stack.authorizer.check(
            producer,
            { action: "execute-api:Invoke", resource: apiArn("POST", "/operations"), context: {} },
            [policyNamed("-producer")],
          );
          expect(decision.result).to.equal("ExplicitlyDenied");
        });
      }
    });

    it("each function's role is refused what it must never do", async () => {
      const { run, scope, authorizer } = stack;
      const table = arnOf(run, "aws:dynamodb/table:Table");
      const key = arnOf(run, "aws:kms/key:Key");
      const bucket = arnOf(run, "aws:s3/bucket:Bucket");
      const secret = arnOf(run, "aws:secretsmanager/secret:Secret");
      const bus = arnOf(run, "aws:cloudwatch/eventBus:EventBus");
      const identity = arnOf(run, "aws:sesv2/emailIdentity:EmailIdentity");
      const configurationSet = arnOf(run, "aws:sesv2/configurationSet:ConfigurationSet");
      const template = String(ofType(run, "aws:ses/template:Template")[0].state.arn);
      const queues = ofType(run, "aws:sqs/queue:Queue").map((queue) => String(queue.state.arn));
      const notifyQueue = queues.find((queue) => queue.endsWith("-notify"))!;
      const roles = ofType(run, "aws:iam/role:Role").map((role) => String(role.state.arn));
      const logGroups = ofType(run, "aws:cloudwatch/logGroup:LogGroup").map((group) =>
        String(group.state.arn),
      );
      const regional = (service: string, resource: string) =>
        `arn:aws:${service}:${scope.region}:${scope.accountId}:${resource}`;
      const sender = stack.config["bank-notification-stack:senderAddress"];
      const viaDynamo = { "kms:ViaService": `dynamodb.${scope.region}.amazonaws.com` };
      const request = (
        action: string,
        resource: string,
        context: Record<string, string | string[]> = {},
      ) => ({
        action,
        resource,
        context,
      });
      const forbidden: ActionRequest[] = [
        request("dynamodb:DeleteTable", table),
        request("dynamodb:UpdateTable", table),
        request("dynamodb:Scan", table),
        request("dynamodb:DeleteItem", table),
        request("dynamodb:GetItem", regional("dynamodb", "table/another-team")),
        request("kms:ScheduleKeyDeletion", key),
        request("kms:PutKeyPolicy", key),
        request("kms:DisableKey", key),
        request("kms:Decrypt", key),
        request("kms:Decrypt", regional("kms", "key/11111111-2222-3333-4444-555555555555"), viaDynamo),
        request("s3:GetObject", `${bucket}/${EVIDENCE_PREFIX}op/deposit/message.json`),
        request("s3:DeleteObject", `${bucket}/${EVIDENCE_PREFIX}op/deposit/message.json`),
        request("s3:PutObjectRetention", `${bucket}/${EVIDENCE_PREFIX}op/deposit/message.json`),
        request("s3:BypassGovernanceRetention", `${bucket}/${EVIDENCE_PREFIX}op/deposit/message.json`),
        request("s3:PutObject", `${bucket}/elsewhere/object.json`),
        request("s3:PutObject", `${bucket}/${EVIDENCE_PREFIX}op/deposit/sse-s3.json`, {
          "s3:x-amz-server-side-encryption": "AES256",
        }),
        request("s3:PutObject", `${bucket}/${EVIDENCE_PREFIX}op/deposit/other-key.json`, {
          "s3:x-amz-server-side-encryption": "aws:kms",
          "s3:x-amz-server-side-encryption-aws-kms-key-id": regional(
            "kms",
            "key/11111111-2222-3333-4444-555555555555",
          ),
        }),
        request("s3:PutObject", `${bucket}/${EVIDENCE_PREFIX}op/deposit/sse-c.json`, {
          "s3:x-amz-server-side-encryption-customer-algorithm": "AES256",
        }),
        request("s3:PutObject", "arn:aws:s3:::another-team-bucket/evidence/object.json"),
        request("s3:PutBucketPolicy", bucket),
        request("s3:DeleteBucket", bucket),
        request("secretsmanager:PutSecretValue", secret),
        request("secretsmanager:DeleteSecret", secret),
        request("secretsmanager:GetSecretValue", regional("secretsmanager", "secret:another-team-AbCdEf")),
        request("events:PutEvents", regional("events", "event-bus/default"), {
          "events:source": ["bank.core-banking"],
        }),
        request("events:PutEvents", regional("events", "event-bus/another-team"), {
          "events:source": ["bank.core-banking"],
        }),
        request("events:PutRule", regional("events", `rule/${bus.split("/").pop()}/sneaky`)),
        request("events:DeleteRule", regional("events", `rule/${bus.split("/").pop()}/sneaky`)),
        request("ses:SendEmail", identity, { "ses:FromAddress": `someone-else@${sender.split("@")[1]}` }),
        request("ses:SendEmail", regional("ses", "identity/another-team.example"), {
          "ses:FromAddress": "x@another-team.example",
        }),
        request("ses:DeleteEmailIdentity", identity),
        request("ses:UpdateConfigurationSetEventDestination", configurationSet),
        request("ses:UpdateEmailTemplate", template),
        request("sqs:SendMessage", notifyQueue),
        request("sqs:DeleteQueue", notifyQueue),
        request("sqs:SetQueueAttributes", notifyQueue),
        request("sqs:PurgeQueue", notifyQueue),
        request("sqs:ReceiveMessage", regional("sqs", "another-team-queue")),
        request("logs:CreateLogGroup", regional("logs", "log-group:/another-team")),
        request("logs:PutLogEvents", regional("logs", "log-group:/another-team:log-stream:x")),
        request("lambda:UpdateFunctionCode", regional("lambda", "function:any")),
        ...roles.map((role) => request("iam:PassRole", role)),
        ...queues.filter((queue) => /dlq$/.test(queue)).map((queue) => request("sqs:ReceiveMessage", queue)),
      ];
      const allowedThatMustNotBe: string[] = [];
      for (const fn of ofType(run, "aws:lambda/function:Function")) {
        const functionName = String(fn.inputs.name);
        const { caller, policies } = authorizer.functionCaller(functionName);
        const ownLogGroup = (fn.inputs.loggingConfig as { logGroup: string }).logGroup;
        const otherLogGroups = logGroups.filter((group) => !group.endsWith(`:log-group:${ownLogGroup}`));
        const requests = [
          ...forbidden,
          ...otherLogGroups.map((group) => request("logs:PutLogEvents", `${group}:log-stream:x`)),
        ];
        for (const each of requests) {
          const decision = await authorizer.check(caller, each, policies);
          if (decision.allowed) allowedThatMustNotBe.push(`${functionName}: ${decision.message}`);
        }
      }
      expect(allowedThatMustNotBe).to.deep.equal([]);
    });

    it("each function's role may use the stack key only through the services, and for the operations, its calls need", async () => {
      const { run, scope, authorizer, model } = stack;
      const key = arnOf(run, "aws:kms/key:Key");
      const favourableContext = {
        "kms:CallerAccount": scope.accountId,
        "kms:EncryptionContext:aws:dynamodb:tableName": String(
          onlyOfType(run, "aws:dynamodb/table:Table").inputs.name,
        ),
        "kms:EncryptionContext:aws:dynamodb:subscriberId": scope.accountId,
        "kms:EncryptionContext:SecretARN": arnOf(run, "aws:secretsmanager/secret:Secret"),
        "kms:EncryptionContext:aws:s3:arn": arnOf(run, "aws:s3/bucket:Bucket"),
      };
      const widerThanNeeded: string[] = [];
      for (const id of FUNCTION_IDS) {
        const fn = ofType(run, "aws:lambda/function:Function").find(
          (candidate) => candidate.inputs.name === stack.recorded.functions[id].name,
        )!;
        const needed = new Set(
          [...requestsOf(id), ...lambdaPlatformRequests(run, fn)]
            .flatMap((request) => kmsRequestsFor(request, model.encryptionKey(request.resource), scope))
            .map((request) => `${request.action} via ${String(request.context["kms:ViaService"])}`),
        );
        const { caller, policies } = authorizer.functionCaller(String(fn.inputs.name));
        for (const service of [
          "dynamodb",
          "secretsmanager",
          "s3",
          "sqs",
          "sns",
          "logs",
          "events",
          "lambda",
        ]) {
          const viaService = `${service}.${scope.region}.amazonaws.com`;
          for (const action of [
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "kms:Encrypt",
            "kms:ReEncryptFrom",
            "kms:CreateGrant",
          ]) {
            if (needed.has(`${action} via ${viaService}`)) continue;
            const decision = await authorizer.check(
              caller,
              { action, resource: key, context: { ...favourableContext, "kms:ViaService": viaService } },
              policies,
            );
            if (decision.allowed) widerThanNeeded.push(`${id}: ${action} via ${service}`);
          }
        }
        expect(needed.size, `${id} uses the key for something`).to.be.greaterThan(0);
      }
      expect(widerThanNeeded).to.deep.equal([]);
    });
  });
}
