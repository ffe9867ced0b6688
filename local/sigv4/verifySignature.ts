import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { buffer } from "node:stream/consumers";
import { SignatureV4 } from "@smithy/signature-v4";

/**
 * Verifies an AWS Signature Version 4 request by signing it again, with the secret of the access
 * key it names, over the headers it says it signed and at the time it says it was signed, then
 * comparing signatures in constant time. `@smithy/signature-v4` (the SDK's own signer) does the
 * signing: nothing here computes a signature by hand.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export interface ReceivedRequest {
  method: string;
  /** The raw request target: path and query, as received (still percent-encoded). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Reads an incoming request whole, as `verifySignature` takes it. */
export async function receiveRequest(request: IncomingMessage): Promise<ReceivedRequest> {
  return {
    method: request.method ?? "GET",
    url: request.url ?? "/",
    headers: request.headers,
    body: await buffer(request),
  };
}

export interface KnownSecret {
  secretAccessKey: string;
}

export type Verification<P> =
  | { ok: true; principal: P; accessKeyId: string }
  | {
      ok: false;
      code:
        | "MissingAuthenticationToken"
        | "IncompleteSignature"
        | "InvalidSignature"
        | "SignatureExpired"
        | "UnrecognizedClient";
      message: string;
    };

export interface VerifyOptions<P extends KnownSecret> {
  /** The signing name: `execute-api`, `dynamodb`, `s3`, `sqs`, `ses`, `secretsmanager`, `events`. */
  service: string;
  region: string;
  principalOf(accessKeyId: string): P | undefined;
  now?: () => number;
}

/** The payload hashes a signer may send instead of the body's digest. */
const UNSIGNED_PAYLOADS = ["UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"];
/** AWS refuses a signature more than 5 minutes away from its clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Buffer {
  if (typeof data === "string") return data;
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}

/** Node's SHA-256 and HMAC-SHA256 in the shape the SDK's signer takes. */
export class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function header(headers: ReceivedRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** `20261129T101500Z` as epoch milliseconds. */
function amzDateMs(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function query(raw: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const existing = result[key];
    result[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return result;
}

export async function verifySignature<P extends KnownSecret>(
  request: ReceivedRequest,
  options: VerifyOptions<P>,
): Promise<Verification<P>> {
  const authorization = header(request.headers, "authorization");
  if (!authorization)
    return { ok: false, code: "MissingAuthenticationToken", message: "Missing Authentication Token" };
  const parts = AUTHORIZATION.exec(authorization);
  const amzDate = header(request.headers, "x-amz-date") ?? "";
  if (!parts || !amzDate) {
    return {
      ok: false,
      code: "IncompleteSignature",
      message:
        "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' and an X-Amz-Date header",
    };
  }
  const [, accessKeyId, scopeDate, region, service, signedHeaders, signature] = parts;
  const principal = options.principalOf(accessKeyId);
  if (!principal) {
    return {
      ok: false,
      code: "UnrecognizedClient",
      message: "The security token included in the request is invalid.",
    };
  }
  const signedAt = amzDateMs(amzDate);
  const now = (options.now ?? Date.now)();
  if (!Number.isFinite(signedAt) || Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      code: "SignatureExpired",
      message: `Signature expired: ${amzDate} is now earlier than ${new Date(now - MAX_CLOCK_SKEW_MS).toISOString().replace(/[-:]|\.\d{3}/g, "")} (${new Date(now).toISOString().replace(/[-:]|\.\d{3}/g, "")} - 5 min.)`,
    };
  }
  if (scopeDate !== amzDate.slice(0, 8) || region !== options.region || service !== options.service) {
    return {
      ok: false,
      code: "InvalidSignature",
      message: `Credential should be scoped to a valid region and service: expected ${amzDate.slice(0, 8)}/${options.region}/${options.service}, got ${scopeDate}/${region}/${service}`,
    };
  }
  // The signer would take a declared payload hash on trust: check it against the body first, or a
  // body changed after signing would pass.
  const declaredPayload = header(request.headers, "x-amz-content-sha256");
  const bodyHash = createHash("sha256").update(request.body).digest("hex");
  if (
    declaredPayload !== undefined &&
    !UNSIGNED_PAYLOADS.includes(declaredPayload) &&
    declaredPayload !== bodyHash
  ) {
    return {
      ok: false,
      code: "InvalidSignature",
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  }
  const [path, rawQuery = ""] = request.url.split(/\?(.*)/s);
  // Only the headers the client signed: the signer would add every other header it received (an
  // HTTP client's accept or content-length, a proxy's) to the canonical request, and so would AWS not.
  const signed = new Set(signedHeaders.split(";"));
  const headers = Object.fromEntries(
    Object.entries(request.headers)
      .filter(([name, value]) => value !== undefined && signed.has(name.toLowerCase()))
      .map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(",") : String(value)]),
  );
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: principal.secretAccessKey },
    region,
    service,
    sha256: NodeSha256,
    // Nor add an x-amz-content-sha256 header the client did not send.
    applyChecksum: false,
    // S3 signs the path as sent; every other service escapes it once more.
    uriEscapePath: service !== "s3",
  });
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: (headers.host ?? "").split(":")[0],
      path,
      query: query(rawQuery),
      headers,
      body: request.body,
    },
    { signingDate: new Date(signedAt), signableHeaders: signed },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization))?.[1] ?? "";
  const matches =
    expected.length === signature.length &&
    timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(signature, "hex"));
  if (!matches) {
    return {
      ok: false,
      code: "InvalidSignature",
      message:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    };
  }
  return { ok: true, principal, accessKeyId };
}
