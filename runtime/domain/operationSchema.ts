import { string, type AnyObject, type Flags, type ObjectSchema } from "yup";
import { OPERATION_KINDS, isOperationKind, isSecurityCritical, type OperationKind } from "./operationKinds";
import { ibanProblem } from "./iban";
import { fractionDigits, isDecimalString, isIsoCurrency, minorDigits, type Money } from "./money";
import { parseIsoInstant } from "./time";
import { closedObject, freeText, identifier, validateWith } from "./validation";

/** An operation as the core-banking system submits it to `POST /operations`. */
export interface OperationInput {
  id: string;
  customerId: string;
  kind: OperationKind;
  accountIban: string;
  amount?: Money;
  balanceAfter?: Money;
  occurredAt: string;
  description?: string;
  counterparty?: { name?: string; iban?: string };
}

export const DESCRIPTION_MAX_LENGTH = 140;
export const COUNTERPARTY_NAME_MAX_LENGTH = 70;
/** How far in the future an API caller's `occurredAt` may be, to absorb clock skew. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

function iban(label: string) {
  return string()
    .strict(true)
    .typeError(`${label} must be a string`)
    .test("iban", function (value) {
      const problem = value === undefined ? undefined : ibanProblem(value);
      return problem
        ? this.createError({ type: problem.rule, message: `${label} ${problem.problem}` })
        : true;
    });
}

/**
 * An amount as a decimal string with at most its currency's ISO 4217 minor digits. A negative zero
 * ("-0.00") is refused unless `acceptNegativeZero`: the API refuses it, the bus accepts it from
 * producers and e-mails show it as a zero (see formatMoney).
 */
export function moneySchema(
  label: string,
  options: { allowNegative: boolean; acceptNegativeZero?: boolean },
) {
  const sign = options.allowNegative ? "" : "positive ";
  return closedObject({
    value: string()
      .strict(true)
      .typeError(`${label}.value must be a decimal string such as "1234.56", not a number`)
      .required(`${label}.value is required`)
      .test("decimal", `${label}.value must be a ${sign}decimal string such as "1234.56"`, (v) =>
        v === undefined ? true : isDecimalString(v) && (options.allowNegative || !v.startsWith("-")),
      )
      .test("positive", `${label}.value must be greater than zero`, (v) =>
        v === undefined || options.allowNegative || !isDecimalString(v) ? true : /[1-9]/.test(v),
      )
      .test("negative-zero", `${label}.value is a negative zero; send "0" or "0.00" without a sign`, (v) =>
        v === undefined || options.acceptNegativeZero ? true : !/^-[0.]+$/.test(v),
      )
      .test("precision", function (value) {
        const currency = (this.parent as { currency?: unknown }).currency;
        if (value === undefined || typeof currency !== "string" || !isIsoCurrency(currency)) return true;
        const allowed = minorDigits(currency);
        return fractionDigits(value) <= allowed
          ? true
          : this.createError({ message: `${label}.value has more than ${allowed} decimals for ${currency}` });
      }),
    currency: string()
      .strict(true)
      .typeError(`${label}.currency must be a string`)
      .required(`${label}.currency is required`)
      .test("iso-4217", `${label}.currency must be an ISO 4217 code such as "EUR"`, (v) =>
        v === undefined ? true : isIsoCurrency(v),
      ),
  });
}

/** Money moved needs an amount; a security-critical operation (a blocked card) has none. */
export function requiredUnlessSecurityCritical<T extends AnyObject>(
  schema: ObjectSchema<T, AnyObject, unknown, Flags>,
) {
  return schema
    .default(undefined)
    .when("kind", ([kind], current) =>
      isOperationKind(kind) && isSecurityCritical(kind)
        ? current.optional()
        : current.required(`amount is required for ${String(kind)} operations`),
    );
}

export function buildOperationSchema() {
  return closedObject({
    id: identifier("id"),
    customerId: identifier("customerId"),
    kind: string()
      .strict(true)
      .typeError("kind must be a string")
      .required("kind is required")
      .oneOf([...OPERATION_KINDS], `kind must be one of: ${OPERATION_KINDS.join(", ")}`),
    accountIban: iban("accountIban").required("accountIban is required"),
    amount: requiredUnlessSecurityCritical(moneySchema("amount", { allowNegative: false })),
    balanceAfter: moneySchema("balanceAfter", { allowNegative: true }).default(undefined).optional(),
    occurredAt: string()
      .strict(true)
      .typeError("occurredAt must be a string")
      .required("occurredAt is required")
      .test(
        "iso-8601",
        "occurredAt must be an ISO 8601 instant with a time zone, such as 2026-03-01T09:30:00Z",
        (v) => (v === undefined ? true : parseIsoInstant(v) !== undefined),
      )
      .test("not-in-future", function (value) {
        const now = (this.options.context as { now?: number } | undefined)?.now;
        const instant = value === undefined ? undefined : parseIsoInstant(value);
        if (now === undefined || instant === undefined) return true;
        return instant <= now + MAX_FUTURE_SKEW_MS
          ? true
          : this.createError({
              message: "occurredAt is in the future; send the time the operation happened",
            });
      }),
    description: freeText("description", DESCRIPTION_MAX_LENGTH).optional(),
    counterparty: closedObject({
      name: freeText("counterparty.name", COUNTERPARTY_NAME_MAX_LENGTH).optional(),
      iban: iban("counterparty.iban").optional(),
    })
      .default(undefined)
      .optional(),
  });
}

/**
 * Validates an operation submitted through the API. `now` enables the clock-skew bound, which
 * only applies at ingest: redeliveries and replays of old events must still validate.
 */
export function validateOperationInput(input: unknown, options: { now?: number } = {}): OperationInput {
  return validateWith(buildOperationSchema(), input, { now: options.now }) as OperationInput;
}
