import { readFileSync } from "node:fs";
import { array, number, object, string, ValidationError } from "yup";
import {
  fractionDigits,
  minorDigits,
  isIsoCurrency,
  toMinorUnits,
  type Money,
} from "../../runtime/domain/money";
import {
  OPERATION_KINDS,
  OPT_OUT_CATEGORIES,
  type OperationKind,
  type OptOutCategory,
} from "../../runtime/domain/operationKinds";
import type { OperationInput } from "../../runtime/domain/operationSchema";

/**
 * What a load run sends: customers (languages, opt-outs) created before the clock starts, then
 * operations whose kinds, currencies and amounts follow weights. The default is a day of a retail
 * bank's traffic in miniature; `--mix FILE` takes the same shape as JSON.
 */
export interface CustomerProfileMix {
  locale: string;
  timeZone: string;
  weight: number;
}

export interface AmountBand {
  /** Decimal strings, inclusive. */
  min: string;
  max: string;
  /** Weight of each currency. */
  currencies: Record<string, number>;
}

export interface OperationMix {
  customers: {
    count: number;
    profiles: CustomerProfileMix[];
    /** Share of customers who opted out of `categories`. */
    optedOut: { share: number; categories: OptOutCategory[] };
  };
  /** Weight of each operation kind. */
  kinds: Partial<Record<OperationKind, number>>;
  amounts: {
    regular: AmountBand;
    /** A share of the operations with an amount, in a band meant to reach the large-amount thresholds. */
    large: AmountBand & { share: number };
  };
}

export const DEFAULT_MIX: OperationMix = {
  customers: {
    count: 40,
    profiles: [
      { locale: "fr-FR", timeZone: "Europe/Paris", weight: 1 },
      { locale: "en-GB", timeZone: "Europe/London", weight: 1 },
    ],
    optedOut: { share: 0.2, categories: ["card-activity"] },
  },
  kinds: {
    "card-payment": 35,
    deposit: 15,
    withdrawal: 15,
    "transfer-in": 10,
    "transfer-out": 10,
    "direct-debit": 10,
    "card-blocked": 5,
  },
  amounts: {
    regular: { min: "1.50", max: "900.00", currencies: { EUR: 7, GBP: 2, USD: 1 } },
    large: { share: 0.1, min: "12000.00", max: "60000.00", currencies: { EUR: 3, USD: 1 } },
  },
};

const weights = (what: string) =>
  object()
    .required(`${what} is required`)
    .test("weights", `${what} must map names to weights ≥ 0, at least one above 0`, (value) => {
      const entries = Object.values(value ?? {});
      return (
        entries.length > 0 &&
        entries.every((weight) => typeof weight === "number" && weight >= 0) &&
        entries.some((weight) => (weight as number) > 0)
      );
    });

const band = (path: string) =>
  object({
    min: string()
      .required(`${path}.min is required`)
      .matches(/^\d+(\.\d+)?$/, `${path}.min must be a decimal string such as "12.50"`),
    max: string()
      .required(`${path}.max is required`)
      .matches(/^\d+(\.\d+)?$/, `${path}.max must be a decimal string such as "900.00"`),
    currencies: weights(`${path}.currencies`).test(
      "iso-4217",
      `${path}.currencies must name ISO 4217 currencies such as EUR`,
      (value) => Object.keys(value ?? {}).every(isIsoCurrency),
    ),
  })
    .required(`${path} is required`)
    .test("ordered", `${path}.min must not exceed ${path}.max`, (value) =>
      value?.min && value.max ? Number(value.min) <= Number(value.max) : true,
    )
    .test(
      "minor-digits",
      `${path}.min and ${path}.max must have no more decimals than each of its currencies allows (JPY none, EUR 2)`,
      (value) =>
        !value?.min ||
        !value.max ||
        Object.keys(value.currencies ?? {}).every(
          (currency) =>
            !isIsoCurrency(currency) ||
            [value.min, value.max].every((amount) => fractionDigits(amount) <= minorDigits(currency)),
        ),
    );

const mixSchema = object({
  customers: object({
    count: number()
      .required("customers.count is required")
      .integer("customers.count must be an integer")
      .min(1, "customers.count must be at least 1")
      .max(10_000, "customers.count must be at most 10000"),
    profiles: array(
      object({
        locale: string().required("customers.profiles[].locale is required"),
        timeZone: string().required("customers.profiles[].timeZone is required"),
        weight: number()
          .required("customers.profiles[].weight is required")
          .min(0, "customers.profiles[].weight must be ≥ 0"),
      }),
    )
      .required("customers.profiles is required")
      .min(1, "customers.profiles needs at least one profile"),
    optedOut: object({
      share: number()
        .required("customers.optedOut.share is required")
        .min(0, "customers.optedOut.share must be between 0 and 1")
        .max(1, "customers.optedOut.share must be between 0 and 1"),
      categories: array(
        string().oneOf(
          [...OPT_OUT_CATEGORIES],
          `customers.optedOut.categories must be among ${OPT_OUT_CATEGORIES.join(", ")}`,
        ),
      ).required("customers.optedOut.categories is required"),
    }).required("customers.optedOut is required"),
  }).required("customers is required"),
  kinds: weights("kinds").test(
    "kinds",
    `kinds must name operation kinds among ${OPERATION_KINDS.join(", ")}`,
    (value) =>
      Object.keys(value ?? {}).every((kind) => (OPERATION_KINDS as readonly string[]).includes(kind)),
  ),
  amounts: object({
    regular: band("amounts.regular"),
    large: band("amounts.large").shape({
      share: number()
        .required("amounts.large.share is required")
        .min(0, "amounts.large.share must be between 0 and 1")
        .max(1, "amounts.large.share must be between 0 and 1"),
    }),
  }).required("amounts is required"),
}).noUnknown(true, (params: { unknown: string }) => `unknown field(s): ${params.unknown}`);

/** The mix in `file`, or every field-level problem in one error. */
export function readMix(file: string): OperationMix {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`--mix ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  try {
    return mixSchema.validateSync(parsed, { abortEarly: false, strict: true }) as OperationMix;
  } catch (error) {
    if (error instanceof ValidationError)
      throw new Error(`--mix ${file}:\n  ${error.errors.join("\n  ")}`, { cause: error });
    throw error;
  }
}

export type Random = () => number;

function pick<T>(entries: [T, number][], random: Random): T {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let point = random() * total;
  for (const [value, weight] of entries) {
    point -= weight;
    if (point < 0) return value;
  }
  return entries[entries.length - 1][0];
}

function amountIn(range: AmountBand, random: Random): Money {
  const currency = pick(Object.entries(range.currencies), random);
  const digits = minorDigits(currency);
  const low = Number(toMinorUnits({ value: range.min, currency }));
  const high = Number(toMinorUnits({ value: range.max, currency }));
  const minor = low + Math.floor(random() * (high - low + 1));
  const value = digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
  return { value, currency };
}

export interface LoadCustomer {
  id: string;
  email: string;
  locale: string;
  timeZone: string;
  optedOutCategories: OptOutCategory[];
}

/** IBANs valid for their country (format and checksum), as the API checks them. */
const IBANS = ["FR7630006000011234567890189", "GB82WEST12345698765432", "DE89370400440532013000"];

export function customersFor(mix: OperationMix, runId: string, random: Random): LoadCustomer[] {
  const optedOut = Math.round(mix.customers.count * mix.customers.optedOut.share);
  return Array.from({ length: mix.customers.count }, (_, index) => {
    const profile = pick(
      mix.customers.profiles.map(
        (candidate) => [candidate, candidate.weight] as [CustomerProfileMix, number],
      ),
      random,
    );
    const id = `load-${runId}-c${index}`;
    return {
      id,
      email: `${id}@example.com`,
      locale: profile.locale,
      timeZone: profile.timeZone,
      optedOutCategories: index < optedOut ? [...mix.customers.optedOut.categories] : [],
    };
  });
}

/** The body of `PUT /customers/{id}` for a load customer. */
export function customerBody(customer: LoadCustomer) {
  return {
    email: customer.email,
    locale: customer.locale,
    displayName: `Load ${customer.id.split("-").pop()}`,
    timeZone: customer.timeZone,
    preferences: { optedOutCategories: customer.optedOutCategories, minimumAmounts: {} },
  };
}

/** A generator of operations following the mix, for customers already created. */
export function operationSource(mix: OperationMix, customers: LoadCustomer[], runId: string, random: Random) {
  const kinds = Object.entries(mix.kinds) as [OperationKind, number][];
  return (index: number, now: number): { operation: OperationInput; customer: LoadCustomer } => {
    const customer = customers[Math.floor(random() * customers.length)];
    const kind = pick(kinds, random);
    const large = random() < mix.amounts.large.share;
    const amount =
      kind === "card-blocked" ? undefined : amountIn(large ? mix.amounts.large : mix.amounts.regular, random);
    const operation: OperationInput = {
      id: `load-${runId}-${index}`,
      customerId: customer.id,
      kind,
      accountIban: IBANS[index % IBANS.length],
      ...(amount ? { amount } : {}),
      occurredAt: new Date(now - 1_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ...(kind === "card-blocked" ? { description: "Card blocked after three wrong PINs" } : {}),
      ...(kind === "transfer-in" || kind === "transfer-out"
        ? { counterparty: { name: "Dupont & Fils", iban: IBANS[(index + 1) % IBANS.length] } }
        : {}),
    };
    return { operation, customer };
  };
}
