import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { validateCustomerProfile } from "../../../runtime/domain/customerSchema";
import { validateOperationInput } from "../../../runtime/domain/operationSchema";
import { expectedNotifications } from "../../../tools/load/expectations";
import {
  customerBody,
  customersFor,
  DEFAULT_MIX,
  operationSource,
  readMix,
  type LoadCustomer,
} from "../../../tools/load/operationMix";

/** A repeatable stand-in for Math.random: a linear congruential sequence in [0, 1). */
function seeded(seed = 42) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("tools: npm run load's mix", () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), "load-mix-"));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const mixFile = (content: unknown) => {
    const file = path.join(folder, `mix-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it("creates customers the API accepts, in both languages, a fifth of them opted out of card activity", () => {
    const customers = customersFor(DEFAULT_MIX, "t1", seeded());
    expect(customers).to.have.length(40);
    expect(new Set(customers.map((customer) => customer.locale))).to.deep.equal(new Set(["fr-FR", "en-GB"]));
    expect(
      customers.filter((customer) => customer.optedOutCategories.includes("card-activity")),
    ).to.have.length(8);
    for (const customer of customers)
      expect(() => validateCustomerProfile(customerBody(customer))).to.not.throw();
  });

  it("makes operations the API accepts, of every kind, some of them large", () => {
    const random = seeded(7);
    const customers = customersFor(DEFAULT_MIX, "t2", random);
    const next = operationSource(DEFAULT_MIX, customers, "t2", random);
    const now = Date.parse("2026-01-15T09:30:00Z");
    const operations = Array.from({ length: 400 }, (_, index) => next(index, now).operation);
    for (const operation of operations)
      expect(() => validateOperationInput(operation, { now })).to.not.throw();
    expect(new Set(operations.map((operation) => operation.kind)).size).to.equal(7);
    expect(operations.filter((operation) => Number(operation.amount?.value) >= 12_000).length).to.be.within(
      20,
      60,
    );
    expect(new Set(operations.map((operation) => operation.id)).size).to.equal(400);
  });

  it("reads a mix file with every field-level problem in one error", () => {
    const file = mixFile({
      ...DEFAULT_MIX,
      customers: { ...DEFAULT_MIX.customers, count: 0 },
      kinds: { deposit: 1, refund: 2 },
      amounts: { ...DEFAULT_MIX.amounts, regular: { min: "900.00", max: "1.00", currencies: { EUR: 1 } } },
      extra: true,
    });
    expect(() => readMix(file))
      .to.throw(Error)
      .with.property("message")
      .that.includes("customers.count must be at least 1")
      .and.includes("kinds must name operation kinds among deposit")
      .and.includes("amounts.regular.min must not exceed amounts.regular.max")
      .and.includes("unknown field(s): extra");
  });

  it("refuses a band whose amounts have more decimals than a currency allows", () => {
    const file = mixFile({
      ...DEFAULT_MIX,
      amounts: { ...DEFAULT_MIX.amounts, regular: { min: "1.50", max: "90.00", currencies: { JPY: 1 } } },
    });
    expect(() => readMix(file)).to.throw(
      /amounts\.regular\.min and amounts\.regular\.max must have no more decimals/,
    );
  });

  it("reads the default mix back from its JSON", () => {
    expect(readMix(mixFile(DEFAULT_MIX))).to.deep.equal(DEFAULT_MIX);
  });
});

describe("tools: npm run load's expected notifications", () => {
  const customer = (optedOutCategories: LoadCustomer["optedOutCategories"] = []): LoadCustomer => ({
    id: "c-1",
    email: "c-1@example.com",
    locale: "fr-FR",
    timeZone: "Europe/Paris",
    optedOutCategories,
  });
  const operation = (kind: "deposit" | "card-payment" | "card-blocked", value?: string) => ({
    id: "op-1",
    customerId: "c-1",
    kind,
    accountIban: "FR7630006000011234567890189",
    ...(value ? { amount: { value, currency: "EUR" } } : {}),
    occurredAt: "2026-01-15T09:30:00Z",
  });

  it("adds a large-amount alert from the currency's threshold up, not below it", () => {
    expect(expectedNotifications(operation("deposit", "1000.00"), customer(), { EUR: 1000 })).to.deep.equal([
      { kind: "deposit", outcome: "send" },
      { kind: "large-amount", outcome: "send" },
    ]);
    expect(expectedNotifications(operation("deposit", "999.99"), customer(), { EUR: 1000 })).to.deep.equal([
      { kind: "deposit", outcome: "send" },
    ]);
    expect(expectedNotifications(operation("deposit", "5000.00"), customer(), { USD: 1000 })).to.have.length(
      1,
    );
  });

  it("expects an opted-out category suppressed, and a blocked card sent whatever the opt-outs", () => {
    const optedOut = customer(["card-activity", "account-activity"]);
    expect(expectedNotifications(operation("card-payment", "10.00"), optedOut, {})).to.deep.equal([
      { kind: "card-payment", outcome: "suppress" },
    ]);
    expect(expectedNotifications(operation("card-blocked"), optedOut, {})).to.deep.equal([
      { kind: "card-blocked", outcome: "send" },
    ]);
  });
});
