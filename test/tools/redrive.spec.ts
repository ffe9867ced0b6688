import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { issueCredentials } from "../../local/cloud/credentials";
import type { CloudDescription } from "../../local/cloud/localCloud";
import type { CredentialStore, LambdaInvoker } from "../../local/cloud/types";
import { startEventBridge, type LocalEventBridge } from "../../local/eventbridge/eventBridge";
import { createStackAuthorizer } from "../../local/iam/stackAuthorizer";
import { stackModel } from "../../local/iam/stackModel";
import { startInvokeServer } from "../../local/lambda/invokeServer";
import { startAuthorizingProxy } from "../../local/proxy/authorizingProxy";
import { loadStackConfig, REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import { buildOperationEvent } from "../../runtime/domain/operationEvent";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import { redrive } from "../../tools/redrive";
import { namePrefixTarget, outputsTarget } from "../../tools/redrive/redriveTarget";
import { ofType, stackRun, type StackRun } from "../support/pulumiStacks";
import { validOperation, VALID_IBAN } from "../support/sampleData";

/**
 * `npm run redrive` against the dev plan's queues in fauxqs, reached through the local cloud's
 * authorizing SQS proxy with the operator's keys (so every call is evaluated against the plan's
 * policies and key), the local EventBridge built from the plan, and the local Lambda Invoke
 * endpoint in front of a recording invoker. Each test writes the cloud.json the command reads.
 */

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const SOURCE = "bank.core-banking.dev";
const HOUR_MS = 3_600_000;
const Q = {
  notify: "bank-notif-dev-notify",
  notifyDlq: "bank-notif-dev-notify-dlq",
  deliveryDlq: "bank-notif-dev-delivery-dlq",
  feedbackDlq: "bank-notif-dev-feedback-dlq",
} as const;
const FEEDBACK = "bank-notif-dev-ses-feedback";
/** Personal data the sample bodies hold, which no listing may print. */
const PERSONAL = ["cust-private-77", "camille.martin@example.com", "Salary March", "1234.56", "0189"];

const run = promisify(execFile);

describe("npm run redrive: dead letters back to where they failed (dev plan, fauxqs behind the authorizing proxy)", () => {
  let plan: StackRun;
  let credentials: CredentialStore;
  let world: {
    stateDir: string;
    direct: SQSClient;
    bridge: LocalEventBridge;
    invocations: { functionArn: string; event: unknown }[];
    closers: (() => Promise<unknown>)[];
    lambdaUrl: string;
    closeLambda(): Promise<void>;
  };

  const arnOf = (type: string, name: string) =>
    String(ofType(plan, type).find((resource) => resource.inputs.name === name)!.state.arn);
  const queueArn = (name: string) => arnOf("aws:sqs/queue:Queue", name);
  const ruleArn = (name: string) => arnOf("aws:cloudwatch/eventRule:EventRule", name);
  const feedbackArn = () => arnOf("aws:lambda/function:Function", FEEDBACK);

  before(async function () {
    this.timeout(240_000);
    plan = await stackRun("dev");
    const config = loadStackConfig("dev").config;
    const [producerRoleArn] = JSON.parse(config["bank-notification-stack:producerPrincipalArns"]) as string[];
    credentials = issueCredentials(stackModel(plan.resources), { producerRoleArn, accountId: ACCOUNT });
  });

  /** fauxqs, the SQS proxy, EventBridge and the Lambda endpoint, and the cloud.json naming them. */
  async function startWorld(operatorKeys = "operator") {
    const closers: (() => Promise<unknown>)[] = [];
    const { buildApp } = await import("fauxqs");
    const app = buildApp({ logger: false, host: "localhost", defaultRegion: REGION });
    await app.listen({ port: 0, host: "127.0.0.1" });
    closers.push(() => app.close());
    const fauxqsUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const direct = new SQSClient({
      region: REGION,
      endpoint: fauxqsUrl,
      credentials: { accessKeyId: "fauxqs", secretAccessKey: "fauxqs" },
      useQueueUrlAsEndpoint: false,
    });
    for (const name of Object.values(Q)) await direct.send(new CreateQueueCommand({ QueueName: name }));
    const model = stackModel(plan.resources);
    const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
    const authorizer = createStackAuthorizer(model, scope);
    const proxy = await startAuthorizingProxy({
      service: "sqs",
      upstream: fauxqsUrl,
      scope,
      credentials,
      authorizer,
      sesIdentityOf: (address) => address,
    });
    closers.push(() => proxy.close());
    const invocations: { functionArn: string; event: unknown }[] = [];
    const recording: LambdaInvoker = {
      invoke: () => Promise.reject(new Error("redrive invokes asynchronously")),
      async invokeAsync(functionArn, event) {
        invocations.push({ functionArn, event });
      },
    };
    const lambda = await startInvokeServer({
      region: REGION,
      accountId: ACCOUNT,
      credentials,
      authorizer,
      invoker: recording,
      functionArnOf: (nameOrArn) =>
        [FEEDBACK, feedbackArn()].includes(nameOrArn) ? feedbackArn() : undefined,
      log: () => undefined,
    });
    const stateDir = mkdtempSync(path.join(tmpdir(), "redrive-spec-"));
    closers.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    const byType = (type: string) => plan.resources.filter((resource) => resource.type === type);
    const bridge = await startEventBridge({
      buses: byType("aws:cloudwatch/eventBus:EventBus"),
      rules: byType("aws:cloudwatch/eventRule:EventRule"),
      targets: byType("aws:cloudwatch/eventTarget:EventTarget"),
      archives: byType("aws:cloudwatch/eventArchive:EventArchive"),
      scope,
      authorizer,
      credentials,
      lambda: recording,
      sqs: {
        async sendMessage(arn, body) {
          const { QueueUrl } = await direct.send(new GetQueueUrlCommand({ QueueName: arn.split(":").pop() }));
          const sent = await direct.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
          return { messageId: sent.MessageId! };
        },
      },
      stateDir,
      log: () => undefined,
    });
    closers.push(() => bridge.close());
    const keys = (name: string) => {
      const principal = credentials.byName(name)!;
      return { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey };
    };
    const url = (name: string) => `${proxy.url}/${ACCOUNT}/${name}`;
    const cloud: CloudDescription = {
      stack: "dev",
      region: REGION,
      accountId: ACCOUNT,
      apiUrl: "",
      sesStoreUrl: "",
      viewerUrl: "",
      eventBusName: "bank-notif-dev-operations",
      endpoints: {
        dynamodb: "",
        s3: "",
        sqs: proxy.url,
        ses: "",
        secretsmanager: "",
        events: bridge.url,
        lambda: lambda.url,
      },
      queues: Object.fromEntries(Object.values(Q).map((name) => [name, url(name)])),
      credentials: {
        producer: keys("producer"),
        customerAdmin: keys("outsider"),
        outsider: keys("outsider"),
        operator: keys(operatorKeys),
      },
      stateDir,
      logsDir: stateDir,
      sesAcceptedFile: `${stateDir}/ses/accepted.jsonl`,
      outputs: {
        notifyQueueUrl: url(Q.notify),
        deadLetterQueueUrls: {
          notify: url(Q.notifyDlq),
          delivery: url(Q.deliveryDlq),
          feedback: url(Q.feedbackDlq),
        },
        functionNames: { sesFeedback: FEEDBACK },
        eventBusName: "bank-notif-dev-operations",
      },
    };
    writeFileSync(path.join(stateDir, "cloud.json"), JSON.stringify(cloud));
    let lambdaClosed = false;
    const closeLambda = async () => {
      if (!lambdaClosed) await lambda.close();
      lambdaClosed = true;
    };
    closers.push(closeLambda);
    world = { stateDir, direct, bridge, invocations, closers, lambdaUrl: lambda.url, closeLambda };
  }

  afterEach(async () => {
    for (const close of (world?.closers ?? []).reverse()) await close().catch(() => undefined);
  });

  async function directUrl(name: string): Promise<string> {
    return (await world.direct.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
  }

  /** Puts a message in a queue directly, as SQS, EventBridge or Lambda would have. */
  async function put(name: string, body: string, attributes: Record<string, string> = {}): Promise<string> {
    const MessageAttributes: Record<string, MessageAttributeValue> = Object.fromEntries(
      Object.entries(attributes).map(([key, value]) => [key, { DataType: "String", StringValue: value }]),
    );
    const sent = await world.direct.send(
      new SendMessageCommand({
        QueueUrl: await directUrl(name),
        MessageBody: body,
        ...(Object.keys(attributes).length > 0 ? { MessageAttributes } : {}),
      }),
    );
    return sent.MessageId!;
  }

  /** Every visible message of a queue (received, then hidden for a minute). */
  async function drain(name: string): Promise<Message[]> {
    const messages: Message[] = [];
    for (;;) {
      const { Messages = [] } = await world.direct.send(
        new ReceiveMessageCommand({
          QueueUrl: await directUrl(name),
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          MessageAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages);
    }
  }

  async function command(args: string[], now = Date.now) {
    const lines: string[] = [];
    const status = await redrive([...args, "--state", world.stateDir], {
      out: (line) => lines.push(line),
      now,
    });
    return { status, output: lines.join("\n") };
  }

  function operationEvent(kind = "deposit", overrides: Record<string, unknown> = {}) {
    const operation = validOperation({
      customerId: "cust-private-77",
      kind,
      ...overrides,
    }) as unknown as OperationInput;
    const { detail } = buildOperationEvent(operation, { source: SOURCE, hashKey: "test-hash-key" });
    return {
      version: "0",
      id: `event-${operation.id}`,
      "detail-type": kind,
      source: SOURCE,
      account: ACCOUNT,
      time: "2026-03-14T09:30:01Z",
      region: REGION,
      resources: [],
      detail,
    };
  }

  const envelope = (kind: string, event: unknown) => JSON.stringify({ notificationKind: kind, event });

  function sesBounce(operationId: string) {
    return {
      version: "0",
      id: "ses-event-1",
      "detail-type": "Email Bounced",
      source: "aws.ses",
      account: ACCOUNT,
      time: "2026-03-14T09:31:00Z",
      region: REGION,
      resources: [],
      detail: {
        eventType: "Bounce",
        mail: {
          messageId: "ses-message-1",
          destination: ["camille.martin@example.com"],
          tags: {
            "ses:configuration-set": ["bank-notif-dev-notifications"],
            "operation-id": [operationId],
            "notification-kind": ["deposit"],
          },
        },
        bounce: {
          bounceType: "Permanent",
          bouncedRecipients: [{ emailAddress: "camille.martin@example.com" }],
        },
      },
    };
  }

  function invocationRecord(payload: unknown) {
    return JSON.stringify({
      version: "1.0",
      timestamp: "2026-03-14T09:35:00.000Z",
      requestContext: {
        requestId: "request-1",
        functionArn: `${feedbackArn()}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "AccessDeniedException", errorMessage: "not authorized" },
    });
  }

  describe("the notify DLQ", () => {
    it("moves every message back to the notify queue, body and attributes unchanged, signed as the operator, and empties the DLQ", async () => {
      await startWorld();
      const bodies = [1, 2, 3].map(() => envelope("deposit", operationEvent()));
      await put(Q.notifyDlq, bodies[0], { origin: "core-banking" });
      await put(Q.notifyDlq, bodies[1]);
      await put(Q.notifyDlq, bodies[2]);

      const { status, output } = await command(["--queue", "notify"]);

      expect(status, output).to.equal(0);
      expect(output).to.include("Moved 3 message(s)");
      const moved = await drain(Q.notify);
      expect(moved.map((message) => message.Body).sort()).to.deep.equal([...bodies].sort());
      const withAttribute = moved.find((message) => message.Body === bodies[0])!;
      expect(withAttribute.MessageAttributes?.origin?.StringValue).to.equal("core-banking");
      expect(await drain(Q.notifyDlq)).to.deep.equal([]);
    });

    it("--max 2 moves two messages and leaves the third in the DLQ", async () => {
      await startWorld();
      for (let i = 0; i < 3; i++) await put(Q.notifyDlq, envelope("deposit", operationEvent()));
      const { status } = await command(["--queue", "notify", "--max", "2"]);
      expect(status).to.equal(0);
      expect(await drain(Q.notify)).to.have.length(2);
      expect(await drain(Q.notifyDlq)).to.have.length(1);
    });

    it("--dry-run lists each message's id, age, receive count, operation id and kind, sends nothing, and leaves every message visible in the DLQ", async () => {
      await startWorld();
      const event = operationEvent("card-payment");
      const messageId = await put(Q.notifyDlq, envelope("card-payment", event));
      const later = () => Date.now() + 2 * HOUR_MS;

      const { status, output } = await command(["--queue", "notify", "--dry-run"], later);

      expect(status).to.equal(0);
      expect(output).to.include(
        `${messageId}  2 h old  received 1  operation ${event.detail.operationId}  kind card-payment`,
      );
      expect(output).to.include("Listed 1 message(s)");
      expect(output).to.include("nothing was sent or deleted");
      expect(await drain(Q.notify)).to.deep.equal([]);
      const [still] = await drain(Q.notifyDlq);
      expect(still.MessageId).to.equal(messageId);
    });
  });

  describe("the delivery DLQ", () => {
    it("sends an event a routing rule could not deliver to the notify queue, wrapped as that rule wraps it (the large-amount rule: a large-amount envelope)", async () => {
      await startWorld();
      const event = operationEvent("deposit", { amount: { value: "20000.00", currency: "EUR" } });
      const body = JSON.stringify(event);
      await put(Q.deliveryDlq, body, {
        RULE_ARN: ruleArn("bank-notif-dev-large-amount"),
        TARGET_ARN: queueArn(Q.notify),
        ERROR_CODE: "NO_PERMISSIONS",
        ERROR_MESSAGE: "denied",
        RETRY_ATTEMPTS: "0",
      });

      const { status, output } = await command(["--queue", "delivery"]);

      expect(status, output).to.equal(0);
      const [message, ...others] = await drain(Q.notify);
      expect(others).to.have.length(0);
      expect(message.Body).to.equal(`{"notificationKind":"large-amount","event":${body}}`);
      expect(message.MessageAttributes ?? {}).to.deep.equal({});
      expect(await drain(Q.deliveryDlq)).to.deep.equal([]);
    });

    it("invokes the feedback function asynchronously with an SES event the feedback rule could not deliver", async () => {
      await startWorld();
      const event = sesBounce("op-bounced-1");
      await put(Q.deliveryDlq, JSON.stringify(event), {
        RULE_ARN: ruleArn("bank-notif-dev-ses-feedback"),
        TARGET_ARN: feedbackArn(),
        ERROR_CODE: "NO_PERMISSIONS",
      });

      const { status, output } = await command(["--queue", "delivery"]);

      expect(status, output).to.equal(0);
      expect(world.invocations).to.deep.equal([{ functionArn: feedbackArn(), event }]);
      expect(await drain(Q.deliveryDlq)).to.deep.equal([]);
    });

    it("puts an event the bus itself dead-lettered (no TARGET_ARN) back on the bus, whose deposit rule routes it to the notify queue", async () => {
      await startWorld();
      const event = operationEvent("deposit", { amount: { value: "12.00", currency: "EUR" } });
      await put(Q.deliveryDlq, JSON.stringify(event), { ERROR_CODE: "INTERNAL_ERROR" });

      const { status, output } = await command(["--queue", "delivery"]);
      await world.bridge.settled();

      expect(status, output).to.equal(0);
      const [message, ...others] = await drain(Q.notify);
      expect(others).to.have.length(0);
      const routed = JSON.parse(message.Body!) as {
        notificationKind: string;
        event: Record<string, unknown>;
      };
      expect(routed.notificationKind).to.equal("deposit");
      expect(routed.event.detail).to.deep.equal(event.detail);
      expect(routed.event.time).to.equal(event.time);
      expect(await drain(Q.deliveryDlq)).to.deep.equal([]);
    });

    it("stops at the first message whose target is not this stack's, exits 1, and leaves it and the next ones in the DLQ", async () => {
      await startWorld();
      const attributes = {
        RULE_ARN: ruleArn("bank-notif-dev-deposit"),
        TARGET_ARN: queueArn(Q.notify),
        ERROR_CODE: "NO_PERMISSIONS",
      };
      await put(Q.deliveryDlq, JSON.stringify(operationEvent()), attributes);
      const stranger = await put(Q.deliveryDlq, JSON.stringify(operationEvent()), {
        ...attributes,
        TARGET_ARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:another-teams-queue`,
      });
      await put(Q.deliveryDlq, JSON.stringify(operationEvent()), attributes);

      const { status, output } = await command(["--queue", "delivery"]);

      expect(status).to.equal(1);
      expect(output).to.include(`Stopped at ${stranger}`);
      expect(output).to.include("another-teams-queue");
      expect(output).to.include("Moved 1 message(s)");
      expect(await drain(Q.notify)).to.have.length(1);
      const left = await drain(Q.deliveryDlq);
      expect(left).to.have.length(2);
      expect(left.map((message) => message.MessageId)).to.include(stranger);
    });
  });

  describe("the feedback DLQ", () => {
    it("invokes the feedback function again, asynchronously, with the invocation record's requestPayload", async () => {
      await startWorld();
      const event = sesBounce("op-bounced-2");
      await put(Q.feedbackDlq, invocationRecord(event));

      const { status, output } = await command(["--queue", "feedback"]);

      expect(status, output).to.equal(0);
      expect(output).to.include(`function ${FEEDBACK} (asynchronous invocation)`);
      expect(world.invocations).to.deep.equal([{ functionArn: feedbackArn(), event }]);
      expect(await drain(Q.feedbackDlq)).to.deep.equal([]);
    });

    it("keeps the record in the DLQ and exits 1 when Lambda cannot be reached", async () => {
      await startWorld();
      await put(Q.feedbackDlq, invocationRecord(sesBounce("op-bounced-3")));
      await world.closeLambda();

      const { status, output } = await command(["--queue", "feedback"]);

      expect(status).to.equal(1);
      expect(output).to.include("its resend failed");
      expect(world.invocations).to.deep.equal([]);
      expect(await drain(Q.feedbackDlq)).to.have.length(1);
    });
  });

  describe("what it may do and what it prints", () => {
    it("lists no personal data (customer id, address, description, amount, account) from any of the three queues", async () => {
      await startWorld();
      const event = operationEvent("deposit");
      await put(Q.notifyDlq, envelope("deposit", event));
      await put(Q.deliveryDlq, JSON.stringify(sesBounce(event.detail.operationId)), {
        RULE_ARN: ruleArn("bank-notif-dev-ses-feedback"),
        TARGET_ARN: feedbackArn(),
        ERROR_CODE: "NO_PERMISSIONS",
      });
      await put(Q.feedbackDlq, invocationRecord(sesBounce(event.detail.operationId)));
      const outputs: string[] = [];
      for (const queue of ["notify", "delivery", "feedback"])
        outputs.push((await command(["--queue", queue, "--dry-run"])).output);

      const all = outputs.join("\n");
      expect(all).to.include(`operation ${event.detail.operationId}`);
      expect(outputs[1]).to.include(
        "kind Bounce of deposit  error NO_PERMISSIONS  rule bank-notif-dev-ses-feedback",
      );
      expect(outputs[2]).to.include("error RetriesExhausted AccessDeniedException");
      for (const personal of [...PERSONAL, event.detail.account.hash, VALID_IBAN])
        expect(all, personal).not.to.include(personal);
    });

    it("is refused with the producer's keys (AccessDenied: its policies name no queue), and nothing moves", async () => {
      await startWorld("producer");
      await put(Q.notifyDlq, envelope("deposit", operationEvent()));
      const failure = await command(["--queue", "notify"]).catch((error: unknown) => error);
      expect(failure).to.have.property("name", "AccessDeniedException");
      expect(await drain(Q.notify)).to.deep.equal([]);
      expect(await drain(Q.notifyDlq)).to.have.length(1);
    });
  });

  describe("a deployed stack's addresses", () => {
    it("reads the queues, the feedback function and the bus from the saved outputs (pulumi stack output --json), and the region from the queue URLs", async () => {
      const prod = await stackRun("prod");
      const stateDir = mkdtempSync(path.join(tmpdir(), "redrive-outputs-"));
      try {
        const file = path.join(stateDir, "outputs.json");
        writeFileSync(file, JSON.stringify(prod.outputs));
        const target = outputsTarget(file);
        const addresses = await target.addresses(() => Promise.reject(new Error("no lookup needed")));
        expect(target.settings).to.deep.equal({ region: "eu-west-3" });
        expect(addresses).to.deep.equal({
          notifyQueueUrl: "https://sqs.eu-west-3.amazonaws.com/444455556666/bank-notif-prod-notify",
          deadLetterQueueUrls: {
            notify: "https://sqs.eu-west-3.amazonaws.com/444455556666/bank-notif-prod-notify-dlq",
            delivery: "https://sqs.eu-west-3.amazonaws.com/444455556666/bank-notif-prod-delivery-dlq",
            feedback: "https://sqs.eu-west-3.amazonaws.com/444455556666/bank-notif-prod-feedback-dlq",
          },
          feedbackFunctionName: "bank-notif-prod-ses-feedback",
          eventBusName: "bank-notif-prod-operations",
        });
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    });

    it("names, from a namePrefix, the queues, function and bus the component creates with it", async () => {
      const prod = await stackRun("prod");
      const asked: string[] = [];
      const addresses = await namePrefixTarget("bank-notif-prod", "eu-west-3").addresses(async (name) => {
        asked.push(name);
        return `queue:${name}`;
      });
      const planned = (type: string) => ofType(prod, type).map((resource) => String(resource.inputs.name));
      expect(asked.sort()).to.deep.equal(planned("aws:sqs/queue:Queue").sort());
      expect(planned("aws:lambda/function:Function")).to.include(addresses.feedbackFunctionName);
      expect(planned("aws:cloudwatch/eventBus:EventBus")).to.deep.equal([addresses.eventBusName]);
      expect(addresses.deadLetterQueueUrls.feedback).to.equal("queue:bank-notif-prod-feedback-dlq");
    });

    it("refuses an outputs file that lacks a queue, naming the field", () => {
      const stateDir = mkdtempSync(path.join(tmpdir(), "redrive-outputs-"));
      try {
        const file = path.join(stateDir, "outputs.json");
        writeFileSync(file, JSON.stringify({ notifyQueueUrl: "https://sqs.eu-west-3.amazonaws.com/1/q" }));
        expect(() => outputsTarget(file)).to.throw(/deadLetterQueueUrls\.notify is missing/);
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    });
  });

  describe("the command line", () => {
    it("answers --help with its usage and exit status 0, and a wrong --queue field by field with status 2, touching nothing", async function () {
      this.timeout(60_000);
      const help = await run("npm", ["run", "--silent", "redrive", "--", "--help"], { cwd: REPO_ROOT });
      expect(help.stdout).to.include("npm run redrive -- --queue notify|delivery|feedback");
      const wrong = await run(
        "npm",
        ["run", "--silent", "redrive", "--", "--queue", "dead", "--max", "0", "--state", "/nonexistent"],
        { cwd: REPO_ROOT },
      ).catch((error: { code: number; stdout: string }) => error);
      expect(wrong).to.have.property("code", 2);
      expect((wrong as { stdout: string }).stdout).to.include(
        'error: --queue must be one of notify, delivery, feedback, not "dead"',
      );
      expect((wrong as { stdout: string }).stdout).to.include(
        'error: --max must be a whole number above 0, not "0"',
      );
      expect((wrong as { stdout: string }).stdout).to.include("Nothing was changed.");
    });
  });
});
