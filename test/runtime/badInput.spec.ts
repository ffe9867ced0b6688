import { expect } from "chai";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createCustomersApiHandler } from "../../runtime/handlers/customersApi";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import type { FieldError } from "../../runtime/domain/errors";
import type { ApiResult } from "../../runtime/handlers/http";
import {
  apiEvent,
  BAD_CHECKSUM_IBAN,
  OTHER_VALID_IBAN,
  uniqueId,
  validCustomer,
  validOperation,
  VALID_IBAN,
} from "../support/sampleData";

/** A bad body, the field its error must name, and the rule it must name when the case is about one. */
type Case = [name: string, body: unknown, field: string, rule?: string];

/**
 * The body as JSON text with one more member named `name` at the end of the object at `objectPath`,
 * which already has a member of that name. `nameAsWritten` is how the repeated name is spelled in the
 * text, escapes included.
 */
function withRepeatedMember(
  body: Record<string, unknown>,
  objectPath: string[],
  nameAsWritten: string,
  value: unknown,
): string {
  const copy = structuredClone(body);
  const target = objectPath.reduce((object, key) => object[key] as Record<string, unknown>, copy);
  target["\u0000repeated"] = value;
  return JSON.stringify(copy).replace('"\\u0000repeated"', `"${nameAsWritten}"`);
}

/** Unicode's Bidi_Control characters: each reorders the text displayed around it. */
const BIDI_CONTROLS = [
  "\u061c",
  "\u200e",
  "\u200f",
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
];
const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

const OPERATIONS: Case[] = [
  ["a body that is not JSON", "{not json", "(body)"],
  ["a JSON array", [], "(body)"],
  ["a missing id", validOperation({ id: undefined }), "id"],
  ["an id with spaces", validOperation({ id: "op 1" }), "id"],
  ["an id over 64 characters", validOperation({ id: "a".repeat(65) }), "id"],
  ["a numeric id", validOperation({ id: 42 }), "id"],
  ["a missing customerId", validOperation({ customerId: undefined }), "customerId"],
  ["an unknown kind", validOperation({ kind: "refund" }), "kind"],
  ["an unknown top-level field", validOperation({ channel: "web" }), "channel"],
  [
    "an unknown field inside amount",
    validOperation({ amount: { value: "1.00", currency: "EUR", rate: 1 } }),
    "amount.rate",
  ],
  [
    "an amount as a JSON number",
    validOperation({ amount: { value: 12.5, currency: "EUR" } }),
    "amount.value",
  ],
  ["a negative amount", validOperation({ amount: { value: "-5.00", currency: "EUR" } }), "amount.value"],
  ["a zero amount", validOperation({ amount: { value: "0.00", currency: "EUR" } }), "amount.value"],
  ["three decimals in EUR", validOperation({ amount: { value: "1.001", currency: "EUR" } }), "amount.value"],
  ["decimals in JPY", validOperation({ amount: { value: "10.5", currency: "JPY" } }), "amount.value"],
  [
    "an exponent in the amount",
    validOperation({ amount: { value: "1e3", currency: "EUR" } }),
    "amount.value",
  ],
  [
    "more than 18 integer digits",
    validOperation({ amount: { value: "1234567890123456789", currency: "EUR" } }),
    "amount.value",
  ],
  [
    "a four-letter currency",
    validOperation({ amount: { value: "1.00", currency: "EURO" } }),
    "amount.currency",
  ],
  [
    "a lower-case currency",
    validOperation({ amount: { value: "1.00", currency: "eur" } }),
    "amount.currency",
  ],
  [
    "a currency ISO 4217 does not define",
    validOperation({ amount: { value: "1.00", currency: "ABC" } }),
    "amount.currency",
  ],
  ["a deposit without amount", validOperation({ amount: undefined }), "amount"],
  [
    "a bad balance currency",
    validOperation({ balanceAfter: { value: "1.00", currency: "E" } }),
    "balanceAfter.currency",
  ],
  ["an IBAN with a wrong checksum", validOperation({ accountIban: BAD_CHECKSUM_IBAN }), "accountIban"],
  ["an IBAN of the wrong shape", validOperation({ accountIban: "12345" }), "accountIban"],
  ["a missing IBAN", validOperation({ accountIban: undefined }), "accountIban"],
  ["a date in words", validOperation({ occurredAt: "yesterday" }), "occurredAt"],
  ["a date without time zone", validOperation({ occurredAt: "2026-03-14T09:30:00" }), "occurredAt"],
  ["a date that does not exist", validOperation({ occurredAt: "2026-02-30T10:00:00Z" }), "occurredAt"],
  ["a date far in the future", validOperation({ occurredAt: "2031-01-01T00:00:00Z" }), "occurredAt"],
  ["a description over 140 characters", validOperation({ description: "x".repeat(141) }), "description"],
  ["an empty description", validOperation({ description: "" }), "description"],
  [
    "a control character in the description",
    validOperation({ description: "ring\u0007bell" }),
    "description",
  ],
  ["a line break in the description", validOperation({ description: "two\nlines" }), "description"],
  ["HTML in the description", validOperation({ description: "<b>bonus</b>" }), "description"],
  [
    "a script in the description",
    validOperation({ description: "<script>alert(1)</script>" }),
    "description",
  ],
  [
    "a script in the counterparty name",
    validOperation({ counterparty: { name: "<img src=x onerror=alert(1)>" } }),
    "counterparty.name",
  ],
  [
    "a counterparty name over 70 characters",
    validOperation({ counterparty: { name: "n".repeat(71) } }),
    "counterparty.name",
  ],
  [
    "a counterparty IBAN with a wrong checksum",
    validOperation({ counterparty: { iban: BAD_CHECKSUM_IBAN } }),
    "counterparty.iban",
  ],
  // Each of these IBANs has valid mod-97 check digits; only the IBAN registry's rules refuse them.
  [
    "a French IBAN one character short",
    validOperation({ accountIban: "FR133000600001123456789018" }),
    "accountIban",
    "iban-length",
  ],
  [
    "an IBAN of a country that has none (XX)",
    validOperation({ accountIban: "XX57WEST12345698765432" }),
    "accountIban",
    "iban-country",
  ],
  [
    "a letter in a German BBAN",
    validOperation({ counterparty: { iban: "DE47370400440532013A00" } }),
    "counterparty.iban",
    "iban-format",
  ],
  [
    "a second customerId, which JSON.parse would keep instead of the first",
    withRepeatedMember(validOperation(), [], "customerId", "someone-else"),
    "customerId",
    "duplicate",
  ],
  [
    "a second amount.value",
    withRepeatedMember(validOperation(), ["amount"], "value", "9999.99"),
    "amount.value",
    "duplicate",
  ],
  [
    "a second counterparty.iban written with an escape",
    withRepeatedMember(
      validOperation({ counterparty: { iban: OTHER_VALID_IBAN } }),
      ["counterparty"],
      "\\u0069ban",
      VALID_IBAN,
    ),
    "counterparty.iban",
    "duplicate",
  ],
  ...BIDI_CONTROLS.map((char): Case => [
    `the bidirectional control ${codePoint(char)} in the description`,
    validOperation({ description: `Refund ${char}gnp.exe` }),
    "description",
    "bidi-control",
  ]),
  [
    "a right-to-left override in the counterparty name",
    validOperation({ counterparty: { name: "ACME \u202eLTD" } }),
    "counterparty.name",
    "bidi-control",
  ],
  [
    "an unpaired high surrogate in the description",
    validOperation({ description: "Salary \ud800" }),
    "description",
    "unicode",
  ],
  [
    "an unpaired low surrogate in the counterparty name",
    validOperation({ counterparty: { name: "\udc00ACME" } }),
    "counterparty.name",
    "unicode",
  ],
  [
    "surrogates in the wrong order in the description",
    validOperation({ description: "\ude00\ud83d" }),
    "description",
    "unicode",
  ],
  ["an unpaired surrogate in a member name", validOperation({ "note\ud800": "x" }), "note\ud800", "unicode"],
  ...["-0.00", "-0", "-0.0"].map((value): Case => [
    `a negative zero balance "${value}"`,
    validOperation({ balanceAfter: { value, currency: "EUR" } }),
    "balanceAfter.value",
    "negative-zero",
  ]),
];

const CUSTOMERS: Case[] = [
  ["a missing email", validCustomer({ email: undefined }), "email"],
  ["an email without @", validCustomer({ email: "camille.example.com" }), "email"],
  ["an email with a control character", validCustomer({ email: "cam\u0000ille@example.com" }), "email"],
  ["an invalid locale", validCustomer({ locale: "not a locale!" }), "locale"],
  ["an unknown time zone", validCustomer({ timeZone: "Mars/Olympus_Mons" }), "timeZone"],
  ["a display name over 100 characters", validCustomer({ displayName: "d".repeat(101) }), "displayName"],
  ["a script in the display name", validCustomer({ displayName: "<script>x</script>" }), "displayName"],
  ["an id in the body", validCustomer({ id: "other" }), "id"],
  [
    "an unknown preference",
    validCustomer({ preferences: { optedOutCategories: [], sms: true } }),
    "preferences.sms",
  ],
  [
    "opting out of security alerts",
    validCustomer({ preferences: { optedOutCategories: ["security"] } }),
    "preferences.optedOutCategories[0]",
  ],
  [
    "an unknown category",
    validCustomer({ preferences: { optedOutCategories: ["marketing"] } }),
    "preferences.optedOutCategories[0]",
  ],
  [
    "a category listed twice",
    validCustomer({ preferences: { optedOutCategories: ["card-activity", "card-activity"] } }),
    "preferences.optedOutCategories",
  ],
  [
    "a threshold in an unknown currency",
    validCustomer({ preferences: { minimumAmounts: { ABC: "1.00" } } }),
    "preferences.minimumAmounts.ABC",
  ],
  [
    "a negative threshold",
    validCustomer({ preferences: { minimumAmounts: { EUR: "-1.00" } } }),
    "preferences.minimumAmounts.EUR",
  ],
  [
    "a threshold as a number",
    validCustomer({ preferences: { minimumAmounts: { EUR: 50 } } }),
    "preferences.minimumAmounts.EUR",
  ],
  [
    'a second email written "\\u0065mail", which JSON.parse would keep instead of the first',
    withRepeatedMember(validCustomer(), [], "\\u0065mail", "attacker@example.com"),
    "email",
    "duplicate",
  ],
  [
    "a threshold given twice",
    withRepeatedMember(
      validCustomer({ preferences: { minimumAmounts: { EUR: "50.00" } } }),
      ["preferences", "minimumAmounts"],
      "EUR",
      "0.00",
    ),
    "preferences.minimumAmounts.EUR",
    "duplicate",
  ],
  [
    "a left-to-right isolate in the display name",
    validCustomer({ displayName: "Camille \u2066Martin" }),
    "displayName",
    "bidi-control",
  ],
  [
    "an unpaired surrogate in the display name",
    validCustomer({ displayName: "Camille \udbff" }),
    "displayName",
    "unicode",
  ],
];

describe("bad input changes nothing", () => {
  let fixture: RuntimeFixture;
  let submitOperation: ReturnType<typeof createOperationsApiHandler>;
  let customersApi: ReturnType<typeof createCustomersApiHandler>;

  before(async () => {
    fixture = await createRuntimeFixture();
    submitOperation = createOperationsApiHandler(fixture.options());
    customersApi = createCustomersApiHandler(fixture.options());
  });

  /** Every item of this file's table, and the number of events on the bus. */
  async function state() {
    const scan = await new DynamoDBClient({}).send(new ScanCommand({ TableName: fixture.tableName }));
    return { items: scan.Items ?? [], events: fixture.services.events.length };
  }

  /** Runs a request that must be refused, and checks that it left no record and no event behind. */
  async function refused(request: () => Promise<ApiResult>, status = 400) {
    const before = await state();
    const response = await request();
    expect(response.statusCode, response.body.slice(0, 2000)).to.equal(status);
    expect(await state(), "the table and the bus are unchanged").to.deep.equal(before);
    return { response, error: JSON.parse(response.body).error };
  }

  function expectField(fields: FieldError[], field: string, rule?: string) {
    const named = fields.find((f) => f.field === field && (rule === undefined || f.rule === rule));
    expect(named, JSON.stringify(fields)).to.not.equal(undefined);
    expect(named!.message).to.be.a("string").and.not.equal("");
    expect(named!.rule).to.be.a("string");
  }

  for (const [name, body, field, rule] of OPERATIONS) {
    it(`rejects an operation with ${name}, naming ${field}`, async () => {
      const { error } = await refused(() => submitOperation(apiEvent("POST", "/operations", { body })));
      expect(error.code).to.be.oneOf(["VALIDATION_FAILED", "INVALID_JSON"]);
      if (error.code === "VALIDATION_FAILED") expectField(error.fields, field, rule);
      else expect(field).to.equal("(body)");
    });
  }

  for (const [name, body, field, rule] of CUSTOMERS) {
    it(`rejects a customer with ${name}, naming ${field}`, async () => {
      const { error } = await refused(() =>
        customersApi(apiEvent("PUT", "/customers/{id}", { id: uniqueId("bad-input"), body })),
      );
      expect(error.code).to.equal("VALIDATION_FAILED");
      expectField(error.fields, field, rule);
    });
  }

  it("rejects an empty PATCH and an unknown PATCH field, and the customer stays as it was", async () => {
    const id = uniqueId("patched");
    await customersApi(apiEvent("PUT", "/customers/{id}", { id, body: validCustomer() }));
    for (const [body, field] of [
      [{}, "(body)"],
      [{ nickname: "x" }, "nickname"],
    ] as const) {
      const { error } = await refused(() => customersApi(apiEvent("PATCH", "/customers/{id}", { id, body })));
      expectField(error.fields, field);
    }
  });

  it("reports every bad field of one request at once", async () => {
    const { error } = await refused(() =>
      submitOperation(
        apiEvent("POST", "/operations", {
          body: validOperation({ kind: "refund", accountIban: BAD_CHECKSUM_IBAN, extra: 1 }),
        }),
      ),
    );
    expect(error.fields.map((f: FieldError) => f.field)).to.include.members(["kind", "accountIban", "extra"]);
  });

  describe("huge bodies", () => {
    const unknownName = (index: number) => `k${String(index).padStart(6, "0")}`;

    /** `{"k000000":0,"k000001":0,...}` with `count` members, then the valid operation's fields. */
    function manyUnknownFields(count: number, extra: Record<string, unknown> = {}): string {
      const unknown = Array.from({ length: count }, (_, index) => `"${unknownName(index)}":0`).join(",");
      return `{${unknown},${JSON.stringify(validOperation(extra)).slice(1)}`;
    }

    it("answers a 1 MB body of 87,000 unknown fields with a small 413, plain or base64-encoded", async () => {
      const body = manyUnknownFields(87_000);
      expect(Buffer.byteLength(body)).to.be.above(1_000_000);
      for (const event of [
        apiEvent("POST", "/operations", { body }),
        {
          ...apiEvent("POST", "/operations"),
          body: Buffer.from(body).toString("base64"),
          isBase64Encoded: true,
        },
      ]) {
        const { response, error } = await refused(() => submitOperation(event), 413);
        expect(response.body.length).to.be.below(1000);
        expect(error.code).to.equal("PAYLOAD_TOO_LARGE");
        expect(error.fields).to.deep.equal([
          { field: "(body)", rule: "max-size", message: "the body must be at most 65536 bytes" },
        ]);
      }
      const { error } = await refused(
        () => customersApi(apiEvent("PUT", "/customers/{id}", { id: uniqueId("huge"), body })),
        413,
      );
      expect(error.code).to.equal("PAYLOAD_TOO_LARGE");
    });

    it("lists 20 field errors of a body just under 64 KiB with 5,000 unknown fields, the last one counting the others", async () => {
      const body = manyUnknownFields(5000);
      expect(Buffer.byteLength(body)).to.be.within(60_000, 65_536);
      const { response, error } = await refused(() =>
        submitOperation(apiEvent("POST", "/operations", { body })),
      );
      expect(response.body.length).to.be.below(10_000);
      expect(error.fields).to.have.length(20);
      expect(error.fields.slice(0, 19).map((f: FieldError) => f.field)).to.deep.equal(
        Array.from({ length: 19 }, (_, index) => unknownName(index)),
      );
      expect(error.fields[19]).to.include({ field: "(body)", rule: "unknown" });
      expect(error.fields[19].message).to.include("4981 more unknown fields");
      expect(error).to.not.have.property("fieldsOmitted");
    });

    it("counts the field errors it does not list", async () => {
      const body = manyUnknownFields(5000, { kind: "refund", accountIban: BAD_CHECKSUM_IBAN });
      const { error } = await refused(() => submitOperation(apiEvent("POST", "/operations", { body })));
      expect(error.fields).to.have.length(20);
      expect(error.fieldsOmitted).to.equal(2);
      expect(error.message).to.include("and 2 more field errors not listed");
    });
  });
});
