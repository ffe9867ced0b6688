import { expect } from "chai";
import sinon from "sinon";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { createNotifyHandler } from "../../runtime/handlers/notify";
import { createSesFeedbackHandler } from "../../runtime/handlers/sesFeedbackHandler";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createCustomersApiHandler } from "../../runtime/handlers/customersApi";
import { buildOperationEvent } from "../../runtime/domain/operationEvent";
import { validateOperationInput } from "../../runtime/domain/operationSchema";
import type { NotificationKind } from "../../runtime/domain/operationKinds";
import type { NotificationSummary } from "../../runtime/adapters/operationRepository";
import { createRuntimeFixture, EVENT_SOURCE, type RuntimeFixture } from "../support/runtimeFixture";
import {
  apiEvent,
  envelopeBody,
  sqsEvent,
  uniqueId,
  validCustomer,
  validOperation,
  VALID_IBAN,
} from "../support/sampleData";
import type { RecordedEvent } from "../../local/localServices";

describe("notify: from a queued event to exactly one e-mail", () => {
  let fixture: RuntimeFixture;
  let notify: ReturnType<typeof createNotifyHandler>;
  let operationsApi: ReturnType<typeof createOperationsApiHandler>;
  let customersApi: ReturnType<typeof createCustomersApiHandler>;

  before(async () => {
    fixture = await createRuntimeFixture();
    notify = createNotifyHandler(fixture.options());
    operationsApi = createOperationsApiHandler(fixture.options());
    customersApi = createCustomersApiHandler(fixture.options());
  });
  afterEach(() => sinon.restore());

  async function customer(overrides: Record<string, unknown> = {}) {
    const id = uniqueId("cust");
    const email = fixture.uniqueAddress("camille");
    const response = await customersApi(
      apiEvent("PUT", "/customers/{id}", { id, body: validCustomer({ email, ...overrides }) }),
    );
    expect(response.statusCode, response.body).to.equal(200);
    return { id, email };
  }

  /** Submits through the API and returns the event the bus received. */
  async function submitted(overrides: Record<string, unknown>): Promise<RecordedEvent> {
    const operation = validOperation(overrides);
    const response = await operationsApi(apiEvent("POST", "/operations", { body: operation }));
    expect(response.statusCode, response.body).to.equal(202);
    const event = fixture.services.events.find((e) => JSON.parse(e.Detail).operationId === operation.id);
    return event!;
  }

  async function notificationsOf(operationId: string) {
    const response = await operationsApi(apiEvent("GET", "/operations/{id}", { id: operationId }));
    return JSON.parse(response.body).notifications as NotificationSummary[];
  }

  /** The notification's item as stored, attribute names only. */
  async function storedAttributes(operationId: string, kind: NotificationKind): Promise<string[]> {
    const { Item: item } = await new DynamoDBClient({}).send(
      new GetItemCommand({
        TableName: fixture.tableName,
        Key: { pk: { S: `OPERATION#${operationId}` }, sk: { S: `NOTIFICATION#${kind}` } },
        ConsistentRead: true,
      }),
    );
    return Object.keys(item ?? {}).sort();
  }

  async function evidenceKeys(operationId: string): Promise<string[]> {
    const listed = await new S3Client({}).send(
      new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: `evidence/${operationId}/` }),
    );
    return (listed.Contents ?? []).map((object) => object.Key!);
  }

  const deliver = (event: RecordedEvent, kind: NotificationKind = event.DetailType as NotificationKind) =>
    notify(sqsEvent(envelopeBody(event, kind)));

  it("sends the French e-mail with the customer's formatting, records it and archives the evidence", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    const operationId = JSON.parse(event.Detail).operationId;
    const result = await deliver(event);
    expect(result.batchItemFailures).to.deep.equal([]);

    const [mail, ...more] = await fixture.emailsTo(email);
    expect(more).to.have.length(0);
    expect(mail.from).to.equal("notifications@bank.example");
    expect(mail.subject).to.include("1\u202f234,56\u00a0€");
    expect(mail.body.text).to.include("Camille Martin").and.include("•••• 0189");
    expect(mail.body.html).to.include("1\u202f234,56\u00a0€");
    expect(mail.body.html).not.to.include(VALID_IBAN);

    const [notification] = await notificationsOf(operationId);
    expect(notification).to.include({
      notificationKind: "deposit",
      status: "sent",
      sesMessageId: mail.messageId,
      attempts: 1,
    });

    const [key] = await evidenceKeys(operationId);
    expect(key).to.equal(`evidence/${operationId}/deposit/${mail.messageId}.json`);
    expect(notification.evidenceKey, "recorded with sent").to.equal(key);
    expect(
      await storedAttributes(operationId, "deposit"),
      "the archived evidence is not kept twice",
    ).not.to.include("evidence");
    const object = await new S3Client({}).send(new GetObjectCommand({ Bucket: fixture.bucket, Key: key }));
    const evidence = JSON.parse(await object.Body!.transformToString());
    expect(evidence).to.include({ operationId, notificationKind: "deposit", sesMessageId: mail.messageId });
    expect(evidence.template.name).to.equal(`${fixture.templatePrefix}-deposit-fr`);
    expect(evidence.template.sha256).to.match(/^[a-f0-9]{64}$/);
    expect(evidence.templateData.account).to.equal("•••• 0189");
    expect(evidence.templateData).not.to.have.property("displayName");
    expect(JSON.stringify(evidence)).not.to.include("Camille");
    expect(JSON.stringify(evidence)).not.to.include(email);
  });

  it("sends one e-mail, one record and one evidence object for an event delivered five times", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    const operationId = JSON.parse(event.Detail).operationId;
    for (let i = 0; i < 5; i++) expect((await deliver(event)).batchItemFailures).to.deep.equal([]);
    expect(await fixture.emailsTo(email)).to.have.length(1);
    expect(await notificationsOf(operationId)).to.have.length(1);
    expect(await evidenceKeys(operationId)).to.have.length(1);
  });

  it("sends one e-mail when five deliveries race; the four losers are retried later and then do nothing", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    // The winner's SendEmail waits until four deliveries have answered, so all four lose the race
    // while it holds the lease; a fifth answer first would mean a second winner, and the gate's
    // timeout lets the test say so rather than hang.
    let answered = 0;
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const gateTimer = setTimeout(openGate, 5000);
    const ses = new SESv2Client({});
    ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "SendEmailCommand") await gate;
        return next(args);
      },
      { step: "initialize", name: "holdTheWinnersSend" },
    );
    const racing = createNotifyHandler(fixture.options({ clients: { ses } }));
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        racing(sqsEvent(envelopeBody(event, "deposit"))).then((result) => {
          answered += 1;
          if (answered === 4) openGate();
          return result;
        }),
      ),
    );
    clearTimeout(gateTimer);
    const losers = results.filter((result) => result.batchItemFailures.length > 0).length;
    expect(losers).to.equal(4);
    expect(await fixture.emailsTo(email)).to.have.length(1);
    for (let i = 0; i < losers; i++) expect((await deliver(event)).batchItemFailures).to.deep.equal([]);
    expect(await fixture.emailsTo(email)).to.have.length(1);
    const [record] = await notificationsOf(JSON.parse(event.Detail).operationId);
    expect(record).to.include({ status: "sent", attempts: 1 });
  });

  it("sends two notifications, each once, for a large deposit that matched its kind's rule and the large-amount rule", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id, amount: { value: "25000.00", currency: "EUR" } });
    const operationId = JSON.parse(event.Detail).operationId;
    for (let i = 0; i < 3; i++) {
      const result = await notify(
        sqsEvent(envelopeBody(event, "deposit"), envelopeBody(event, "large-amount")),
      );
      expect(result.batchItemFailures).to.deep.equal([]);
    }
    const mails = await fixture.emailsTo(email);
    expect(mails).to.have.length(2);
    expect((await notificationsOf(operationId)).map((n) => n.notificationKind).sort()).to.deep.equal([
      "deposit",
      "large-amount",
    ]);
    expect(await evidenceKeys(operationId)).to.have.length(2);
  });

  it("on SES throttling reports the record as failed, releases the lease, and a later delivery sends exactly once", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    const operationId = JSON.parse(event.Detail).operationId;
    const ses = new SESv2Client({});
    const realSend = ses.send.bind(ses);
    const throttling = Object.assign(new Error("Maximum sending rate exceeded."), {
      name: "TooManyRequestsException",
      $metadata: { httpStatusCode: 429 },
    });
    sinon.stub(ses, "send").callsFake(async (command: unknown) => {
      if (command instanceof SendEmailCommand) throw throttling;
      return realSend(command as never);
    });
    const throttled = createNotifyHandler(fixture.options({ clients: { ses } }));
    const body = envelopeBody(event, "deposit");
    const failed = await throttled(sqsEvent(body));
    expect(failed.batchItemFailures).to.have.length(1);
    expect(await fixture.emailsTo(email)).to.have.length(0);
    const [released] = await notificationsOf(operationId);
    expect(released.status).to.equal("released");

    expect((await notify(sqsEvent(body))).batchItemFailures).to.deep.equal([]);
    expect((await notify(sqsEvent(body))).batchItemFailures).to.deep.equal([]);
    expect(await fixture.emailsTo(email)).to.have.length(1);
    const [sent] = await notificationsOf(operationId);
    expect(sent).to.include({ status: "sent", attempts: 2 });
    expect(sent).not.to.have.property("reason");
  });

  it("if the process dies after SES accepted and before recording, nothing resends until the lease expires, then one more e-mail is sent", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    const operationId = JSON.parse(event.Detail).operationId;
    // The document client shares the base client's middleware stack, so the fault goes there.
    const dynamodb = new DynamoDBClient({});
    dynamodb.middlewareStack.add(
      (next) => async (args) => {
        const values = (args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> })
          .ExpressionAttributeValues;
        if (values?.[":status"]?.S === "sent") throw new Error("process killed");
        return next(args);
      },
      { step: "build", name: "killBeforeRecordingSent" },
    );
    const dying = createNotifyHandler(fixture.options({ clients: { dynamodb } }));
    const body = envelopeBody(event, "deposit");
    expect((await dying(sqsEvent(body))).batchItemFailures).to.have.length(1);
    expect(await fixture.emailsTo(email)).to.have.length(1);

    const whileLeased = await notify(sqsEvent(body));
    expect(whileLeased.batchItemFailures).to.have.length(1);
    expect(await fixture.emailsTo(email)).to.have.length(1);

    fixture.clock.now += 61_000;
    expect((await notify(sqsEvent(body))).batchItemFailures).to.deep.equal([]);
    const mails = await fixture.emailsTo(email);
    expect(mails).to.have.length(2);
    const [record] = await notificationsOf(operationId);
    expect(record).to.include({ status: "sent", attempts: 2, sesMessageId: mails[1].messageId });
    expect((await notify(sqsEvent(body))).batchItemFailures).to.deep.equal([]);
    expect(await fixture.emailsTo(email)).to.have.length(2);
    // The evidence is written before `sent` is recorded, so the e-mail sent before the crash has its own.
    expect(await evidenceKeys(operationId)).to.have.members([
      `evidence/${operationId}/deposit/${mails[0].messageId}.json`,
      `evidence/${operationId}/deposit/${mails[1].messageId}.json`,
    ]);
    expect(fixture.logs.some((line) => line.includes(mails[0].messageId))).to.equal(true);

    const feedback = createSesFeedbackHandler(fixture.options());
    await feedback({
      source: "aws.ses",
      detail: {
        eventType: "Delivery",
        mail: {
          messageId: mails[0].messageId,
          tags: {
            "ses:configuration-set": [fixture.env.SES_CONFIGURATION_SET],
            "operation-id": [operationId],
            "notification-kind": ["deposit"],
          },
        },
      },
    });
    const [reconciled] = await notificationsOf(operationId);
    expect(reconciled.untrackedSesMessageIds).to.deep.equal([mails[0].messageId]);
    expect(reconciled.status).to.equal("sent");
  });

  it("writes the evidence of what was sent on a redelivery, even after feedback moved the status and the profile changed", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    const operationId = JSON.parse(event.Detail).operationId;
    const s3 = new S3Client({});
    const realSend = s3.send.bind(s3);
    const unavailable = Object.assign(new Error("Service Unavailable"), {
      name: "ServiceUnavailable",
      $metadata: { httpStatusCode: 503 },
    });
    sinon.stub(s3, "send").callsFake(async (command: unknown) => {
      if (command instanceof PutObjectCommand) throw unavailable;
      return realSend(command as never);
    });
    const body = envelopeBody(event, "deposit");
    expect(
      (await createNotifyHandler(fixture.options({ clients: { s3 } }))(sqsEvent(body))).batchItemFailures,
    ).to.have.length(1);
    const [mail] = await fixture.emailsTo(email);
    expect(await evidenceKeys(operationId)).to.deep.equal([]);
    const [pending] = await notificationsOf(operationId);
    expect(pending).to.include({ status: "sent", sesMessageId: mail.messageId });
    expect(pending, "no evidence key until the evidence is archived").not.to.have.property("evidenceKey");
    expect(await storedAttributes(operationId, "deposit"), "sent keeps the evidence to archive").to.include(
      "evidence",
    );

    await createSesFeedbackHandler(fixture.options())({
      source: "aws.ses",
      detail: {
        eventType: "Delivery",
        mail: {
          messageId: mail.messageId,
          tags: {
            "ses:configuration-set": [fixture.env.SES_CONFIGURATION_SET],
            "operation-id": [operationId],
            "notification-kind": ["deposit"],
          },
        },
      },
    });
    await customersApi(
      apiEvent("PATCH", "/customers/{id}", { id, body: { locale: "en-GB", timeZone: "America/New_York" } }),
    );

    expect((await notify(sqsEvent(body))).batchItemFailures).to.deep.equal([]);
    const [key] = await evidenceKeys(operationId);
    const object = await new S3Client({}).send(new GetObjectCommand({ Bucket: fixture.bucket, Key: key }));
    const evidence = JSON.parse(await object.Body!.transformToString());
    expect(evidence.template.name).to.equal(`${fixture.templatePrefix}-deposit-fr`);
    expect(evidence.templateData.amount).to.equal("1\u202f234,56\u00a0€");
    expect(evidence.sesMessageId).to.equal(mail.messageId);
    const [record] = await notificationsOf(operationId);
    expect(record).to.include({ status: "delivered", evidenceKey: key });
    expect(await storedAttributes(operationId, "deposit")).not.to.include("evidence");
    expect(await fixture.emailsTo(email)).to.have.length(1);
  });

  /** A DynamoDB client whose writes of the `sent` outcome throw a throttling error `failures` times. */
  function throttlingSentWrites(failures: number) {
    const dynamodb = new DynamoDBClient({});
    const writes = { attempts: 0 };
    // The build step runs once per command sent, before the SDK's own retries.
    dynamodb.middlewareStack.add(
      (next) => async (args) => {
        const values = (args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> })
          .ExpressionAttributeValues;
        if (Object.values(values ?? {}).some((value) => value.S === "sent")) {
          writes.attempts += 1;
          if (writes.attempts <= failures) {
            throw Object.assign(new Error("The level of configured provisioned throughput was exceeded"), {
              name: "ProvisionedThroughputExceededException",
              $metadata: { httpStatusCode: 400 },
            });
          }
        }
        return next(args);
      },
      { step: "build", name: "throttleSentWrites" },
    );
    return { dynamodb, writes };
  }

  it("records the sent outcome after two throttled writes, backing off 200 then 400 ms: one e-mail, no redelivery", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    const { dynamodb, writes } = throttlingSentWrites(2);
    const sleeps: number[] = [];
    const handler = createNotifyHandler(
      fixture.options({ clients: { dynamodb }, sleep: async (ms) => void sleeps.push(ms) }),
    );
    expect((await handler(sqsEvent(envelopeBody(event, "deposit")))).batchItemFailures).to.deep.equal([]);
    expect(writes.attempts).to.equal(3);
    expect(sleeps).to.deep.equal([200, 400]);
    const mails = await fixture.emailsTo(email);
    expect(mails).to.have.length(1);
    const [record] = await notificationsOf(JSON.parse(event.Detail).operationId);
    expect(record).to.include({ status: "sent", sesMessageId: mails[0].messageId });
  });

  it("gives up after three throttled writes of the sent outcome and reports the record for redelivery", async () => {
    const { id, email } = await customer();
    const event = await submitted({ customerId: id });
    const { dynamodb, writes } = throttlingSentWrites(Infinity);
    const handler = createNotifyHandler(fixture.options({ clients: { dynamodb }, sleep: async () => {} }));
    expect((await handler(sqsEvent(envelopeBody(event, "deposit")))).batchItemFailures).to.have.length(1);
    expect(writes.attempts).to.equal(3);
    expect(await fixture.emailsTo(email)).to.have.length(1);
  });

  it("spaces one worker's sends by the interval the stack gives it, across batches", async () => {
    const recipients = await Promise.all([customer(), customer(), customer()]);
    const events = await Promise.all(recipients.map(({ id }) => submitted({ customerId: id })));
    let now = fixture.clock.now;
    const sleeps: number[] = [];
    const sentAt: number[] = [];
    const ses = new SESv2Client({});
    ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "SendEmailCommand") sentAt.push(now);
        return next(args);
      },
      { step: "initialize", name: "recordSendTimes" },
    );
    const paced = createNotifyHandler(
      fixture.options({
        env: { ...fixture.env, SES_SEND_INTERVAL_MS: "2000" },
        clients: { ses },
        now: () => now,
        sleep: async (ms) => {
          sleeps.push(ms);
          now += ms;
        },
      }),
    );
    const batch = sqsEvent(...events.slice(0, 2).map((event) => envelopeBody(event, "deposit")));
    expect((await paced(batch)).batchItemFailures).to.deep.equal([]);
    now += 500;
    expect((await paced(sqsEvent(envelopeBody(events[2], "deposit")))).batchItemFailures).to.deep.equal([]);
    expect(sleeps).to.deep.equal([2000, 1500]);
    expect(sentAt.slice(1).map((at, index) => at - sentAt[index])).to.deep.equal([2000, 2000]);
    for (const { email } of recipients) expect(await fixture.emailsTo(email)).to.have.length(1);
  });

  it("retries an unknown customer for a while, so a customer created just after the operation is notified", async () => {
    const customerId = uniqueId("late");
    const email = fixture.uniqueAddress("late");
    const event = await submitted({ customerId });
    const body = envelopeBody(event, "deposit", new Date(fixture.clock.now - 60_000).toISOString());
    expect((await notify(sqsEvent(body))).batchItemFailures).to.have.length(1);
    const [waiting] = await notificationsOf(JSON.parse(event.Detail).operationId);
    expect(waiting.status).to.equal("released");
    await customersApi(
      apiEvent("PUT", "/customers/{id}", { id: customerId, body: validCustomer({ email }) }),
    );
    expect((await notify(sqsEvent(body))).batchItemFailures).to.deep.equal([]);
    expect(await fixture.emailsTo(email)).to.have.length(1);
  });

  it("escapes HTML in the HTML part, as the emulator stored it, for an event put on the bus directly", async () => {
    const { id, email } = await customer();
    const operation = validateOperationInput(validOperation({ customerId: id }));
    const { detail } = buildOperationEvent(operation, {
      source: EVENT_SOURCE,
      hashKey: fixture.services.secrets[fixture.env.HASH_KEY_SECRET_ID],
    });
    detail.description = `<script>alert("x")</script>`;
    detail.counterparty = { name: `Tom & Jerry's "Bar"` };
    const event: RecordedEvent = {
      Source: EVENT_SOURCE,
      DetailType: "deposit",
      Detail: JSON.stringify(detail),
      eventId: uniqueId("evt"),
    };
    expect((await deliver(event)).batchItemFailures).to.deep.equal([]);
    const [mail] = await fixture.emailsTo(email);
    expect(mail.body.html).not.to.include("<script>");
    expect(mail.body.html).to.include("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(mail.body.html).to.include("Tom &amp; Jerry&#x27;s &quot;Bar&quot;");
    expect(mail.body.text).to.include(`Tom & Jerry's "Bar"`);
  });

  it("shows free text from the bus in the order it was written, as valid Unicode, and a negative zero balance without its sign", async () => {
    const { id, email } = await customer();
    const operation = validateOperationInput(validOperation({ customerId: id }));
    const { detail } = buildOperationEvent(operation, {
      source: EVENT_SOURCE,
      hashKey: fixture.services.secrets[fixture.env.HASH_KEY_SECRET_ID],
    });
    detail.description = "Refund \u202egnp.exe";
    detail.counterparty = { name: "\u2067ACME\u2069 \u200fLtd \ud800" };
    detail.balanceAfter = { value: "-0.00", currency: "EUR" };
    const event: RecordedEvent = {
      Source: EVENT_SOURCE,
      DetailType: "deposit",
      Detail: JSON.stringify(detail),
      eventId: uniqueId("evt"),
    };
    expect((await deliver(event)).batchItemFailures).to.deep.equal([]);
    const [mail] = await fixture.emailsTo(email);
    for (const part of [mail.subject, mail.body.text!, mail.body.html!]) {
      expect(part).to.not.match(/\p{Bidi_Control}/u);
      expect(part.isWellFormed()).to.equal(true);
    }
    expect(mail.body.text).to.include("Refund gnp.exe").and.include("ACME Ltd \ufffd");
    expect(mail.body.html).to.include("Refund gnp.exe");
    expect(mail.body.text).to.include("\u00a0: 0,00\u00a0€").and.not.include("-0,00");
  });

  it("suppresses, with the reason recorded, for opt-outs, thresholds and unknown customers, but never a security alert", async () => {
    const optedOut = await customer({
      preferences: {
        optedOutCategories: ["account-activity", "card-activity", "large-amounts"],
        minimumAmounts: { EUR: "100000.00" },
      },
    });
    const deposit = await submitted({ customerId: optedOut.id });
    const cardBlocked = await submitted({
      customerId: optedOut.id,
      kind: "card-blocked",
      amount: undefined,
      balanceAfter: undefined,
      description: "Card ending 4242 blocked after 3 wrong PINs",
    });
    const stranger = await submitted({ customerId: uniqueId("nobody") });
    const thresholdOnly = await customer({
      preferences: { optedOutCategories: [], minimumAmounts: { EUR: "2000.00" } },
    });
    const small = await submitted({ customerId: thresholdOnly.id });
    for (const event of [deposit, cardBlocked, stranger, small])
      expect((await deliver(event)).batchItemFailures).to.deep.equal([]);

    const reasons = async (event: RecordedEvent) =>
      (await notificationsOf(JSON.parse(event.Detail).operationId))[0];
    expect(await reasons(deposit)).to.include({ status: "suppressed", reason: "opted-out" });
    expect(await reasons(stranger)).to.include({ status: "suppressed", reason: "unknown-customer" });
    expect(await reasons(small)).to.include({ status: "suppressed", reason: "below-threshold" });
    expect(await reasons(cardBlocked)).to.include({ status: "sent" });
    const mails = await fixture.emailsTo(optedOut.email);
    expect(mails).to.have.length(1);
    expect(mails[0].body.text).to.include("4242");
    const metrics = fixture.logs
      .map((line) => JSON.parse(line))
      .filter((line) => line.NotificationsSuppressed === 1);
    expect(metrics.map((line) => line.Reason)).to.include.members([
      "opted-out",
      "unknown-customer",
      "below-threshold",
    ]);
  });

  it("falls back to English templates for an unsupported language but formats in the customer's own locale", async () => {
    const { id, email } = await customer({
      locale: "de-DE",
      timeZone: "Europe/Berlin",
      displayName: "Jonas Weber",
    });
    const event = await submitted({ customerId: id });
    await deliver(event);
    const [mail] = await fixture.emailsTo(email);
    expect(mail.body.text).to.include("1.234,56\u00a0€").and.include("Jonas Weber");
    const evidenceKey = (await evidenceKeys(JSON.parse(event.Detail).operationId))[0];
    const object = await new S3Client({}).send(
      new GetObjectCommand({ Bucket: fixture.bucket, Key: evidenceKey }),
    );
    expect(JSON.parse(await object.Body!.transformToString()).template.name).to.equal(
      `${fixture.templatePrefix}-deposit-en`,
    );
  });

  it("reports malformed queue messages as failures so they end in the DLQ, and records nothing", async () => {
    const { id, email } = await customer();
    const published = await submitted({ customerId: id });
    const detail = JSON.parse(published.Detail);
    const withDetail = (changed: object): RecordedEvent => ({
      Source: EVENT_SOURCE,
      DetailType: "deposit",
      Detail: JSON.stringify({ ...detail, ...changed }),
      eventId: uniqueId("evt"),
    });
    const result = await notify(
      sqsEvent(
        "not json",
        JSON.stringify({ notificationKind: "deposit", event: { id: "e", detail: { operationId: "x" } } }),
        envelopeBody(withDetail({ amount: undefined }), "deposit"),
        envelopeBody(withDetail({ description: "line one\nline two" }), "deposit"),
        envelopeBody(withDetail({ version: 2 }), "deposit"),
        envelopeBody(withDetail({ amount: { value: "12.345", currency: "EUR" } }), "deposit"),
        envelopeBody(withDetail({}), "deposit").replace(
          '"customerId":',
          `"customerId":${JSON.stringify(uniqueId("other-customer"))},"customerId":`,
        ),
      ),
    );
    expect(result.batchItemFailures).to.have.length(7);
    expect(await notificationsOf(detail.operationId)).to.deep.equal([]);
    expect(await fixture.emailsTo(email)).to.deep.equal([]);
  });

  it("logs, stores and returns no e-mail address, name or account number, even when SES quotes the address", async () => {
    const { id, email } = await customer();
    const sentEvent = await submitted({ customerId: id });
    await deliver(sentEvent);
    const rejectedEvent = await submitted({ customerId: id });
    const ses = new SESv2Client({});
    const realSend = ses.send.bind(ses);
    const rejection = Object.assign(
      new Error(
        `Email address is not verified. The following identities failed the check in region EU-WEST-1: ${email}`,
      ),
      {
        name: "MessageRejected",
        $metadata: { httpStatusCode: 400 },
      },
    );
    sinon.stub(ses, "send").callsFake(async (command: unknown) => {
      if (command instanceof SendEmailCommand) throw rejection;
      return realSend(command as never);
    });
    const rejecting = createNotifyHandler(fixture.options({ clients: { ses } }));
    expect(
      (await rejecting(sqsEvent(envelopeBody(rejectedEvent, "deposit")))).batchItemFailures,
    ).to.have.length(1);

    const rejectedId = JSON.parse(rejectedEvent.Detail).operationId;
    const [failed] = await notificationsOf(rejectedId);
    expect(failed.status).to.equal("failed");
    const listed = await operationsApi(apiEvent("GET", "/notifications/failed"));
    const failures = JSON.parse(listed.body).notifications;
    expect(failures[0]).to.include({
      operationId: rejectedId,
      notificationKind: "deposit",
      status: "failed",
    });
    expect(listed.body).not.to.include(email);
    expect(failed.reason).to.include("MessageRejected").and.include("[address]").and.not.include(email);
    const logs = fixture.logs.join("\n");
    expect(logs).to.include("MessageRejected");
    expect(logs).not.to.include(email);
    expect(logs).not.to.match(/@example\.com/);
    expect(logs).not.to.include("Camille Martin");
    expect(logs).not.to.include(VALID_IBAN);
  });
});
