import { signRequest, type SigningCredentials } from "../../local/sigv4/signedFetch";

/**
 * The stage a load run calls, and who calls it: each request is signed with SigV4 for
 * `execute-api` (the AWS SDK's signer) with the caller's current credentials, then sent with
 * Node's fetch (undici), one request per arrival.
 */
export type ApiCaller = "producer" | "customerAdmin";

export interface ApiTarget {
  /** The stage URL, without a trailing slash. */
  apiUrl: string;
  region: string;
  credentials(caller: ApiCaller): Promise<SigningCredentials>;
}

export interface ApiAnswer {
  /** 0 when no HTTP answer came (connection refused or reset, timeout). */
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  /** How the request failed without an answer: `ECONNREFUSED`, `timeout`, … */
  networkError?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

function networkErrorOf(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timeout";
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

export async function callApi(
  target: ApiTarget,
  caller: ApiCaller,
  method: string,
  route: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const url = `${target.apiUrl}${route}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const init = await signRequest(url, {
    method,
    body: text,
    headers: { "content-type": "application/json" },
    credentials: await target.credentials(caller),
    region: target.region,
  });
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const raw = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      parsed = { text: raw };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  } catch (error) {
    return { status: 0, body: {}, headers: new Headers(), networkError: networkErrorOf(error) };
  }
}

/** The region of an API Gateway stage URL: `https://{id}.execute-api.{region}.amazonaws.com/{stage}`. */
export function regionOfStageUrl(url: string): string {
  const match = /^https:\/\/[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/[^/]+\/?$/.exec(url);
  if (!match) {
    throw new Error(
      `--target must be local or a stage URL such as https://abc123.execute-api.eu-west-1.amazonaws.com/v1, not ${url}`,
    );
  }
  return match[1];
}
