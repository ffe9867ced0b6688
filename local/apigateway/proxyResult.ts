import { isBinaryMediaType } from "./binaryMediaTypes";

/**
 * What a Lambda proxy integration's function returns, turned into the HTTP response: `statusCode`,
 * `headers` and `multiValueHeaders` merged into one list per name (a value in both appears once), `body` a
 * string, base64-decoded when `isBase64Encoded` and the request accepts one of the API's binary
 * media types. Anything else is a "Malformed Lambda proxy response", which API Gateway answers 502.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format
 * https://repost.aws/knowledge-center/malformed-502-api-gateway
 */
export interface HttpResponse {
  status: number;
  /** Each name with its values, as they go on the wire. */
  headers: Record<string, string[]>;
  body: Buffer;
}

export type ProxyResultMapping = { ok: true; response: HttpResponse } | { ok: false; reason: string };

type Scalar = string | number | boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isScalar = (value: unknown): value is Scalar =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean";

function malformed(reason: string): ProxyResultMapping {
  return { ok: false, reason: `Malformed Lambda proxy response: ${reason}` };
}

export function mapProxyResult(
  result: unknown,
  options: { binaryMediaTypes: string[]; accept: string | undefined },
): ProxyResultMapping {
  if (!isObject(result)) return malformed(`the function returned ${JSON.stringify(result)}, not an object`);
  const { statusCode, headers = {}, multiValueHeaders = {}, body, isBase64Encoded = false } = result;
  if (
    typeof statusCode !== "number" ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return malformed(`statusCode ${JSON.stringify(statusCode)} is not an HTTP status code`);
  }
  if (headers !== null && (!isObject(headers) || !Object.values(headers).every(isScalar))) {
    return malformed("headers must map names to strings");
  }
  if (
    multiValueHeaders !== null &&
    (!isObject(multiValueHeaders) ||
      !Object.values(multiValueHeaders).every((list) => Array.isArray(list) && list.every(isScalar)))
  ) {
    return malformed("multiValueHeaders must map names to lists of strings");
  }
  if (body !== undefined && body !== null && typeof body !== "string") {
    return malformed(`body is a ${Array.isArray(body) ? "list" : typeof body}, not a string`);
  }
  if (typeof isBase64Encoded !== "boolean") return malformed("isBase64Encoded must be a boolean");

  const merged: Record<string, string[]> = {};
  for (const [name, list] of Object.entries((multiValueHeaders ?? {}) as Record<string, Scalar[]>)) {
    merged[name] = list.map(String);
  }
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, Scalar>)) {
    const values = (merged[name] ??= []);
    if (!values.includes(String(value))) values.push(String(value));
  }
  const text = body ?? "";
  const decode = isBase64Encoded && isBinaryMediaType(options.binaryMediaTypes, options.accept);
  return {
    ok: true,
    response: {
      status: statusCode,
      headers: merged,
      body: decode ? Buffer.from(text, "base64") : Buffer.from(text, "utf8"),
    },
  };
}
