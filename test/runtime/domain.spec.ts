import { expect } from "chai";
import { compareMoney, routingAmount, toMinorUnits, minorDigits } from "../../runtime/domain/money";
import { ibanLast4, ibanProblem, maskAccount } from "../../runtime/domain/iban";
import { formatInstant, formatMoney } from "../../runtime/domain/formatting";
import { escapeHtml } from "../../runtime/domain/escapeHtml";
import { displaySafeText } from "../../runtime/domain/unicodeText";
import { createSendPacer } from "../../runtime/domain/sendPacer";
import { ambiguousJsonFields } from "../../runtime/domain/strictJson";
import { decideNotification } from "../../runtime/domain/notificationDecision";
import { buildOperationEvent } from "../../runtime/domain/operationEvent";
import { keyedHash } from "../../runtime/domain/privacy";
import { validateOperationInput } from "../../runtime/domain/operationSchema";
import { statusesBefore } from "../../runtime/domain/notificationStatus";
import { interpretSesEvent } from "../../runtime/domain/sesFeedback";
import {
  OPERATION_KINDS,
  NOTIFICATION_CATEGORY,
  OPT_OUT_CATEGORIES,
} from "../../runtime/domain/operationKinds";
import { canonicalJson } from "../../runtime/domain/canonicalJson";
import { validOperation, VALID_IBAN } from "../support/sampleData";

const KEY = "k".repeat(32);

describe("domain: money", () => {
  it("converts decimal strings to BigInt minor units per ISO 4217 digits", () => {
    expect(toMinorUnits({ value: "1234.56", currency: "EUR" })).to.equal(123456n);
    expect(toMinorUnits({ value: "1234", currency: "JPY" })).to.equal(1234n);
    expect(toMinorUnits({ value: "1.005", currency: "KWD" })).to.equal(1005n);
    expect(toMinorUnits({ value: "-0.10", currency: "EUR" })).to.equal(-10n);
    expect(minorDigits("JPY")).to.equal(0);
  });

  it("uses ISO 4217 minor units where Intl's CLDR data differs", () => {
    expect(minorDigits("HUF")).to.equal(2);
    expect(minorDigits("IQD")).to.equal(3);
    expect(() =>
      validateOperationInput(validOperation({ amount: { value: "1500.50", currency: "HUF" } })),
    ).not.to.throw();
    expect(formatMoney({ value: "1500.50", currency: "HUF" }, "hu-HU")).to.equal("1500,50\u00a0Ft");
    expect(formatMoney({ value: "1500", currency: "JPY" }, "en")).to.equal("¥1,500");
  });

  it("compares amounts exactly where floats would not", () => {
    expect(compareMoney({ value: "0.30", currency: "EUR" }, { value: "0.3", currency: "EUR" })).to.equal(0);
    expect(
      compareMoney(
        { value: "99999999999999999.99", currency: "EUR" },
        { value: "99999999999999999.98", currency: "EUR" },
      ),
    ).to.equal(1);
    expect(() => compareMoney({ value: "1", currency: "EUR" }, { value: "1", currency: "USD" })).to.throw(
      /EUR with USD/,
    );
  });

  it("gives routing a whole-major-unit JSON number clamped to EventBridge's numeric range", () => {
    expect(routingAmount({ value: "20000000.00", currency: "EUR" })).to.equal(20_000_000);
    expect(routingAmount({ value: "9999999999999.99", currency: "EUR" })).to.equal(5_000_000_000);
    expect(routingAmount({ value: "10.99", currency: "EUR" })).to.equal(10);
  });
});

describe("domain: IBAN", () => {
  it("checks the ISO 13616 mod-97 checksum, of an IBAN typed with spaces too", () => {
    expect(ibanProblem(VALID_IBAN)).to.equal(undefined);
    expect(ibanProblem("GB82 WEST 1234 5698 7654 32")).to.equal(undefined);
    expect(ibanProblem("GB82WEST12345698765433")).to.deep.equal({
      rule: "iban-checksum",
      problem: "has a wrong checksum; check for a typing error",
    });
  });

  it("knows each country's IBAN length and BBAN format, where a mod-97 checksum alone would pass", () => {
    // Each of these has valid check digits: only the registry's rules refuse them.
    expect(ibanProblem("FR133000600001123456789018")).to.deep.equal({
      rule: "iban-length",
      problem: "must be 27 characters long for FR, not 26",
    });
    expect(ibanProblem("XX57WEST12345698765432")).to.deep.equal({
      rule: "iban-country",
      problem: 'must start with the code of a country that uses IBANs, not "XX"',
    });
    expect(ibanProblem("DE47370400440532013A00")).to.deep.equal({
      rule: "iban-format",
      problem: "does not have the format of a DE IBAN (letters or digits where the other is expected)",
    });
  });

  it("shows only the last four characters", () => {
    expect(ibanLast4(VALID_IBAN)).to.equal("0189");
    expect(maskAccount("0189")).to.equal("•••• 0189");
  });
});

describe("domain: formatting", () => {
  it("formats money in French with a narrow no-break space and a comma, from the string", () => {
    expect(formatMoney({ value: "1234.56", currency: "EUR" }, "fr-FR")).to.equal("1\u202f234,56\u00a0€");
    expect(formatMoney({ value: "1234.56", currency: "EUR" }, "en-GB")).to.equal("€1,234.56");
    expect(formatMoney({ value: "12345678901234567.89", currency: "EUR" }, "en")).to.equal(
      "€12,345,678,901,234,567.89",
    );
  });

  it("shows a negative zero, which the bus accepts from producers, without its sign", () => {
    expect(formatMoney({ value: "-0.00", currency: "EUR" }, "en-GB")).to.equal("€0.00");
    expect(formatMoney({ value: "-0", currency: "EUR" }, "fr-FR")).to.equal("0,00\u00a0€");
    expect(formatMoney({ value: "-0.10", currency: "EUR" }, "en-GB")).to.equal("-€0.10");
  });

  it("shows free text without any of Unicode's 12 bidirectional controls, and unpaired surrogates as U+FFFD", () => {
    const controls = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069";
    expect([...controls].map(displaySafeText)).to.deep.equal(Array(12).fill(""));
    expect(displaySafeText("Refund \u202egnp.exe")).to.equal("Refund gnp.exe");
    expect(displaySafeText("a\ud800b\udc00")).to.equal("a\ufffdb\ufffd");
    expect(displaySafeText("שלום 😀 Zoë")).to.equal("שלום 😀 Zoë");
  });

  it("formats instants in the customer's time zone and language", () => {
    expect(formatInstant("2026-03-14T09:30:00Z", "fr-FR", "Europe/Paris")).to.match(
      /^14 mars 2026 (à )?10:30/,
    );
    expect(formatInstant("2026-03-14T09:30:00Z", "en-GB", "America/New_York")).to.match(
      /^14 March 2026 (at )?05:30/,
    );
  });

  it("escapes HTML the way Handlebars does", () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y' = \``)).to.equal(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;y&#x27; &#x3D; &#x60;",
    );
  });
});

describe("domain: the bus event", () => {
  it("carries no full IBAN, a keyed hash, the last 4 and a numeric routing copy", () => {
    const operation = validateOperationInput(
      validOperation({
        kind: "transfer-in",
        amount: { value: "20000000.00", currency: "EUR" },
        counterparty: { name: "ACME", iban: "DE89370400440532013000" },
      }),
    );
    const event = buildOperationEvent(operation, { source: "bank.core-banking", hashKey: KEY });
    const serialized = JSON.stringify(event);
    expect(serialized).not.to.include(VALID_IBAN);
    expect(serialized).not.to.include("DE89370400440532013000");
    expect(event.detailType).to.equal("transfer-in");
    expect(event.detail.account).to.deep.equal({ last4: "0189", hash: keyedHash(VALID_IBAN, KEY) });
    expect(event.detail.counterparty?.account?.last4).to.equal("3000");
    expect(event.detail.routing).to.deep.equal({ amount: 20_000_000, currency: "EUR" });
    expect(event.detail.amount).to.deep.equal({ value: "20000000.00", currency: "EUR" });
  });

  it("hashes account numbers with the key, so another key gives another hash", () => {
    expect(keyedHash(VALID_IBAN, KEY)).not.to.equal(keyedHash(VALID_IBAN, "x".repeat(32)));
  });

  it("canonicalises bodies so key order does not change the idempotency hash", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).to.equal(
      '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}',
    );
  });
});

describe("domain: the decision", () => {
  const preferences = { optedOutCategories: [], minimumAmounts: {} };
  const customer = { erased: false, preferences };
  const amount = { value: "100.00", currency: "EUR" };

  it("sends by default", () => {
    expect(
      decideNotification({ notificationKind: "deposit", amount, customer, addressSuppressed: false }),
    ).to.deep.equal({ action: "send" });
  });

  it("suppresses with a reason", () => {
    const cases: [Parameters<typeof decideNotification>[0], string][] = [
      [
        { notificationKind: "deposit", amount, customer: undefined, addressSuppressed: false },
        "unknown-customer",
      ],
      [
        {
          notificationKind: "deposit",
          amount,
          customer: { erased: true, preferences },
          addressSuppressed: false,
        },
        "customer-erased",
      ],
      [{ notificationKind: "deposit", amount, customer, addressSuppressed: true }, "address-suppressed"],
      [
        {
          notificationKind: "deposit",
          amount,
          customer: {
            erased: false,
            preferences: { optedOutCategories: ["account-activity"], minimumAmounts: {} },
          },
          addressSuppressed: false,
        },
        "opted-out",
      ],
      [
        {
          notificationKind: "card-payment",
          amount: { value: "49.99", currency: "EUR" },
          customer: {
            erased: false,
            preferences: { optedOutCategories: [], minimumAmounts: { EUR: "50.00" } },
          },
          addressSuppressed: false,
        },
        "below-threshold",
      ],
    ];
    for (const [input, reason] of cases)
      expect(decideNotification(input)).to.deep.equal({ action: "suppress", reason });
  });

  it("applies a threshold only in its own currency and at or above it sends", () => {
    const thresholds = {
      erased: false,
      preferences: { optedOutCategories: [], minimumAmounts: { EUR: "50.00" } },
    };
    expect(
      decideNotification({
        notificationKind: "deposit",
        amount: { value: "50.00", currency: "EUR" },
        customer: thresholds,
        addressSuppressed: false,
      }).action,
    ).to.equal("send");
    expect(
      decideNotification({
        notificationKind: "deposit",
        amount: { value: "1.00", currency: "USD" },
        customer: thresholds,
        addressSuppressed: false,
      }).action,
    ).to.equal("send");
  });

  it("never lets an opt-out or a threshold silence a security alert", () => {
    const everythingOff = {
      erased: false,
      preferences: { optedOutCategories: [...OPT_OUT_CATEGORIES], minimumAmounts: { EUR: "1000000.00" } },
    };
    expect(
      decideNotification({
        notificationKind: "card-blocked",
        customer: everythingOff,
        addressSuppressed: false,
      }),
    ).to.deep.equal({ action: "send" });
    expect(NOTIFICATION_CATEGORY["card-blocked"]).to.equal("security");
  });

  it("puts every operation kind in a category", () => {
    for (const kind of OPERATION_KINDS) expect(NOTIFICATION_CATEGORY[kind]).to.be.a("string");
  });
});

describe("domain: statuses and SES feedback", () => {
  it("only moves forward", () => {
    expect(statusesBefore("delivered")).to.deep.equal(["sent"]);
    expect(statusesBefore("complained")).to.have.members([
      "sent",
      "delivered",
      "rejected",
      "rendering-failed",
    ]);
    expect(statusesBefore("sent")).to.deep.equal([]);
  });

  it("reads permanent bounces and complaints as suppressions, transient bounces as nothing", () => {
    const mail = { messageId: "m-1", destination: ["a@example.com"] };
    expect(
      interpretSesEvent({
        detail: {
          eventType: "Bounce",
          mail,
          bounce: { bounceType: "Transient", bouncedRecipients: [{ emailAddress: "a@example.com" }] },
        },
      }),
    ).to.equal(undefined);
    expect(
      interpretSesEvent({
        detail: {
          eventType: "Bounce",
          mail,
          bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: "a@example.com" }] },
        },
      }),
    ).to.deep.include({
      status: "bounced",
      suppressAddresses: ["a@example.com"],
      suppressionReason: "permanent-bounce",
    });
    expect(
      interpretSesEvent({
        detail: {
          eventType: "Complaint",
          mail,
          complaint: { complainedRecipients: [{ emailAddress: "a@example.com" }] },
        },
      }),
    ).to.deep.include({ status: "complained", suppressionReason: "complaint" });
    expect(
      interpretSesEvent({
        detail: { eventType: "Rendering Failure", mail, failure: { errorMessage: "missing" } },
      }),
    ).to.deep.include({ status: "rendering-failed" });
    expect(interpretSesEvent({ detail: { eventType: "Open", mail } })).to.equal(undefined);
  });
});

describe("domain: strict JSON", () => {
  it("names a repeated member by its path, inside arrays and under an escaped spelling", () => {
    expect(ambiguousJsonFields('{"a":[{"b":1,"\\u0062":2}],"c":{"d":{}}}')).to.deep.equal([
      {
        field: "a[0].b",
        rule: "duplicate",
        message: "a[0].b is given more than once in the same object; send each member once",
      },
    ]);
    expect(ambiguousJsonFields('{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]}')).to.deep.equal([]);
  });

  it("names strings and member names that hold an unpaired surrogate, unless told to let them through", () => {
    const text = '{"a":["\\ud83d\\ude00","\\ud83d"],"\\udc00":1}';
    expect(ambiguousJsonFields(text).map(({ field, rule }) => `${field} ${rule}`)).to.deep.equal([
      "a[1] unicode",
      "\udc00 unicode",
    ]);
    expect(ambiguousJsonFields(text, { allowUnpairedSurrogates: true })).to.deep.equal([]);
  });
});

describe("domain: send pacing", () => {
  it("lets the first send go at once, then spaces each from the one before by the interval", async () => {
    let now = 1_000;
    const sleeps: number[] = [];
    const pacer = createSendPacer({
      intervalMs: 200,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    await pacer.wait();
    await pacer.wait();
    now += 50;
    await pacer.wait();
    now += 500;
    await pacer.wait();
    expect(sleeps).to.deep.equal([200, 150]);
  });
});
