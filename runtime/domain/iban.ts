/** ISO 13616 IBAN: country code, two check digits, up to 30 alphanumerics, checksum mod 97 = 1. */
const IBAN_SHAPE = /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/;

export function normalizeIban(value: string): string {
  return value.replace(/ /g, "").toUpperCase();
}

export function hasIbanShape(value: string): boolean {
  return IBAN_SHAPE.test(normalizeIban(value));
}

export function hasValidIbanChecksum(value: string): boolean {
  const iban = normalizeIban(value);
  if (!IBAN_SHAPE.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const digits = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55);
    for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

/** Only the last four characters of an account number ever leave the customer record or the API. */
export function ibanLast4(value: string): string {
  return normalizeIban(value).slice(-4);
}

export function maskAccount(last4: string): string {
  return `•••• ${last4}`;
}
