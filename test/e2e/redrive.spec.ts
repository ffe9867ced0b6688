import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { startLocalCloud, type LocalCloud } from "../../local/cloud/localCloud";
import type { RecordedResource } from "../../local/pulumi/pulumiMocks";
import { signedFetch } from "../../local/sigv4/signedFetch";
import { createNotificationRepository } from "../../runtime/adapters/notificationRepository";
import { buildOperationEvent } from "../../runtime/domain/operationEvent";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import { redrive } from "../../tools/redrive";
import type { StoredEmail } from "../support/runtimeFixture";
import { uniqueId, validCustomer, validOperation } from "../support/sampleData";
import { printCloudLinesOnFailure } from "../support/cloudLinesOnFailure";

/**
 * The local cloud end to end, with real faults made in the running graph (policies are read when a
 * request is evaluated): the notify queue's policy without the statement letting the routing rules
 * send (EventBridge dead-letters the event at once, NO_PERMISSIONS), and the feedback function's
 * role without its DynamoDB statements (its asynchronous invocations fail three times, then Lambda
 * sends the record to the feedback DLQ). Each test fixes its cause, then `npm run redrive`, signed
 * as the local cloud's operator, moves the dead letters back: the e-mail goes out, the feedback is
 * recorded. A notify-DLQ message is put there directly: SQS moves one only after five receives of
 * several minutes' visibility each, which the local cloud's time scale does not shorten.
 */

/**
 * The local cloud's SES stand-in keeps its templates and mail in its module, shared with the test
 * process's other SES stand-in: a prefix of its own keeps the dev plan's template names free.
 */
const PREFIX = "bank-notif-e2e";

type Statement = { Sid?: string; Action: string | string[] };

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("e2e: npm run redrive against the local cloud, after a fault is fixed", function () {
  this.timeout(240_000);
  let cloud: LocalCloud;
  let stateDir: string;
  let sqs: SQSClient;
  const logs: string[] = [];
  printCloudLinesOnFailure(() => logs);

  /** Removes the statements `drop` picks from the running graph's policy; resolves to the fix. */
  function breakPolicy(
    type: string,
    test: (resource: RecordedResource) => boolean,
    drop: (statement: Statement) => boolean,
  ): () => void {
    const resource = cloud.resources.find((candidate) => candidate.type === type && test(candidate));
    if (!resource) throw new Error(`the graph has no such ${type}`);
    const original = String(resource.inputs.policy);
    const policy = JSON.parse(original) as { Statement: Statement[] };
    const kept = policy.Statement.filter((statement) => !drop(statement));
    expect(kept.length, "statements removed").to.be.below(policy.Statement.length);
    resource.inputs.policy = JSON.stringify({ ...policy, Statement: kept });
    return () => {
      resource.inputs.policy = original;
    };
  }

  const breakNotifyQueuePolicy = () =>
    breakPolicy(
      "aws:sqs/queuePolicy:QueuePolicy",
      (resource) => String(resource.inputs.queueUrl).endsWith(`/${PREFIX}-notify`),
      (statement) => statement.Sid === "RoutingRulesSendEnvelopes",
    );
  const breakFeedbackRole = () =>
    breakPolicy(
      "aws:iam/rolePolicy:RolePolicy",
      (resource) => String(resource.inputs.role).includes("-ses-feedback-"),
      (statement) => [statement.Action].flat().some((action) => action.startsWith("dynamodb:")),
    );

  const queueUrl = async (name: string) =>
    (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
  const depth = async (name: string) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await queueUrl(name),
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };
  const emailsTo = async (address: string) => {
    const store = (await (await fetch(cloud.description.sesStoreUrl)).json()) as { emails: StoredEmail[] };
    return store.emails.filter((email) => email.destination.to.includes(address));
  };
  const call = (method: string, route: string, as: "producer" | "customerAdmin", body: unknown) =>
    signedFetch(`${cloud.description.apiUrl}${route}`, {
      method,
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
      credentials: cloud.description.credentials[as],
      region: cloud.description.region,
    });
  const command = async (args: string[]) => {
    const lines: string[] = [];
    const status = await redrive([...args, "--state", stateDir], {
      out: (line) => lines.push(line),
      now: Date.now,
    });
    return { status, output: lines.join("\n") };
  };

  before(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), "redrive-e2e-"));
    cloud = await startLocalCloud({
      stateDir,
      fresh: true,
      timeScale: 600,
      config: { namePrefix: PREFIX },
      echo: (line) => logs.push(line),
    });
    sqs = new SQSClient({
      region: cloud.description.region,
      endpoint: cloud.services.endpoints.s3,
      credentials: { accessKeyId: "fauxqs", secretAccessKey: "fauxqs" },
      useQueueUrlAsEndpoint: false,
    });
  });

  after(async () => {
    sqs?.destroy();
    await cloud?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const statusOf = async (sent: StoredEmail) => {
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: cloud.description.region,
        endpoint: cloud.services.endpoints.dynamodb,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      }),
    );
    const notifications = createNotificationRepository(documents, `${PREFIX}-notifications`);
    // The index gives the notification's key; its status is on the item.
    const key = await notifications.findBySesMessageId(sent.messageId);
    const notification = key && (await notifications.get(key.operationId, key.notificationKind));
    documents.destroy();
    return notification?.status;
  };
  /** Until SES's delivery event is recorded, so that no test's feedback lands in another's. */
  const delivered = (sent: StoredEmail) =>
    eventually("the delivery to be recorded", async () =>
      (await statusOf(sent)) === "delivered" ? true : undefined,
    );

  /** A new customer with an address of its own, and the deposit the producer submits for them. */
  async function customerWithDeposit() {
    const address = `camille.${uniqueId("redrive")}@example.com`;
    const customerId = uniqueId("cust");
    const created = await call(
      "PUT",
      `/customers/${customerId}`,
      "customerAdmin",
      validCustomer({ email: address }),
    );
    expect(created.status, await created.text()).to.be.oneOf([200, 201]);
    const operationId = uniqueId("op");
    const accepted = await call(
      "POST",
      "/operations",
      "producer",
      validOperation({ id: operationId, customerId, amount: { value: "12.34", currency: "EUR" } }),
    );
    expect(accepted.status, await accepted.text()).to.equal(202);
    return { address, customerId, operationId };
  }

  it("a deposit the deposit rule could not deliver (NO_PERMISSIONS) reaches the customer once the queue policy is fixed and the delivery DLQ is redriven", async () => {
    const fixQueuePolicy = breakNotifyQueuePolicy();
    let deposit: Awaited<ReturnType<typeof customerWithDeposit>>;
    try {
      deposit = await customerWithDeposit();
      await eventually("the delivery DLQ to hold the event", async () =>
        (await depth(`${PREFIX}-delivery-dlq`)) === 1 ? true : undefined,
      );
      const listed = await command(["--queue", "delivery", "--dry-run"]);
      expect(listed.output).to.include(
        `operation ${deposit.operationId}  kind deposit  error NO_PERMISSIONS  rule ${PREFIX}-deposit`,
      );
      expect(await emailsTo(deposit.address)).to.have.length(0);
    } finally {
      fixQueuePolicy();
    }

    const moved = await command(["--queue", "delivery"]);

    expect(moved.status, moved.output).to.equal(0);
    expect(moved.output).to.include("Moved 1 message(s)");
    const [sent, ...more] = await eventually("the e-mail", async () => {
      const found = await emailsTo(deposit.address);
      return found.length > 0 ? found : undefined;
    });
    expect(more).to.have.length(0);
    expect(sent.from).to.equal("notifications-dev@example.com");
    expect(await depth(`${PREFIX}-delivery-dlq`)).to.equal(0);
    await delivered(sent);
  });

  it("SES's delivery event, which the feedback function failed to record (AccessDenied) three times, is recorded once its role is fixed and the feedback DLQ is redriven", async () => {
    const fixFeedbackRole = breakFeedbackRole();
    let deposit: Awaited<ReturnType<typeof customerWithDeposit>>;
    let sent: StoredEmail;
    try {
      deposit = await customerWithDeposit();
      [sent] = await eventually("the e-mail", async () => {
        const found = await emailsTo(deposit.address);
        return found.length > 0 ? found : undefined;
      });
      await eventually(
        "the feedback DLQ to hold the invocation record",
        async () => ((await depth(`${PREFIX}-feedback-dlq`)) === 1 ? true : undefined),
        60_000,
      );
      expect(await statusOf(sent)).to.equal("sent");
    } finally {
      fixFeedbackRole();
    }

    const moved = await command(["--queue", "feedback"]);

    expect(moved.status, moved.output).to.equal(0);
    expect(moved.output).to.include(
      `operation ${deposit.operationId}  kind Delivery of deposit  error RetriesExhausted`,
    );
    await delivered(sent);
    expect(await depth(`${PREFIX}-feedback-dlq`)).to.equal(0);
  });

  it("a notification in the notify DLQ is sent once the notify DLQ is redriven", async () => {
    const address = `dominique.${uniqueId("redrive")}@example.com`;
    const customerId = uniqueId("cust");
    const created = await call(
      "PUT",
      `/customers/${customerId}`,
      "customerAdmin",
      validCustomer({ email: address }),
    );
    expect(created.status, await created.text()).to.be.oneOf([200, 201]);
    const hashKey = readFileSync(path.join(stateDir, "hash-key"), "utf8").trim();
    const operation = validOperation({
      customerId,
      kind: "withdrawal",
      amount: { value: "40.00", currency: "EUR" },
    });
    const { detail } = buildOperationEvent(operation as unknown as OperationInput, {
      source: "bank.core-banking.dev",
      hashKey,
    });
    const event = {
      version: "0",
      id: uniqueId("event"),
      "detail-type": "withdrawal",
      source: "bank.core-banking.dev",
      account: cloud.description.accountId,
      time: "2026-03-14T09:30:01Z",
      region: cloud.description.region,
      resources: [],
      detail,
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(`${PREFIX}-notify-dlq`),
        MessageBody: JSON.stringify({ notificationKind: "withdrawal", event }),
      }),
    );

    const moved = await command(["--queue", "notify"]);

    expect(moved.status, moved.output).to.equal(0);
    const [sent] = await eventually("the e-mail", async () => {
      const found = await emailsTo(address);
      return found.length === 1 ? found : undefined;
    });
    expect(await depth(`${PREFIX}-notify-dlq`)).to.equal(0);
    await delivered(sent);
  });
});
