import { createHmac } from "node:crypto";

const EMAIL_ADDRESS = /[^\s@:;,<>"']+@[^\s@:;,<>"']+/g;

/** Some AWS messages quote the recipient (SES: "Email address is not verified: ..."); logs and records must not. */
export function redactEmailAddresses(text: string): string {
  return text.replace(EMAIL_ADDRESS, "[address]");
}

/** HMAC-SHA256 with the stack's secret key: lets records be joined on a value without revealing it. */
export function keyedHash(value: string, key: string): string {
  return createHmac("sha256", key).update(value).digest("hex");
}

/** The suppression list and the evidence identify an address only by this hash. */
export function addressHash(address: string, hashKey: string): string {
  return keyedHash(address.trim().toLowerCase(), hashKey);
}
