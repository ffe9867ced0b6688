import { minorDigits, type Money } from "./money";

/**
 * `1 234,56 €` in fr, `€1,234.56` in en: formatted from the decimal string itself, never a float. A
 * negative zero such as "-0.00" (which the bus accepts from producers) is shown without its sign.
 */
export function formatMoney(money: Money, locale: string): string {
  const digits = minorDigits(money.currency);
  const format = new Intl.NumberFormat(locale, {
    style: "currency",
    currency: money.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    signDisplay: "negative",
  });
  return format.format(money.value as Intl.StringNumericLiteral);
}

/** The instant in the customer's own time zone and language, with the zone named so it is unambiguous. */
export function formatInstant(isoInstant: string, locale: string, timeZone: string): string {
  const format = new Intl.DateTimeFormat(locale, {
    dateStyle: "long",
    timeStyle: "short",
    timeZone,
  });
  const zone = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" })
    .formatToParts(new Date(isoInstant))
    .find((part) => part.type === "timeZoneName")?.value;
  const text = format.format(new Date(isoInstant));
  return zone ? `${text} (${zone})` : text;
}
