import { expect } from "chai";
import { matchesPattern } from "../../local/eventbridge/pattern";
import { buildOperationEvent } from "../../runtime/domain/operationEvent";
import { validateOperationInput } from "../../runtime/domain/operationSchema";
import {
  LARGE_AMOUNT_NOTIFICATION,
  OPERATION_KINDS,
  isSecurityCritical,
  type NotificationKind,
  type OperationKind,
} from "../../runtime/domain/operationKinds";
import { MOCK_HASH_KEY } from "../../local/pulumi/pulumiMocks";
import { named, ofType, stackRun, type StackRun } from "../support/pulumiStacks";

const OCCURRED_AT = "2026-03-14T09:30:00Z";

/** The event EventBridge delivers for what the runtime puts on the bus (PutEvents entry → event). */
function busEvent(source: string, kind: OperationKind, amount?: { value: string; currency: string }) {
  const operation = validateOperationInput(
    {
      id: `op-${kind}-${amount?.value ?? "none"}-${amount?.currency ?? ""}`.replace(/[^A-Za-z0-9_-]/g, "-"),
      customerId: "cust-1",
      kind,
      accountIban: "FR7630006000011234567890189",
      ...(amount ? { amount } : {}),
      occurredAt: OCCURRED_AT,
    },
    { now: Date.parse(OCCURRED_AT) },
  );
  const entry = buildOperationEvent(operation, { source, hashKey: MOCK_HASH_KEY });
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": entry.detailType,
    source: entry.source,
    account: "444455556666",
    time: OCCURRED_AT,
    region: "eu-west-3",
    resources: [],
    detail: JSON.parse(JSON.stringify(entry.detail)),
  };
}

function sampleAmount(kind: OperationKind, value: string, currency = "EUR") {
  return isSecurityCritical(kind) ? undefined : { value, currency };
}

/** The notification kinds whose rule, among the stack's bus rules, matches the event. */
function matchingKinds(run: StackRun, event: object): NotificationKind[] {
  return ofType(run, "aws:cloudwatch/eventRule:EventRule")
    .filter((rule) => rule.inputs.eventBusName !== "default")
    .filter((rule) => matchesPattern(JSON.parse(String(rule.inputs.eventPattern)), event))
    .map((rule) => String(rule.name).replace(/^notifications-rule-/, "") as NotificationKind)
    .sort();
}

describe("infra: routing proof (every rule's pattern against the events the runtime builds)", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
  });

  it("routes each operation kind to its own rule, and to no other, below the large-amount thresholds", () => {
    for (const [run, source] of [
      [dev, "bank.core-banking.dev"],
      [prod, "bank.core-banking"],
    ] as const) {
      for (const kind of OPERATION_KINDS) {
        expect(
          matchingKinds(run, busEvent(source, kind, sampleAmount(kind, "42.50"))),
          `${run.stack} ${kind}`,
        ).to.deep.equal([kind]);
      }
    }
  });

  it("adds the large-amount alert at or above the threshold of the event's currency", () => {
    expect(
      matchingKinds(prod, busEvent("bank.core-banking", "deposit", { value: "10000.00", currency: "EUR" })),
    ).to.deep.equal(["deposit", LARGE_AMOUNT_NOTIFICATION]);
    expect(
      matchingKinds(prod, busEvent("bank.core-banking", "deposit", { value: "9999.99", currency: "EUR" })),
    ).to.deep.equal(["deposit"]);
    expect(
      matchingKinds(prod, busEvent("bank.core-banking", "card-payment", { value: "8000", currency: "GBP" })),
    ).to.deep.equal(["card-payment", LARGE_AMOUNT_NOTIFICATION]);
    expect(
      matchingKinds(dev, busEvent("bank.core-banking.dev", "withdrawal", { value: "1000", currency: "USD" })),
    ).to.deep.equal([LARGE_AMOUNT_NOTIFICATION, "withdrawal"].sort() as NotificationKind[]);
    expect(
      matchingKinds(dev, busEvent("bank.core-banking.dev", "withdrawal", { value: "5000", currency: "GBP" })),
    ).to.deep.equal(["withdrawal"], "no GBP threshold in dev");
  });

  it("catches a 20,000,000.00 EUR transfer with the large-amount rule", () => {
    for (const kind of ["transfer-out", "transfer-in"] as const) {
      const event = busEvent("bank.core-banking", kind, { value: "20000000.00", currency: "EUR" });
      expect(event.detail.routing).to.deep.equal({ amount: 20_000_000, currency: "EUR" });
      const largeAmountRule = named(
        prod,
        "aws:cloudwatch/eventRule:EventRule",
        "notifications-rule-large-amount",
      );
      expect(matchesPattern(JSON.parse(String(largeAmountRule.inputs.eventPattern)), event)).to.equal(true);
      expect(matchingKinds(prod, event)).to.deep.equal(
        [kind, LARGE_AMOUNT_NOTIFICATION].sort() as NotificationKind[],
      );
    }
  });

  it("matches nothing from another source or with an unknown kind", () => {
    expect(
      matchingKinds(
        prod,
        busEvent("bank.core-banking.dev", "deposit", { value: "20000000", currency: "EUR" }),
      ),
    ).to.deep.equal([]);
    expect(
      matchingKinds(dev, busEvent("bank.core-banking", "deposit", { value: "5", currency: "EUR" })),
    ).to.deep.equal([]);
    const unknownKind = {
      ...busEvent("bank.core-banking", "deposit", { value: "20000000", currency: "EUR" }),
      "detail-type": "loan",
    };
    expect(matchingKinds(prod, unknownKind)).to.deep.equal([]);
  });

  it("lets the SES feedback rule match this configuration set's events only", () => {
    const pattern = JSON.parse(
      String(
        named(prod, "aws:cloudwatch/eventRule:EventRule", "notifications-rule-ses-feedback").inputs
          .eventPattern,
      ),
    );
    const sesEvent = (eventType: string, configurationSet: string) => ({
      version: "0",
      id: "3d8f6c1e-0000-4000-8000-000000000000",
      "detail-type": "Email Bounced",
      source: "aws.ses",
      account: "444455556666",
      time: OCCURRED_AT,
      region: "eu-west-3",
      resources: [],
      detail: {
        eventType,
        mail: {
          messageId: "m-1",
          tags: { "ses:configuration-set": [configurationSet], "operation-id": ["op-1"] },
        },
        bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: "x@example.com" }] },
      },
    });
    for (const eventType of ["Delivery", "Bounce", "Complaint", "Reject", "Rendering Failure"]) {
      expect(
        matchesPattern(pattern, sesEvent(eventType, "bank-notif-prod-notifications")),
        eventType,
      ).to.equal(true);
    }
    expect(matchesPattern(pattern, sesEvent("Open", "bank-notif-prod-notifications"))).to.equal(false);
    expect(matchesPattern(pattern, sesEvent("Bounce", "another-team-configuration-set"))).to.equal(false);
  });
});
