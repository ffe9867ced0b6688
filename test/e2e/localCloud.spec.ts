import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { expect } from "chai";
import { startLocalCloud, type CloudDescription, type LocalCloud } from "../../local/cloud/localCloud";
import { cloudClient, waitFor, type CallOptions, type CloudClient } from "../../local/cloud/cloudClient";
import { buildOperationEvent } from "../../runtime/domain/operationEvent";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import { startEarly } from "../support/pulumiEarlyStart";
import { printCloudLinesOnFailure } from "../support/cloudLinesOnFailure";

/**
 * The dev stack's own resource graph running on this machine, called as a deployed stack is: signed
 * requests to the API and the bus, e-mails read back from the SES emulator, dead letters from the
 * queues. A test stack configuration keeps waits short: notify's timeout is 5 s (so the queue's
 * visibility timeout is 31 s) and a message is dead-lettered after 2 receives; EventBridge's and
 * Lambda's retry waits run 60 times faster. Dev's sending rate (1 e-mail/s over 2 workers) stays.
 * The cloud starts with the test run (it overlaps the other specs); the record that must end in
 * the DLQ is put on the bus first, so that its redeliveries overlap the other tests.
 */
const early = startEarly(async ({ scratchFolder }) => {
  const stateDir = scratchFolder("bank-notification-cloud-");
  const echoed: string[] = [];
  const cloud = await startLocalCloud({
    stack: "dev",
    stateDir,
    fresh: true,
    timeScale: 60,
    config: TEST_STACK_CONFIG,
    echo: (line) => echoed.push(line),
  });
  return { cloud, stateDir, echoed };
});
const TEST_STACK_CONFIG = {
  functionTimeoutSeconds: { notify: 5 },
  notifyMaxReceiveCount: 2,
  sesMaxSendRate: 14,
};

describe("e2e: the local cloud runs the dev stack's own graph, every call signed and authorized", function () {
  this.timeout(300_000);
  let cloud: LocalCloud;
  let description: CloudDescription;
  let stateDir: string;
  let echoed: string[];
  printCloudLinesOnFailure(() => echoed ?? []);
  let hashKey: string;
  let client: CloudClient;
  let poisonedOperation: string;

  before(async () => {
    ({ cloud, stateDir, echoed } = await early.result());
    description = cloud.description;
    hashKey = readFileSync(path.join(stateDir, "hash-key"), "utf8").trim();
    client = cloudClient(description, { fauxqsEndpoint: cloud.services.endpoints.s3 });
    const customer = await newCustomer();
    const input = operation(customer.id);
    poisonedOperation = input.id;
    await putEvents([busEntry(input, { ...JSON.parse(String(busEntry(input).Detail)), version: 99 })]);
  });

  after(async () => {
    await cloud?.stop();
  });

  const call = (method: string, route: string, options: CallOptions = {}) =>
    client.call(method, route, options);
  const emailsTo = (address: string) => client.emailsTo(address);

  async function newCustomer(locale = "fr-FR"): Promise<{ id: string; email: string }> {
    const id = `c-${randomUUID().slice(0, 8)}`;
    const email = `${id}@example.com`;
    const saved = await call("PUT", `/customers/${id}`, {
      body: { email, locale, displayName: "Camille Martin", timeZone: "Europe/Paris" },
    });
    expect(saved.status, JSON.stringify(saved.body)).to.equal(200);
    return { id, email };
  }

  function operation(customerId: string, overrides: Partial<OperationInput> = {}): OperationInput {
    return {
      id: `op-${randomUUID().slice(0, 12)}`,
      customerId,
      kind: "deposit",
      accountIban: "FR7630006000011234567890189",
      amount: { value: "42.00", currency: "EUR" },
      occurredAt: new Date(Date.now() - 5_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ...overrides,
    };
  }

  /** PutEvents on the stack's bus with the producer's credentials, as core banking would. */
  async function putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
    const answer = await client.putEvents(entries);
    expect(answer.FailedEntryCount, JSON.stringify(answer.Entries)).to.equal(0);
  }

  function busEntry(input: OperationInput, detail?: unknown): PutEventsRequestEntry {
    const event = buildOperationEvent(input, { source: String(description.outputs.eventSource), hashKey });
    return {
      EventBusName: description.eventBusName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(detail ?? event.detail),
    };
  }

  const deadLetters = (queueName: string) => client.peek(queueName);

  it("describes itself in cloud.json: the stage URL, the SES store, the bus, the endpoints and four callers' keys", () => {
    const file = path.join(stateDir, "cloud.json");
    expect(existsSync(file)).to.equal(true);
    const written = JSON.parse(readFileSync(file, "utf8")) as CloudDescription;
    expect(written.apiUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(written.sesStoreUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/store$/);
    expect(written.eventBusName).to.equal("bank-notif-dev-operations");
    expect(Object.keys(written.endpoints).sort()).to.deep.equal([
      "dynamodb",
      "events",
      "lambda",
      "s3",
      "secretsmanager",
      "ses",
      "sqs",
    ]);
    for (const name of ["producer", "customerAdmin", "outsider", "operator"] as const)
      expect(written.credentials[name].accessKeyId).to.match(/^AKIALOCAL/);
  });

  it("turns a producer's signed POST /operations into exactly one e-mail at the SES store", async () => {
    const customer = await newCustomer();
    const submitted = await call("POST", "/operations", { as: "producer", body: operation(customer.id) });
    expect(submitted.status, JSON.stringify(submitted.body)).to.equal(202);
    const [email] = await waitFor(
      async () => {
        const emails = await emailsTo(customer.email);
        return emails.length > 0 ? emails : undefined;
      },
      "the e-mail",
      60_000,
    );
    expect(email.subject).to.include("42,00");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await emailsTo(customer.email)).to.have.length(1);
  });

  it("answers 403 to unsigned, wrongly signed, tampered, outsider and wrong-audience requests, and records nothing", async () => {
    const customer = await newCustomer();
    const attempts: [string, Parameters<typeof call>[2]][] = [
      ["unsigned", { unsigned: true }],
      ["signed with another secret", { secret: "not-the-producer-secret" }],
      ["tampered after signing", { tamper: (body) => body.replace("42.00", "99999.00") }],
      ["by an outsider", { as: "outsider" }],
      ["by the customer administration", { as: "customerAdmin" }],
    ];
    const ids: string[] = [];
    for (const [label, options] of attempts) {
      const input = operation(customer.id);
      ids.push(input.id);
      const answer = await call("POST", "/operations", { as: "producer", ...options, body: input });
      expect(answer.status, label).to.equal(403);
    }
    expect(
      (await call("GET", `/customers/${customer.id}`, { as: "producer" })).status,
      "a producer reading a customer",
    ).to.equal(403);
    for (const id of ids) expect((await call("GET", `/operations/${id}`)).status).to.equal(404);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await emailsTo(customer.email)).to.deep.equal([]);
  });

  it("sends one e-mail for an event put on the bus twice", async () => {
    const customer = await newCustomer("en-GB");
    const entry = busEntry(operation(customer.id));
    await putEvents([entry]);
    await putEvents([entry]);
    await waitFor(
      async () => ((await emailsTo(customer.email)).length > 0 ? true : undefined),
      "the e-mail",
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await emailsTo(customer.email)).to.have.length(1);
  });

  it("stops notify past its timeout and redelivers the record, which then sends one e-mail", async () => {
    // SES answers the next send 7 s late: notify, whose timeout is 5 s, is stopped before it reaches SES.
    cloud.faults.inject({
      service: "ses",
      command: "SendEmailCommand",
      principal: "bank-notif-dev-notify",
      fault: { delayBeforeMs: 7_000 },
      times: 1,
    });
    const customer = await newCustomer();
    expect(
      (await call("POST", "/operations", { as: "producer", body: operation(customer.id) })).status,
    ).to.equal(202);
    await waitFor(
      async () =>
        echoed.some((line) => /notify\] ERROR .*Task timed out after 5\.00 seconds/.test(line))
          ? true
          : undefined,
      "notify to time out",
      60_000,
    );
    await waitFor(
      async () => ((await emailsTo(customer.email)).length > 0 ? true : undefined),
      "the e-mail",
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await emailsTo(customer.email)).to.have.length(1);
  });

  it("redelivers a record notify cannot process and dead-letters it after maxReceiveCount", async () => {
    const [dead] = await waitFor(
      async () => {
        const messages = await deadLetters("bank-notif-dev-notify-dlq");
        return messages.length > 0 ? messages : undefined;
      },
      "the notify DLQ",
      120_000,
    );
    const body = JSON.parse(String(dead.Body)) as {
      event: { detail: { operationId: string; version: number } };
    };
    expect(body.event.detail).to.include({ operationId: poisonedOperation, version: 99 });
    expect(Number(dead.Attributes?.ApproximateReceiveCount)).to.be.greaterThan(2);
  });

  it("refuses, with AccessDenied, a call its role no longer allows; the feedback function is retried twice, then dead-lettered", async () => {
    const feedbackPolicy = cloud.resources.find(
      (resource) =>
        resource.type === "aws:iam/rolePolicy:RolePolicy" &&
        String(resource.inputs.role).includes("ses-feedback"),
    )!;
    const original = String(feedbackPolicy.inputs.policy);
    const document = JSON.parse(original) as { Statement: { Sid: string }[] };
    feedbackPolicy.inputs.policy = JSON.stringify({
      ...document,
      Statement: document.Statement.filter((statement) => statement.Sid !== "UseTable"),
    });
    try {
      const customer = await newCustomer();
      expect(
        (await call("POST", "/operations", { as: "producer", body: operation(customer.id) })).status,
      ).to.equal(202);
      const [record] = await waitFor(
        async () => {
          const messages = await deadLetters("bank-notif-dev-feedback-dlq");
          return messages.length > 0 ? messages : undefined;
        },
        "the feedback DLQ",
        120_000,
      );
      const invocation = JSON.parse(String(record.Body)) as {
        requestContext: { condition: string; approximateInvokeCount: number };
        requestPayload: { source: string };
      };
      expect(invocation.requestContext).to.deep.include({
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      });
      expect(invocation.requestPayload.source).to.equal("aws.ses");
      expect(
        echoed.some((line) =>
          /AccessDenied \(dynamodb\).*bank-notif-dev-ses-feedback.*dynamodb:UpdateItem/.test(line),
        ),
      ).to.equal(true);
    } finally {
      feedbackPolicy.inputs.policy = original;
    }
  });
});
