/**
 * Money never becomes a JavaScript float: amounts are decimal strings with an ISO 4217 currency,
 * and arithmetic happens on BigInt minor units.
 */
export interface Money {
  /** Decimal string with at most the currency's minor digits, for example "1234.56". */
  value: string;
  /** ISO 4217 code, for example "EUR". */
  currency: string;
}

const DECIMAL = /^-?(0|[1-9]\d{0,17})(\.\d+)?$/;

/** EventBridge numeric matching only accepts values within ±5.0e9. */
export const ROUTING_AMOUNT_LIMIT = 5_000_000_000;

export function isIsoCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && Intl.supportedValuesOf("currency").includes(code);
}

/**
 * ISO 4217 minor units where they are not 2. Intl follows CLDR, which differs for display reasons
 * (CLDR shows HUF, IDR or COP without decimals; ISO 4217 and payment systems use 2).
 */
// prettier-ignore
const ISO_4217_MINOR_UNITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0,
  VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** Number of minor digits ISO 4217 gives the currency: 2 for EUR and HUF, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  return ISO_4217_MINOR_UNITS[currency] ?? 2;
}

export function isDecimalString(value: string): boolean {
  return DECIMAL.test(value);
}

export function fractionDigits(value: string): number {
  const dot = value.indexOf(".");
  return dot === -1 ? 0 : value.length - dot - 1;
}

export function toMinorUnits(money: Money): bigint {
  const digits = minorDigits(money.currency);
  const negative = money.value.startsWith("-");
  const unsigned = negative ? money.value.slice(1) : money.value;
  const [whole, fraction = ""] = unsigned.split(".");
  if (fraction.length > digits) {
    throw new Error(`${money.value} has more than ${digits} decimals for ${money.currency}`);
  }
  const minor = BigInt(whole + fraction.padEnd(digits, "0"));
  return negative ? -minor : minor;
}

/** -1, 0 or 1; both amounts must be in the same currency. */
export function compareMoney(a: Money, b: Money): number {
  if (a.currency !== b.currency) throw new Error(`cannot compare ${a.currency} with ${b.currency}`);
  const left = toMinorUnits(a);
  const right = toMinorUnits(b);
  return left === right ? 0 : left < right ? -1 : 1;
}

/**
 * The amount in whole major units, clamped to what EventBridge numeric patterns accept.
 * Used only to route events (for example a large-amount rule); never for display or arithmetic.
 */
export function routingAmount(money: Money): number {
  const whole = money.value.replace(/^-/, "").split(".")[0];
  const major = BigInt(whole);
  const clamped = major > BigInt(ROUTING_AMOUNT_LIMIT) ? ROUTING_AMOUNT_LIMIT : Number(major);
  return money.value.startsWith("-") ? -clamped : clamped;
}
