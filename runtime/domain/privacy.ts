import { createHmac } from "node:crypto";
import { canonicalJson } from "./canonicalJson";

/**
 * Every hash the stack stores of something personal is an HMAC-SHA256 keyed with the stack's hash key
 * (a secret in Secrets Manager), so that someone who reads the table, a backup, an export, an event
 * or the evidence cannot recover a value by hashing guesses (an IBAN lacks only a few digits):
 *
 * | stored as                                              | HMAC-SHA256 of                              |
 * | event `account.hash`, `counterparty.account.hash`      | the IBAN, spaces removed, upper-cased       |
 * | operation record `bodyHash` (idempotency)              | the canonical JSON of the validated body    |
 * | address item key, a customer's `suppressedAddressHashes`, evidence `recipientAddressHash` | the address, trimmed and lower-cased |
 *
 * The one plain SHA-256 the stack stores, the evidence's `template.sha256`, is of the e-mail template
 * as SES holds it, which holds no personal data.
 */

const EMAIL_ADDRESS = /[^\s@:;,<>"']+@[^\s@:;,<>"']+/g;

/** Some AWS messages quote the recipient (SES: "Email address is not verified: ..."); logs and records must not. */
export function redactEmailAddresses(text: string): string {
  return text.replace(EMAIL_ADDRESS, "[address]");
}

/** HMAC-SHA256 with the stack's secret key: lets records be joined on a value without revealing it. */
export function keyedHash(value: string, key: string): string {
  return createHmac("sha256", key).update(value).digest("hex");
}

/** The address list, the suppressions copied to customers and the evidence identify an address only by this hash. */
export function addressHash(address: string, hashKey: string): string {
  return keyedHash(address.trim().toLowerCase(), hashKey);
}

/**
 * What tells a repeated operation from another one under the same id: the body holds full IBANs, so
 * the hash is keyed like every other.
 */
export function bodyHash(body: unknown, hashKey: string): string {
  return keyedHash(canonicalJson(body), hashKey);
}
