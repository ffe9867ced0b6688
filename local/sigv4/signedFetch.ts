import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "./verifySignature";

/**
 * Calls an IAM-authenticated API Gateway URL as an AWS client does: the request is signed with
 * Signature Version 4 by the AWS SDK's own signer (`@smithy/signature-v4`), for the `execute-api`
 * service, then sent with `fetch`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html#api-gateway-iam-permissions-for-invoke
 */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedFetchOptions {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  credentials: SigningCredentials;
  region: string;
  /** When the request is signed; now by default. */
  signingDate?: Date;
}

/** What `fetch` takes for a signed request: its method, the headers with the signature, the body. */
export interface SignedRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

export async function signRequest(url: string, options: SignedFetchOptions): Promise<SignedRequestInit> {
  const target = new URL(url);
  const method = (options.method ?? "GET").toUpperCase();
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: "execute-api",
    sha256: NodeSha256,
    // As the SDK's execute-api clients sign: no x-amz-content-sha256 header, the body's hash is signed.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port ? Number(target.port) : undefined,
      path: target.pathname,
      query: queryOf(target),
      headers: {
        ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        host: target.host,
      },
      body: options.body,
    },
    { signingDate: options.signingDate },
  );
  // fetch sets Host from the URL, the same value that was signed.
  const { host: _host, ...headers } = signed.headers as Record<string, string>;
  return { method, headers, ...(options.body === undefined ? {} : { body: options.body }) };
}

export async function signedFetch(url: string, options: SignedFetchOptions): Promise<Response> {
  return fetch(url, await signRequest(url, options));
}
