import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { Message } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { issueCredentials } from "../../local/cloud/credentials";
import type { CredentialStore, LambdaInvoker, LocalPrincipal, QueueSender } from "../../local/cloud/types";
import {
  startEventBridge,
  type EventBridgeOptions,
  type LocalEventBridge,
  type PutEventsResult,
} from "../../local/eventbridge/eventBridge";
import { newBusEvent, eventValue } from "../../local/eventbridge/eventEnvelope";
import { eventTopology } from "../../local/eventbridge/eventTopology";
import { retryDelayMs } from "../../local/eventbridge/retryBackoff";
import { renderTargetInput, type TargetInput } from "../../local/eventbridge/targetInput";
import type { AccountScope } from "../../local/iam/sdkRequests";
import { createStackAuthorizer } from "../../local/iam/stackAuthorizer";
import { stackModel, type PlannedResource } from "../../local/iam/stackModel";
import { buildOperationEvent, parseNotificationEnvelope } from "../../runtime/domain/operationEvent";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import { startLocalQueues, type LocalQueues } from "../support/localQueues";
import { loadStackConfig } from "../../local/pulumi/pulumiMocks";
import { ofType, stackRun, type StackRun } from "../support/pulumiStacks";
import { validOperation } from "../support/sampleData";

/**
 * The local EventBridge built from the dev plan: the producer's credentials issued from the plan,
 * the plan's queues in fauxqs (sent to through the AWS SDK), a recording Lambda invoker, and every
 * delivery authorized against the plan's queue, key and function policies.
 */

const SOURCE = "bank.core-banking.dev";
const ACCOUNT = "111122223333";
const REGION = "eu-west-1";

const T = {
  bus: "aws:cloudwatch/eventBus:EventBus",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  archive: "aws:cloudwatch/eventArchive:EventArchive",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  key: "aws:kms/key:Key",
  fn: "aws:lambda/function:Function",
} as const;

interface Invocation {
  functionArn: string;
  event: unknown;
}

/** A copy of the plan's resources with one resource's inputs changed. */
function withInputs(
  resources: PlannedResource[],
  test: (resource: PlannedResource) => boolean,
  change: (inputs: Record<string, unknown>) => Record<string, unknown>,
): PlannedResource[] {
  const found = resources.filter(test);
  if (found.length !== 1) throw new Error(`expected one resource to change, found ${found.length}`);
  return resources.map((resource) =>
    test(resource) ? { ...resource, inputs: change(resource.inputs) } : resource,
  );
}

/** A policy document (JSON text) without the statement of this Sid. */
function withoutStatement(policyJson: unknown, sid: string): string {
  const policy = JSON.parse(String(policyJson)) as { Statement: { Sid?: string }[] };
  const Statement = policy.Statement.filter((statement) => statement.Sid !== sid);
  if (Statement.length === policy.Statement.length) throw new Error(`no statement ${sid}`);
  return JSON.stringify({ ...policy, Statement });
}

/** The EventId of the first entry, which must have been accepted. */
function eventIdOf(result: PutEventsResult): string {
  if (!result.ok) throw new Error(`PutEvents failed: ${result.fault.message}`);
  const [entry] = result.output.Entries;
  if (!("EventId" in entry)) throw new Error(`the entry failed: ${entry.ErrorCode}`);
  return entry.EventId;
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/** A deposit as core banking reports it, built by the runtime's own event builder. */
function depositDetail(amount: string): Record<string, unknown> {
  const operation = validOperation({
    amount: { value: amount, currency: "EUR" },
  }) as unknown as OperationInput;
  return buildOperationEvent(operation, {
    source: SOURCE,
    hashKey: "test-hash-key",
  }).detail as unknown as Record<string, unknown>;
}

function deposit(amount = "50.00"): PutEventsRequestEntry & { Detail: string } {
  return {
    EventBusName: "bank-notif-dev-operations",
    Source: SOURCE,
    DetailType: "deposit",
    Detail: JSON.stringify(depositDetail(amount)),
  };
}

describe("local EventBridge: the dev plan's buses, rules and targets behind the real PutEvents API", () => {
  let run: StackRun;
  let scope: AccountScope;
  let credentials: CredentialStore;
  let producer: LocalPrincipal;
  let outsider: LocalPrincipal;
  const arnOf = (type: string, name: string) => {
    const found = ofType(run, type).find((resource) => resource.inputs.name === name);
    if (!found) throw new Error(`the dev plan has no ${type} named ${name}`);
    return String(found.state.arn);
  };

  // Per test: fresh queues, a fresh state folder, a fresh service.
  let queues: LocalQueues;
  let stateDir: string;
  let bridge: LocalEventBridge | undefined;
  let invocations: Invocation[];
  let logs: string[];
  let clock: number;
  let sends: string[];

  before(async function () {
    this.timeout(240_000);
    run = await stackRun("dev");
    const [, partition, , region, accountId] = String(ofType(run, T.key)[0].state.arn).split(":");
    scope = { partition, region, accountId };
    const config = loadStackConfig("dev").config;
    const [producerRoleArn] = JSON.parse(config["bank-notification-stack:producerPrincipalArns"]) as string[];
    credentials = issueCredentials(stackModel(run.resources), { producerRoleArn, accountId });
    producer = credentials.byName("producer")!;
    outsider = credentials.byName("outsider")!;
  });

  beforeEach(async () => {
    queues = await startLocalQueues(
      ofType(run, T.queue).map((queue) => String(queue.state.arn)),
      REGION,
    );
    stateDir = mkdtempSync(path.join(tmpdir(), "eventbridge-spec-"));
    invocations = [];
    logs = [];
    sends = [];
    clock = Date.now();
    bridge = undefined;
  });

  afterEach(async () => {
    await bridge?.close();
    await queues.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const recordingLambda: LambdaInvoker = {
    invoke: () => Promise.reject(new Error("EventBridge invokes functions asynchronously")),
    invokeAsync: async (functionArn, event) => {
      invocations.push({ functionArn, event });
    },
  };

  /** The queue sender, counting each call per queue name; `fault` may fail a call instead. */
  const countingSender = (fault?: (queueArn: string, call: number) => Error | undefined): QueueSender => ({
    async sendMessage(queueArn, body, attributes) {
      const name = queueArn.split(":").pop()!;
      sends.push(name);
      const failure = fault?.(queueArn, sends.filter((sent) => sent === name).length);
      if (failure) throw failure;
      return queues.sender.sendMessage(queueArn, body, attributes);
    },
  });

  async function start(
    overrides: { resources?: PlannedResource[]; sqs?: QueueSender } & Partial<EventBridgeOptions> = {},
  ): Promise<LocalEventBridge> {
    const resources = overrides.resources ?? run.resources;
    const byType = (type: string) => resources.filter((resource) => resource.type === type);
    bridge = await startEventBridge({
      buses: byType(T.bus),
      rules: byType(T.rule),
      targets: byType(T.target),
      archives: byType(T.archive),
      scope,
      authorizer: createStackAuthorizer(stackModel(resources), scope),
      credentials,
      lambda: recordingLambda,
      sqs: countingSender(),
      stateDir,
      now: () => clock,
      log: (level, message) => logs.push(`${level}: ${message}`),
      ...overrides,
    });
    return bridge;
  }

  const client = (principal: { accessKeyId: string; secretAccessKey: string }, endpoint: string) =>
    new EventBridgeClient({
      region: REGION,
      endpoint,
      credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
      maxAttempts: 1,
    });

  const notifyQueue = () => arnOf(T.queue, "bank-notif-dev-notify");
  const deliveryDlq = () => arnOf(T.queue, "bank-notif-dev-delivery-dlq");
  const depositRule = () => arnOf(T.rule, "bank-notif-dev-deposit");
  const metric = (name: string, ruleName?: string) =>
    bridge!
      .metrics()
      .filter((datum) => datum.metricName === name && datum.dimensions.RuleName === ruleName)
      .reduce((sum, datum) => sum + datum.value, 0);
  const secondOf = (epochMs: number) =>
    new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");

  describe("PutEvents", () => {
    it("delivers a producer's signed deposit to the notify queue, wrapped by the deposit rule's input transformer", async () => {
      const { url } = await start();
      const entry = deposit();
      const answer = await client(producer, url).send(new PutEventsCommand({ Entries: [entry] }));
      expect(answer.FailedEntryCount).to.equal(0);
      const eventId = answer.Entries![0].EventId!;
      expect(eventId).to.match(/^[0-9a-f-]{36}$/);
      await bridge!.settled();

      const [message, ...others] = await queues.drain(notifyQueue());
      expect(others).to.have.length(0);
      expect(message.Body).to.equal(
        JSON.stringify({
          notificationKind: "deposit",
          event: {
            version: "0",
            id: eventId,
            "detail-type": "deposit",
            source: SOURCE,
            account: ACCOUNT,
            time: secondOf(clock),
            region: REGION,
            resources: [],
            detail: JSON.parse(entry.Detail),
          },
        }),
      );
      expect(parseNotificationEnvelope(message.Body!).notificationKind).to.equal("deposit");
      expect(metric("Invocations", "bank-notif-dev-deposit")).to.equal(1);
      expect(metric("TriggeredRules", "bank-notif-dev-deposit")).to.equal(1);
      expect(metric("TriggeredRules", "bank-notif-dev-large-amount")).to.equal(0);
    });

    it("matches an amount at the large-amount threshold with two rules: two envelopes of the same event", async () => {
      const { url } = await start();
      const answer = await client(producer, url).send(
        new PutEventsCommand({ Entries: [deposit("1000.00")] }),
      );
      await bridge!.settled();
      const bodies = (await queues.drain(notifyQueue())).map((message) => JSON.parse(message.Body!));
      expect(bodies.map((body) => body.notificationKind).sort()).to.deep.equal(["deposit", "large-amount"]);
      expect(bodies.map((body) => body.event.id)).to.deep.equal([
        answer.Entries![0].EventId,
        answer.Entries![0].EventId,
      ]);
      expect(metric("MatchedEvents")).to.equal(1);
      expect(metric("Invocations", "bank-notif-dev-large-amount")).to.equal(1);
    });

    it("passes the detail on as the producer wrote it, minified, a repeated member included", async () => {
      await start();
      const result = await bridge!.putEvents(
        [{ ...deposit(), Detail: '{ "operationId" : "op-1",\n  "operationId": "op-2" }' }],
        producer,
      );
      expect(result).to.have.nested.property("output.FailedEntryCount", 0);
      await bridge!.settled();
      const [message] = await queues.drain(notifyQueue());
      expect(message.Body).to.match(/"detail":\{"operationId":"op-1","operationId":"op-2"\}\}\}$/);
    });

    it("refuses another source with AccessDeniedException (HTTP 400), alone or in a batch, and delivers nothing", async () => {
      const { url } = await start();
      const other = { ...deposit(), Source: "bank.other-system" };
      for (const Entries of [[other], [deposit(), other]]) {
        const error = await client(producer, url)
          .send(new PutEventsCommand({ Entries }))
          .then(
            () => undefined,
            (failure: Error & { $metadata: { httpStatusCode: number } }) => failure,
          );
        expect(error?.name).to.equal("AccessDeniedException");
        expect(error?.$metadata.httpStatusCode).to.equal(400);
        expect(error?.message).to.equal(
          `User: arn:aws:sts::${ACCOUNT}:assumed-role/core-banking-dev/local-producer is not authorized to perform: ` +
            `events:PutEvents on resource: arn:aws:events:${REGION}:${ACCOUNT}:event-bus/bank-notif-dev-operations ` +
            "because no identity-based policy allows the events:PutEvents action",
        );
      }
      await bridge!.settled();
      expect(await queues.drain(notifyQueue())).to.have.length(0);
      expect(existsSync(path.join(stateDir, "eventbridge", "bank-notif-dev-operations.jsonl"))).to.equal(
        false,
      );
      expect(bridge!.metrics()).to.deep.equal([]);
      expect(logs.filter((line) => line.startsWith("warn: PutEvents by producer refused"))).to.have.length(2);
    });

    it("refuses unsigned, wrongly signed and unknown-key requests before looking at them", async () => {
      const { url } = await start();
      const unsigned = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.PutEvents" },
        body: JSON.stringify({ Entries: [deposit()] }),
      });
      expect(unsigned.status).to.equal(400);
      expect(await unsigned.json()).to.deep.equal({
        __type: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token",
      });
      const refusal = (keys: { accessKeyId: string; secretAccessKey: string }) =>
        client(keys, url)
          .send(new PutEventsCommand({ Entries: [deposit()] }))
          .then(
            () => "accepted",
            (error: Error) => error.name,
          );
      expect(await refusal({ ...producer, secretAccessKey: "not-the-secret" })).to.equal(
        "InvalidSignatureException",
      );
      expect(await refusal({ accessKeyId: "AKIANEVERISSUED00000", secretAccessKey: "x" })).to.equal(
        "UnrecognizedClientException",
      );
      await bridge!.settled();
      expect(await queues.drain(notifyQueue())).to.have.length(0);
      expect(sends).to.deep.equal([]);
    });

    it("fails bad entries one by one, in request order, and delivers the others", async () => {
      await start();
      const result = await bridge!.putEvents(
        [
          deposit(),
          { ...deposit(), Detail: undefined },
          { ...deposit(), Detail: "[1, 2]" },
          { ...deposit(), Detail: "{not json" },
          { ...deposit(), DetailType: undefined },
        ],
        producer,
      );
      if (!result.ok) throw new Error(result.fault.message);
      expect(result.output.FailedEntryCount).to.equal(4);
      expect(result.output.Entries.slice(1)).to.deep.equal([
        {
          ErrorCode: "InvalidArgument",
          ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument.",
        },
        { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
        { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
        {
          ErrorCode: "InvalidArgument",
          ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
        },
      ]);
      expect(result.output.Entries[0]).to.have.property("EventId");
      await bridge!.settled();
      expect(await queues.drain(notifyQueue())).to.have.length(1);
    });

    it("refuses a caller's event with an aws. source (NotAuthorizedForSourceException), even one its policy allows", async () => {
      await start();
      const forged = {
        Source: "aws.ses",
        DetailType: "Email Bounced",
        Detail: JSON.stringify({
          eventType: "Bounce",
          mail: { messageId: "m-1", tags: { "ses:configuration-set": ["bank-notif-dev-notifications"] } },
        }),
      };
      const result = await bridge!.putEvents([forged], outsider);
      expect(result).to.deep.equal({
        ok: true,
        output: {
          FailedEntryCount: 1,
          Entries: [
            { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." },
          ],
        },
      });
      await bridge!.settled();
      expect(invocations).to.deep.equal([]);
    });

    it("refuses a request of more than 10 entries, or of entries over 1 MiB in total, as a whole", async () => {
      await start();
      const eleven = await bridge!.putEvents(
        Array.from({ length: 11 }, () => deposit()),
        producer,
      );
      expect(eleven).to.deep.equal({
        ok: false,
        fault: {
          status: 400,
          type: "ValidationException",
          message:
            "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
        },
      });
      // Counted as eb-putevent-size says: Source, DetailType and Detail bytes (no Time, no Resources here).
      const sized = (detailBytes: number) => ({
        Source: "bank.size-test",
        DetailType: "size",
        Detail: JSON.stringify({ padding: "x".repeat(detailBytes - '{"padding":""}'.length) }),
      });
      const fixed = "bank.size-test".length + "size".length;
      const tooBig = await bridge!.putEvents([sized(1024 * 1024 - fixed + 1)], outsider);
      expect(tooBig).to.deep.equal({
        ok: false,
        fault: {
          status: 400,
          type: "ValidationException",
          message: "Total size of the entries in the request is over the limit.",
        },
      });
      const atLimit = await bridge!.putEvents([sized(1024 * 1024 - fixed)], outsider);
      expect(atLimit).to.have.nested.property("output.FailedEntryCount", 0);
    });

    it("does not route events to a disabled rule", async () => {
      await start({
        resources: withInputs(
          run.resources,
          (resource) => resource.type === T.rule && resource.inputs.name === "bank-notif-dev-large-amount",
          (inputs) => ({ ...inputs, state: "DISABLED" }),
        ),
      });
      await bridge!.putEvents([deposit("5000.00")], producer);
      await bridge!.settled();
      const bodies = (await queues.drain(notifyQueue())).map((message) => JSON.parse(message.Body!));
      expect(bodies.map((body) => body.notificationKind)).to.deep.equal(["deposit"]);
    });

    it("listens on a free port when the port it is given is in use, and says so", async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      const port = (taken.address() as AddressInfo).port;
      try {
        const { url } = await start({ port });
        expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(url).not.to.equal(`http://127.0.0.1:${port}`);
        expect(logs).to.include(`warn: port ${port} is in use: EventBridge listens on a free port instead`);
        const answer = await client(producer, url).send(new PutEventsCommand({ Entries: [deposit()] }));
        expect(answer.FailedEntryCount).to.equal(0);
      } finally {
        taken.close();
      }
    });

    it("answers an event for a bus that does not exist with an EventId, and delivers it nowhere, as EventBridge does", async () => {
      await start();
      const result = await bridge!.putEvents([{ ...deposit(), EventBusName: "no-such-bus" }], outsider);
      expect(result).to.have.nested.property("output.FailedEntryCount", 0);
      await bridge!.settled();
      expect(sends).to.deep.equal([]);
      expect(
        logs.some((line) => /accepted and dropped: there is no event bus no-such-bus/.test(line)),
      ).to.equal(true);
    });
  });

  describe("delivery, retries and dead letters", () => {
    it("sends a delivery the notify queue's policy refuses to the delivery DLQ at once, with the attributes EventBridge adds", async () => {
      await start({
        resources: withInputs(
          run.resources,
          (resource) =>
            resource.type === T.queuePolicy &&
            String(resource.inputs.queueUrl).endsWith("/bank-notif-dev-notify"),
          (inputs) => ({ ...inputs, policy: withoutStatement(inputs.policy, "RoutingRulesSendEnvelopes") }),
        ),
      });
      const result = await bridge!.putEvents([deposit()], producer);
      await bridge!.settled();
      expect(await queues.drain(notifyQueue())).to.have.length(0);
      const [dead, ...others] = await queues.drain(deliveryDlq());
      expect(others).to.have.length(0);
      expect(JSON.parse(dead.Body!)).to.include({
        id: eventIdOf(result),
        source: SOURCE,
      });
      expect({
        RULE_ARN: attribute(dead, "RULE_ARN"),
        TARGET_ARN: attribute(dead, "TARGET_ARN"),
        ERROR_CODE: attribute(dead, "ERROR_CODE"),
        RETRY_ATTEMPTS: attribute(dead, "RETRY_ATTEMPTS"),
        EXHAUSTED_RETRY_CONDITION: attribute(dead, "EXHAUSTED_RETRY_CONDITION"),
      }).to.deep.equal({
        RULE_ARN: depositRule(),
        TARGET_ARN: notifyQueue(),
        ERROR_CODE: "NO_PERMISSIONS",
        RETRY_ATTEMPTS: "0",
        EXHAUSTED_RETRY_CONDITION: undefined,
      });
      expect(attribute(dead, "ERROR_MESSAGE")).to.contain(
        `events.amazonaws.com is not authorized to perform sqs:SendMessage on ${notifyQueue()}`,
      );
      // Never sent to the notify queue, no back-off (the default time scale would wait seconds).
      expect(sends).to.deep.equal(["bank-notif-dev-delivery-dlq"]);
      expect(metric("FailedInvocations", "bank-notif-dev-deposit")).to.equal(1);
      expect(metric("InvocationsSentToDlq", "bank-notif-dev-deposit")).to.equal(1);
    });

    it("refuses delivery to the encrypted queues when the key policy does not let EventBridge use the key, and counts the lost event", async () => {
      await start({
        resources: withInputs(
          run.resources,
          (resource) => resource.type === T.key,
          (inputs) => ({
            ...inputs,
            policy: withoutStatement(inputs.policy, "EventBridgeDeliversToEncryptedQueues"),
          }),
        ),
      });
      await bridge!.putEvents([deposit()], producer);
      await bridge!.settled();
      expect(sends).to.deep.equal([]);
      expect(metric("FailedInvocations", "bank-notif-dev-deposit")).to.equal(1);
      expect(metric("InvocationsFailedToBeSentToDlq", "bank-notif-dev-deposit")).to.equal(1);
      expect(
        logs.some((line) => line.startsWith("error: lost event") && line.includes("kms:GenerateDataKey")),
      ).to.equal(true);
    });

    it("retries a retryable failure with back-off, then delivers", async () => {
      await start({
        timeScale: 1000,
        sqs: countingSender((queueArn, call) =>
          queueArn === notifyQueue() && call <= 3
            ? Object.assign(new Error("We encountered an internal error"), {
                name: "InternalError",
                $metadata: { httpStatusCode: 500 },
              })
            : undefined,
        ),
      });
      await bridge!.putEvents([deposit()], producer);
      await bridge!.settled();
      expect(sends).to.deep.equal(Array(4).fill("bank-notif-dev-notify"));
      expect(await queues.drain(notifyQueue())).to.have.length(1);
      expect(await queues.drain(deliveryDlq())).to.have.length(0);
      expect(metric("Invocations", "bank-notif-dev-deposit")).to.equal(1);
      expect(metric("FailedInvocations", "bank-notif-dev-deposit")).to.equal(0);
    });

    it("stops retrying after the policy's maximumRetryAttempts and dead-letters the event (EXHAUSTED_RETRY_CONDITION MaximumRetryAttempts)", async () => {
      await start({
        timeScale: 1000,
        resources: withInputs(
          run.resources,
          (resource) => resource.type === T.target && resource.inputs.rule === "bank-notif-dev-deposit",
          (inputs) => ({
            ...inputs,
            retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 86_400 },
          }),
        ),
        sqs: countingSender((queueArn) =>
          queueArn === notifyQueue()
            ? Object.assign(new Error("Rate exceeded"), {
                name: "ThrottlingException",
                $metadata: { httpStatusCode: 400 },
              })
            : undefined,
        ),
      });
      await bridge!.putEvents([deposit()], producer);
      await bridge!.settled();
      expect(sends).to.deep.equal([...Array(3).fill("bank-notif-dev-notify"), "bank-notif-dev-delivery-dlq"]);
      const [dead] = await queues.drain(deliveryDlq());
      expect([
        attribute(dead, "ERROR_CODE"),
        attribute(dead, "ERROR_MESSAGE"),
        attribute(dead, "RETRY_ATTEMPTS"),
        attribute(dead, "EXHAUSTED_RETRY_CONDITION"),
      ]).to.deep.equal(["THROTTLING", "Rate exceeded", "2", "MaximumRetryAttempts"]);
    });

    it("stops retrying once the event is older than the policy's maximumEventAgeInSeconds, divided by the time scale", async () => {
      // The dev plan's 86,400 s at a time scale of 1,000,000: 86.4 ms; each failed call takes 50 ms.
      await start({
        timeScale: 1_000_000,
        sqs: countingSender((queueArn) => {
          if (queueArn !== notifyQueue()) return undefined;
          clock += 50;
          return Object.assign(new Error("Service unavailable"), {
            name: "ServiceUnavailable",
            $metadata: { httpStatusCode: 503 },
          });
        }),
      });
      await bridge!.putEvents([deposit()], producer);
      await bridge!.settled();
      const [dead] = await queues.drain(deliveryDlq());
      expect([
        attribute(dead, "ERROR_CODE"),
        attribute(dead, "RETRY_ATTEMPTS"),
        attribute(dead, "EXHAUSTED_RETRY_CONDITION"),
      ]).to.deep.equal(["INTERNAL_ERROR", "1", "MaximumEventAgeInSeconds"]);
    });

    it("abandons, when closed, a delivery waiting to retry, and logs it", async () => {
      let failed!: () => void;
      const firstFailure = new Promise<void>((resolve) => (failed = resolve));
      await start({
        random: () => 0.9, // a first retry 900 ms later
        sqs: countingSender(() => {
          failed();
          return Object.assign(new Error("Service unavailable"), { $metadata: { httpStatusCode: 503 } });
        }),
      });
      await bridge!.putEvents([deposit()], producer);
      await firstFailure;
      const started = Date.now();
      await bridge!.close();
      expect(Date.now() - started).to.be.below(500);
      expect(sends).to.deep.equal(["bank-notif-dev-notify"]);
      expect(logs.filter((line) => line.startsWith("warn: stopped before retrying event"))).to.have.length(1);
    });

    it("does not retry a target that does not exist, and drops the event of a target without a dead-letter queue, counting it", async () => {
      await start({
        resources: withInputs(
          run.resources,
          (resource) => resource.type === T.target && resource.inputs.rule === "bank-notif-dev-deposit",
          ({ deadLetterConfig: _dropped, ...inputs }) => inputs,
        ),
        sqs: countingSender((queueArn) =>
          queueArn === notifyQueue()
            ? Object.assign(new Error("The specified queue does not exist."), {
                name: "QueueDoesNotExist",
                $metadata: { httpStatusCode: 400 },
              })
            : undefined,
        ),
      });
      await bridge!.putEvents([deposit()], producer);
      await bridge!.settled();
      expect(sends).to.deep.equal(["bank-notif-dev-notify"]);
      expect(await queues.drain(deliveryDlq())).to.have.length(0);
      expect(metric("FailedInvocations", "bank-notif-dev-deposit")).to.equal(1);
      expect(metric("InvocationsSentToDlq", "bank-notif-dev-deposit")).to.equal(0);
      expect(
        logs.some((line) => line.startsWith("warn: dropped event") && line.includes("NO_RESOURCE")),
      ).to.equal(true);
    });
  });

  describe("the default bus", () => {
    const sesEvent = (configurationSet: string) => ({
      Source: "aws.ses",
      DetailType: "Email Bounced",
      Detail: JSON.stringify({
        eventType: "Bounce",
        mail: { messageId: "ses-message-1", tags: { "ses:configuration-set": [configurationSet] } },
        bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: "gone@example.com" }] },
      }),
    });

    it("invokes the feedback function asynchronously with SES's event, as the function's permission for the rule allows", async () => {
      await start();
      const result = await bridge!.putEvents([
        sesEvent("bank-notif-dev-notifications"),
        sesEvent("another-set"),
      ]);
      expect(result).to.have.nested.property("output.FailedEntryCount", 0);
      await bridge!.settled();
      expect(invocations).to.have.length(1);
      expect(invocations[0].functionArn).to.equal(arnOf(T.fn, "bank-notif-dev-ses-feedback"));
      expect(invocations[0].event).to.deep.include({
        version: "0",
        source: "aws.ses",
        "detail-type": "Email Bounced",
        account: ACCOUNT,
        region: REGION,
      });
      expect(invocations[0].event).to.have.nested.property("detail.bounce.bounceType", "Permanent");
      expect(metric("Invocations", "bank-notif-dev-ses-feedback")).to.equal(1);
    });

    it("does not invoke the function when its permission names another rule", async () => {
      await start({
        resources: withInputs(
          run.resources,
          (resource) =>
            resource.type === "aws:lambda/permission:Permission" &&
            resource.inputs.principal === "events.amazonaws.com",
          (inputs) => ({ ...inputs, sourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/another-rule` }),
        ),
      });
      await bridge!.putEvents([sesEvent("bank-notif-dev-notifications")]);
      await bridge!.settled();
      expect(invocations).to.deep.equal([]);
      const [dead] = await queues.drain(deliveryDlq());
      expect(attribute(dead, "ERROR_CODE")).to.equal("NO_PERMISSIONS");
      expect(attribute(dead, "RULE_ARN")).to.equal(arnOf(T.rule, "bank-notif-dev-ses-feedback"));
    });
  });

  describe("the archive", () => {
    it("keeps the events matching its pattern with the time they arrived, and a replay puts them back with replay-name", async () => {
      await start();
      const archived = await bridge!.putEvents([deposit()], producer);
      const eventId = eventIdOf(archived);
      await bridge!.putEvents([{ ...deposit(), Source: "bank.unrelated" }], outsider);
      await bridge!.settled();
      const file = path.join(stateDir, "eventbridge", "bank-notif-dev-operations.jsonl");
      const lines = () =>
        readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line));
      expect(lines()).to.have.length(1);
      expect(lines()[0]).to.deep.include({ arrivedAt: new Date(clock).toISOString() });
      expect(lines()[0].event).to.include({ id: eventId, source: SOURCE });
      await queues.drain(notifyQueue());

      const replayed = await bridge!.replay(
        "bank-notif-dev-operations",
        new Date(clock - 60_000),
        new Date(clock + 60_000),
        "runbook-replay",
      );
      expect(replayed).to.deep.equal({ replayName: "runbook-replay", eventCount: 1 });
      await bridge!.settled();
      const [again] = await queues.drain(notifyQueue());
      expect(JSON.parse(again.Body!).event).to.include({ id: eventId, "replay-name": "runbook-replay" });
      expect(lines()).to.have.length(1);

      const outside = await bridge!.replay(
        "bank-notif-dev-operations",
        new Date(clock + 60_000),
        new Date(clock + 120_000),
      );
      expect(outside.eventCount).to.equal(0);
    });

    it("does not replay events older than the archive's retention (7 days in dev)", async () => {
      await start();
      await bridge!.putEvents([deposit()], producer);
      await bridge!.settled();
      const eventTime = clock;
      const window = [new Date(eventTime - 60_000), new Date(eventTime + 60_000)] as const;
      clock = eventTime + 7 * 86_400_000;
      expect((await bridge!.replay("bank-notif-dev-operations", ...window)).eventCount).to.equal(1);
      clock = eventTime + 7 * 86_400_000 + 1000;
      expect((await bridge!.replay("bank-notif-dev-operations", ...window)).eventCount).to.equal(0);
    });
  });
});

describe("local EventBridge: input transformers", () => {
  // The user guide's example event and input paths.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
  const event = newBusEvent(
    {
      source: "aws.ec2",
      detailType: "EC2 Instance State-change Notification",
      detailJson: '{"instance-id":"i-0123456789","state":"RUNNING"}',
      resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
      time: Date.parse("2015-11-11T21:29:54Z"),
    },
    {
      id: "7bf73129-1428-4cd3-a780-95db273d1602",
      account: "123456789012",
      region: "us-east-1",
      receivedAt: 0,
    },
  );
  const delivered = { event, value: eventValue(event), receivedAt: Date.parse("2015-11-11T21:29:55Z") };
  const rule = { name: "example", arn: "arn:aws:events:us-east-2:123456789012:rule/example" };
  const paths = {
    instance: "$.detail.instance-id",
    state: "$.detail.state",
    firstResource: "$.resources[0]",
  };
  const render = (template: string, inputPaths: Record<string, string> = paths) =>
    renderTargetInput({ kind: "transformer", paths: inputPaths, template }, delivered, rule);

  it("substitutes variables into a string template without escaping them", () => {
    expect(render('"instance <instance> is in <state>"')).to.equal('"instance i-0123456789 is in RUNNING"');
  });

  it("inserts variables as JSON values, mixed with static values, and passes the JSON on minified", () => {
    expect(
      render('{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}'),
    ).to.equal('{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}');
  });

  it("inserts variables inside JSON strings as they are", () => {
    expect(
      render(
        '{"instance":<instance>,"state":"<state>","instanceStatus":"instance \\"<instance>\\" is in <state>"}',
      ),
    ).to.equal(
      '{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}',
    );
  });

  it("offers the reserved variables: rule ARN and name, the event without its detail, the whole event, the ingestion time", () => {
    const output = JSON.parse(
      render(
        '{"ruleArn":<aws.events.rule-arn>,"ruleName":<aws.events.rule-name>,"original":<aws.events.event>,' +
          '"whole":<aws.events.event.json>,"at":<aws.events.event.ingestion-time>}',
      ),
    );
    expect(output.ruleArn).to.equal("arn:aws:events:us-east-2:123456789012:rule/example");
    expect(output.ruleName).to.equal("example");
    expect(output.original).to.deep.equal({
      version: "0",
      id: "7bf73129-1428-4cd3-a780-95db273d1602",
      "detail-type": "EC2 Instance State-change Notification",
      source: "aws.ec2",
      account: "123456789012",
      time: "2015-11-11T21:29:54Z",
      region: "us-east-1",
      resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    });
    expect(output.whole.detail).to.deep.equal({ "instance-id": "i-0123456789", state: "RUNNING" });
    expect(output.at).to.equal("2015-11-11T21:29:55.000Z");
    expect(render('"<aws.events.rule-name> triggered"')).to.equal('"example triggered"');
  });

  it("reads array indices and wildcards; a path that matches nothing creates no variable", () => {
    expect(render('{"resource":<firstResource>}')).to.equal(
      '{"resource":"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}',
    );
    expect(render('{"all":<all>}', { all: "$.detail.*" })).to.equal('{"all":["i-0123456789","RUNNING"]}');
    expect(render('{"note":"[<missing>]"}', { missing: "$.detail.nothing-here" })).to.equal('{"note":"[]"}');
    expect(render('{"note":"<undeclared>"}')).to.equal('{"note":"<undeclared>"}');
  });

  it("passes a constant input as it is, and by default the event itself", () => {
    const constant: TargetInput = { kind: "constant", json: '{"fixed": true}' };
    expect(renderTargetInput(constant, delivered, rule)).to.equal('{"fixed": true}');
    expect(JSON.parse(renderTargetInput({ kind: "event" }, delivered, rule))).to.deep.equal(delivered.value);
  });
});

describe("local EventBridge: retry back-off and what it refuses to run", () => {
  it("waits a random time up to 1 s doubled per retry, capped at 15 minutes (full jitter)", () => {
    expect([0, 1, 2, 10].map((retry) => retryDelayMs(retry, () => 0.999999))).to.deep.equal(
      [0, 1, 2, 10].map((retry) => 0.999999 * Math.min(900_000, 1000 * 2 ** retry)),
    );
    expect(retryDelayMs(5, () => 0)).to.equal(0);
  });

  const scope = { partition: "aws", region: "eu-west-1", accountId: "111122223333" };
  const planned = (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    state: Record<string, unknown> = {},
  ) => ({
    type,
    name,
    inputs,
    state: { ...inputs, ...state },
  });
  const rule = (inputs: Record<string, unknown>) =>
    planned(
      "aws:cloudwatch/eventRule:EventRule",
      "r",
      { name: "r", ...inputs },
      { arn: "arn:aws:events:eu-west-1:111122223333:rule/r" },
    );

  it("refuses a scheduled rule, a target of another service, and InputPath, naming the resource", () => {
    const build =
      (rules: PlannedResource[], targets: PlannedResource[] = []) =>
      () =>
        eventTopology({ buses: [], rules, targets, archives: [] }, scope);
    expect(build([rule({ scheduleExpression: "rate(5 minutes)" })])).to.throw(
      'The local EventBridge cannot run aws:cloudwatch/eventRule:EventRule "r": scheduled rules are not reproduced',
    );
    const target = (inputs: Record<string, unknown>) =>
      planned("aws:cloudwatch/eventTarget:EventTarget", "t", { rule: "r", targetId: "t", ...inputs });
    const eventRule = rule({ eventPattern: '{"source":["x"]}' });
    expect(build([eventRule], [target({ arn: "arn:aws:sns:eu-west-1:111122223333:topic" })])).to.throw(
      "only SQS queue and Lambda function targets run locally",
    );
    expect(
      build([eventRule], [target({ arn: "arn:aws:sqs:eu-west-1:111122223333:q", inputPath: "$.detail" })]),
    ).to.throw("the target settings inputPath are not reproduced");
  });

  it("refuses an event pattern EventBridge's PutRule would refuse", () => {
    expect(() =>
      eventTopology(
        {
          buses: [],
          rules: [rule({ eventPattern: '{"source":"not-an-array"}' })],
          targets: [],
          archives: [],
        },
        scope,
      ),
    ).to.throw("its event pattern is not valid");
  });
});
