import { expect } from "chai";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createCustomersApiHandler } from "../../runtime/handlers/customersApi";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import { apiEvent, BAD_CHECKSUM_IBAN, validCustomer, validOperation } from "../support/sampleData";

type Case = [name: string, body: unknown, field: string];

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
];

describe("bad input changes nothing", () => {
  let fixture: RuntimeFixture;
  let submitOperation: ReturnType<typeof createOperationsApiHandler>;
  let customersApi: ReturnType<typeof createCustomersApiHandler>;
  let eventsBefore: number;

  before(async () => {
    fixture = await createRuntimeFixture();
    submitOperation = createOperationsApiHandler(fixture.options());
    customersApi = createCustomersApiHandler(fixture.options());
    eventsBefore = fixture.services.events.length;
  });

  for (const [name, body, field] of OPERATIONS) {
    it(`rejects an operation with ${name}, naming ${field}`, async () => {
      const response = await submitOperation(apiEvent("POST", "/operations", { body }));
      expect(response.statusCode, response.body).to.equal(400);
      const { error } = JSON.parse(response.body);
      expect(error.code).to.be.oneOf(["VALIDATION_FAILED", "INVALID_JSON"]);
      if (error.code === "VALIDATION_FAILED") {
        const named = error.fields.find((f: { field: string }) => f.field === field);
        expect(named, JSON.stringify(error.fields)).to.not.equal(undefined);
        expect(named.message).to.be.a("string").and.not.equal("");
        expect(named.rule).to.be.a("string");
      } else {
        expect(field).to.equal("(body)");
      }
    });
  }

  for (const [name, body, field] of CUSTOMERS) {
    it(`rejects a customer with ${name}, naming ${field}`, async () => {
      const response = await customersApi(
        apiEvent("PUT", "/customers/{id}", { id: "bad-input-customer", body }),
      );
      expect(response.statusCode, response.body).to.equal(400);
      const { error } = JSON.parse(response.body);
      expect(error.code).to.equal("VALIDATION_FAILED");
      expect(error.fields.map((f: { field: string }) => f.field)).to.include(field);
    });
  }

  it("rejects an empty PATCH and an unknown PATCH field", async () => {
    await customersApi(apiEvent("PUT", "/customers/{id}", { id: "patched", body: validCustomer() }));
    for (const [body, field] of [
      [{}, "(body)"],
      [{ nickname: "x" }, "nickname"],
    ] as const) {
      const response = await customersApi(apiEvent("PATCH", "/customers/{id}", { id: "patched", body }));
      expect(response.statusCode).to.equal(400);
      expect(JSON.parse(response.body).error.fields.map((f: { field: string }) => f.field)).to.include(field);
    }
  });

  it("reports every bad field of one request at once", async () => {
    const response = await submitOperation(
      apiEvent("POST", "/operations", {
        body: validOperation({ kind: "refund", accountIban: BAD_CHECKSUM_IBAN, extra: 1 }),
      }),
    );
    const fields = JSON.parse(response.body).error.fields.map((f: { field: string }) => f.field);
    expect(fields).to.include.members(["kind", "accountIban", "extra"]);
  });

  it("left no record and no event behind", async () => {
    const scan = await new DynamoDBClient({}).send(new ScanCommand({ TableName: fixture.tableName }));
    const keys = (scan.Items ?? []).map((item) => item.pk.S);
    expect(keys).to.deep.equal(["CUSTOMER#patched"]);
    expect(fixture.services.events.length).to.equal(eventsBefore);
  });
});
