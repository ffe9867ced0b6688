import { expect } from "chai";
import { startLocalCloud, type CloudDescription, type LocalCloud } from "../../local/cloud/localCloud";
import { waitFor } from "../../local/cloud/cloudClient";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import {
  accountFor,
  type Accounting,
  type NotificationRecord,
  type TrackedOperation,
} from "../../tools/load/accounting";
import { alarmsThatWouldFire, queueDepthMetric } from "../../tools/load/alarms";
import { cloudControl, type CloudControl } from "../../tools/load/cloudControl";
import { expectedNotifications } from "../../tools/load/expectations";
import {
  FAULT_SCENARIOS,
  type ActiveFault,
  type FaultName,
  type ScenarioEnvironment,
} from "../../tools/load/faultScenarios";
import {
  deadLettersByNotification,
  functionLogRecords,
  notificationRecords,
  settled,
  stackQueues,
  type DeadLetterFound,
  type StackQueues,
} from "../../tools/load/observe";
import { customerBody, type LoadCustomer } from "../../tools/load/operationMix";
import { submitOperation, type Submission, type SubmissionAttempt } from "../../tools/load/producer";
import { scenarioEnvironment } from "../../tools/load/scenarioEnvironment";
import { sesLedger, notificationKey, type SesLedger } from "../../tools/load/sesLedger";
import { callApi, type ApiTarget } from "../../tools/load/signedApi";
import { FAULT_STACK_CONFIG, FAULT_TIME_SCALE } from "../../tools/load/stackConfigs";
import { startEarly } from "../support/pulumiEarlyStart";
import { printCloudLinesOnFailure } from "../support/cloudLinesOnFailure";

/**
 * The fault scenarios of `npm run load -- --fault NAME`, on one local cloud running the dev stack's
 * graph with the fault test configuration (notify's timeout 5 s, so a record left on the queue
 * comes back after 31 s; 2 receives before the notify DLQ; retry waits 60 times faster). To keep
 * the run short the faults happen one after the other in `before`, each started and ended on
 * what the cloud shows (a line in SES's ledger, notify's log, an API answer), so that their
 * redeliveries overlap; each test then waits for its scenario's outcome and accounts for every
 * operation it sent.
 */
const early = startEarly(async ({ scratchFolder }) => {
  const stateDir = scratchFolder("bank-notification-faults-");
  const echoed: string[] = [];
  const cloud = await startLocalCloud({
    stack: "dev",
    stateDir,
    fresh: true,
    timeScale: FAULT_TIME_SCALE,
    config: FAULT_STACK_CONFIG,
    echo: (line) => echoed.push(line),
  });
  return { cloud, echoed };
});

const OUTCOME_TIMEOUT_MS = 150_000;

describe("e2e: fault scenarios on the local cloud, every accepted operation accounted for", function () {
  this.timeout(300_000);
  let cloud: LocalCloud;
  let description: CloudDescription;
  let echoed: string[];
  printCloudLinesOnFailure(() => echoed ?? []);
  let control: CloudControl;
  let queues: StackQueues;
  let api: ApiTarget;
  let ledger: SesLedger;
  let environment: ScenarioEnvironment;
  const customers: Record<"fr" | "en", LoadCustomer> = {
    fr: {
      id: "fault-camille",
      email: "fault-camille@example.com",
      locale: "fr-FR",
      timeZone: "Europe/Paris",
      optedOutCategories: [],
    },
    en: {
      id: "fault-alex",
      email: "fault-alex@example.com",
      locale: "en-GB",
      timeZone: "Europe/London",
      optedOutCategories: [],
    },
  };
  /** Each scenario's operations, its fault, and what its producer saw. */
  const runs = {} as Record<
    FaultName,
    { tracked: TrackedOperation[]; active: ActiveFault; submissions: Submission[] }
  >;
  let sequence = 0;
  /** Every dead letter seen so far: reading a queue hides its messages for a while. */
  const deadLetters = new Map<string, DeadLetterFound>();

  function operation(customer: LoadCustomer, overrides: Partial<OperationInput> = {}): OperationInput {
    sequence += 1;
    return {
      id: `fault-${Date.now().toString(36)}-${sequence}`,
      customerId: customer.id,
      kind: "deposit",
      accountIban: "FR7630006000011234567890189",
      amount: { value: "42.00", currency: "EUR" },
      occurredAt: new Date(Date.now() - 5_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ...overrides,
    };
  }

  function track(input: OperationInput, customer: LoadCustomer): TrackedOperation {
    return {
      operation: input,
      scheduledAt: Date.now(),
      // The dev stack's large-amount threshold in EUR is 1000.
      expected: expectedNotifications(input, customer, { EUR: 1000, USD: 1000 }),
    };
  }

  async function submit(
    scenario: FaultName,
    input: OperationInput,
    customer: LoadCustomer,
    onAttempt?: (attempt: SubmissionAttempt) => void,
  ): Promise<Submission> {
    const tracked = track(input, customer);
    const submission = await submitOperation(api, input, tracked.scheduledAt, { onAttempt });
    expect(submission.accepted, `${input.id}: ${JSON.stringify(submission.attempts)}`).to.equal(true);
    runs[scenario].tracked.push(tracked);
    runs[scenario].submissions.push(submission);
    return submission;
  }

  const logOf = (ids: string[]) => functionLogRecords(description, "notify", ids);
  const emailsOf = (operationId: string, kind: string) => {
    ledger.refresh();
    return ledger.byNotification.get(notificationKey(operationId, kind)) ?? [];
  };

  async function begin(scenario: FaultName, options?: { windowMs?: number }): Promise<ActiveFault> {
    const active = await FAULT_SCENARIOS[scenario].begin(environment, options);
    runs[scenario] = { tracked: [], active, submissions: [] };
    return active;
  }

  before(async () => {
    ({ cloud, echoed } = await early.result());
    description = cloud.description;
    control = cloudControl(cloud);
    queues = stackQueues(description);
    api = {
      apiUrl: description.apiUrl,
      region: description.region,
      credentials: async (caller) => description.credentials[caller],
    };
    ledger = sesLedger(description.sesAcceptedFile);
    for (const customer of Object.values(customers)) {
      const saved = await callApi(
        api,
        "customerAdmin",
        "PUT",
        `/customers/${customer.id}`,
        customerBody(customer),
      );
      expect(saved.status, JSON.stringify(saved.body)).to.equal(200);
    }
    environment = scenarioEnvironment(description, control, {
      notifyTimeoutSeconds: FAULT_STACK_CONFIG.functionTimeoutSeconds.notify,
      newOperation() {
        const input = operation(customers.en, { amount: { value: "25.00", currency: "EUR" } });
        runs["poison-event"].tracked.push(track(input, customers.en));
        return input;
      },
    });

    // The poison events first: their two receives take the longest (31 s apart).
    runs["poison-event"] = {
      tracked: [],
      active: { end: async () => undefined, sentOperations: [] },
      submissions: [],
    };
    runs["poison-event"].active = await FAULT_SCENARIOS["poison-event"].begin(environment);

    // notify is stopped after SES accepted one e-mail: the record comes back 31 s later.
    await begin("notify-killed-after-send");
    const killed = await submit("notify-killed-after-send", operation(customers.fr), customers.fr);
    await waitFor(
      async () => (emailsOf(killed.operation.id, "deposit").length > 0 ? true : undefined),
      "SES to accept the e-mail whose answer is held",
      60_000,
    );
    await runs["notify-killed-after-send"].active.end();

    // SES throttles every send until notify released the lease of two notifications, one at a
    // time (a batch of several throttled records could outlast notify's 5 s timeout: the SDK
    // itself retries a throttled call twice, waiting up to 1 then 2 s).
    const throttling = await begin("ses-throttling", { windowMs: 60_000 });
    for (const [customer, kind] of [
      [customers.fr, "card-payment"],
      [customers.en, "deposit"],
    ] as const) {
      const throttled = await submit("ses-throttling", operation(customer, { kind }), customer);
      await waitFor(
        async () =>
          logOf([throttled.operation.id]).some((record) => record.message?.includes("lease released"))
            ? true
            : undefined,
        "notify to release the lease of the throttled notification",
        30_000,
      );
    }
    await throttling.end();

    // DynamoDB is unavailable from the moment an operation is accepted until notify failed on it
    // and the API answered another operation 503.
    runs["dynamodb-unavailable"] = {
      tracked: [],
      active: { end: async () => undefined, sentOperations: [] },
      submissions: [],
    };
    const before = await submit(
      "dynamodb-unavailable",
      operation(customers.en, { kind: "withdrawal" }),
      customers.en,
    );
    const outage = await FAULT_SCENARIOS["dynamodb-unavailable"].begin(environment, { windowMs: 120_000 });
    runs["dynamodb-unavailable"].active = outage;
    await waitFor(
      async () =>
        logOf([before.operation.id]).some((record) => record.message?.includes("SQS will redeliver it"))
          ? true
          : undefined,
      "notify to fail on the operation accepted before the outage",
      60_000,
    );
    await submit(
      "dynamodb-unavailable",
      operation(customers.fr, { kind: "direct-debit" }),
      customers.fr,
      (attempt) => {
        if (attempt.status === 503) void outage.end();
      },
    );

    // The notify queue refuses EventBridge while two operations are accepted.
    const refused = await begin("bus-target-failing");
    await submit(
      "bus-target-failing",
      operation(customers.fr, { kind: "transfer-in", amount: { value: "3000.00", currency: "EUR" } }),
      customers.fr,
    );
    await submit("bus-target-failing", operation(customers.en, { kind: "card-payment" }), customers.en);
    await waitFor(
      async () => ((await control.queueDepth(queues.deliveryDlq)).visible >= 3 ? true : undefined),
      "the refused deliveries in the delivery DLQ",
      30_000,
    );
    await refused.end();
  });

  after(async () => {
    await cloud?.stop();
  });

  /** Waits until every operation of the scenario settled, then accounts for each. */
  async function outcome(
    scenario: FaultName,
  ): Promise<{ accounting: Accounting; records: Map<string, NotificationRecord[]> }> {
    const { tracked, active } = runs[scenario];
    const records = new Map<string, NotificationRecord[]>();
    await waitFor(
      async () => {
        for (const [key, found] of await deadLettersByNotification(control, queues, 5))
          deadLetters.set(key, found);
        for (const item of tracked)
          records.set(item.operation.id, (await notificationRecords(api, item.operation.id)) ?? []);
        return tracked.every((item) => settled(item, records.get(item.operation.id), deadLetters))
          ? true
          : undefined;
      },
      `every operation of ${scenario} to settle`,
      OUTCOME_TIMEOUT_MS,
    );
    ledger.refresh();
    const definition = FAULT_SCENARIOS[scenario];
    const accounting = accountFor(tracked, {
      records,
      emails: ledger.byNotification,
      deadLetters: new Map(
        [...deadLetters].map(([key, found]) => [
          key,
          {
            queue: found.queue,
            expected: definition.expectsDeadLetter(found.queue, key.split(" ")[0], active, queues),
          },
        ]),
      ),
    });
    return { accounting, records };
  }

  it("ses-throttling: SES answers 429 TooManyRequestsException; notify releases each lease, and every notification is sent once when the throttling ends", async () => {
    const { accounting, records } = await outcome("ses-throttling");
    expect(accounting).to.include({ sent: 2, lost: 0, duplicated: 0 });
    for (const item of runs["ses-throttling"].tracked) {
      const [expected] = item.expected;
      expect(emailsOf(item.operation.id, expected.kind), item.operation.id).to.have.length(1);
      const [record] = records.get(item.operation.id)!;
      expect(record).to.include({ notificationKind: expected.kind, attempts: 2 });
      expect(record.status).to.be.oneOf(["sent", "delivered"]);
      const released = logOf([item.operation.id]).filter((line) => line.message?.includes("lease released"));
      expect(released, item.operation.id).to.have.length(1);
    }
  });

  it("dynamodb-unavailable: the API answers 503 with a request id and the producer's retry succeeds; notify's record comes back and is sent once", async () => {
    const { accounting } = await outcome("dynamodb-unavailable");
    const [before, during] = runs["dynamodb-unavailable"].submissions;
    expect(before.attempts.map((attempt) => attempt.status)).to.deep.equal([202]);
    expect(during.attempts[0]).to.include({ status: 503, kind: "503 UNAVAILABLE" });
    expect(during.attempts[0].requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(during.attempts[during.attempts.length - 1].status).to.equal(202);
    expect(accounting).to.include({ sent: 2, lost: 0, duplicated: 0 });
    expect(emailsOf(before.operation.id, "withdrawal")).to.have.length(1);
    expect(emailsOf(during.operation.id, "direct-debit")).to.have.length(1);
  });

  it("notify-killed-after-send: notify stopped at its timeout after SES accepted: one duplicate, no loss, the first message recorded as untracked", async () => {
    const { accounting, records } = await outcome("notify-killed-after-send");
    const [killed] = runs["notify-killed-after-send"].tracked;
    expect(echoed.some((line) => /notify\] ERROR .*Task timed out after 5\.00 seconds/.test(line))).to.equal(
      true,
    );
    const emails = emailsOf(killed.operation.id, "deposit");
    expect(emails).to.have.length(2);
    expect(accounting).to.include({ sent: 1, lost: 0, duplicated: 1 });
    expect(accounting.duplicated).to.be.at.most(
      FAULT_SCENARIOS["notify-killed-after-send"].allowedDuplicates,
    );
    await waitFor(
      async () => {
        const [record] = (await notificationRecords(api, killed.operation.id)) ?? [];
        return record?.untrackedSesMessageIds?.length ? record : undefined;
      },
      "SES feedback to record the first message as untracked",
      30_000,
    ).then((record) => {
      expect(record.sesMessageId).to.equal(emails[1].messageId);
      expect(record.untrackedSesMessageIds).to.deep.equal([emails[0].messageId]);
    });
    expect(records.get(killed.operation.id)).to.have.length(1);
  });

  it("poison-event: each record is received notifyMaxReceiveCount (2) times, then lands in the notify DLQ, whose depth alarm would fire", async () => {
    const { accounting } = await outcome("poison-event");
    expect(accounting).to.include({ deadLettered: 3, lost: 0, duplicated: 0, sent: 0 });
    for (const item of runs["poison-event"].tracked) {
      const found = deadLetters.get(notificationKey(item.operation.id, "deposit"))!;
      expect(found.queue).to.equal("bank-notif-dev-notify-dlq");
      expect(Number(found.message.attributes.ApproximateReceiveCount)).to.be.greaterThan(2);
      expect(emailsOf(item.operation.id, "deposit")).to.deep.equal([]);
    }
    // Messages this spec received are in flight for a few seconds; AWS would count them visible.
    const depth = await control.queueDepth("bank-notif-dev-notify-dlq");
    expect(
      alarmsThatWouldFire(await control.alarms(), [
        queueDepthMetric("bank-notif-dev-notify-dlq", depth.visible + depth.inFlight),
      ]),
    ).to.deep.equal(["bank-notif-dev-notify-dlq-depth"]);
  });

  it("bus-target-failing: deliveries the notify queue's policy refuses go to the delivery DLQ at once, with EventBridge's attributes; the DLQ depth and the rules' failed-invocation alarms would fire", async () => {
    const { accounting } = await outcome("bus-target-failing");
    expect(accounting).to.include({ deadLettered: 3, lost: 0, duplicated: 0, sent: 0 });
    const [transfer, payment] = runs["bus-target-failing"].tracked;
    const keys = [
      [transfer.operation.id, "transfer-in"],
      [transfer.operation.id, "large-amount"],
      [payment.operation.id, "card-payment"],
    ];
    for (const [operationId, kind] of keys) {
      const found = deadLetters.get(notificationKey(operationId, kind))!;
      expect(found.queue).to.equal("bank-notif-dev-delivery-dlq");
      expect(found.message.messageAttributes).to.include({
        ERROR_CODE: "NO_PERMISSIONS",
        RETRY_ATTEMPTS: "0",
        RULE_ARN: `arn:aws:events:eu-west-1:111122223333:rule/bank-notif-dev-operations/bank-notif-dev-${kind}`,
        TARGET_ARN: "arn:aws:sqs:eu-west-1:111122223333:bank-notif-dev-notify",
      });
      expect(found.message.messageAttributes).to.not.have.property("EXHAUSTED_RETRY_CONDITION");
    }
    const depth = await control.queueDepth("bank-notif-dev-delivery-dlq");
    const fired = alarmsThatWouldFire(await control.alarms(), [
      ...(await control.eventMetrics()),
      queueDepthMetric("bank-notif-dev-delivery-dlq", depth.visible + depth.inFlight),
    ]);
    expect(fired).to.include.members([
      "bank-notif-dev-delivery-dlq-depth",
      "bank-notif-dev-rule-transfer-in-failed-invocations",
      "bank-notif-dev-rule-large-amount-failed-invocations",
      "bank-notif-dev-rule-card-payment-failed-invocations",
    ]);
    // With the grant back, the next operation is delivered.
    const after = operation(customers.en, {
      kind: "card-payment",
      amount: { value: "9.99", currency: "GBP" },
    });
    expect((await submitOperation(api, after, Date.now())).accepted).to.equal(true);
    await waitFor(
      async () => (emailsOf(after.id, "card-payment").length === 1 ? true : undefined),
      "the e-mail after the grant came back",
      60_000,
    );
  });
});
