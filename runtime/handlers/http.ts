import { ERROR_CODES, domainError, isDomainError, type DomainError, type ErrorCode } from "../domain/errors";
import type { Logger } from "../observability/logger";
import { parseStrictJson } from "../domain/strictJson";
import { IDENTIFIER_PATTERN } from "../domain/validation";

/** The subset of API Gateway's REST proxy event that the handlers read. */
export interface ApiEvent {
  httpMethod: string;
  resource: string;
  path?: string;
  pathParameters?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  body: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { requestId?: string };
}

export interface ApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ERROR_CODES.validationFailed]: 400,
  [ERROR_CODES.invalidJson]: 400,
  [ERROR_CODES.payloadTooLarge]: 413,
  [ERROR_CODES.notFound]: 404,
  [ERROR_CODES.conflict]: 409,
  [ERROR_CODES.throttled]: 503,
  [ERROR_CODES.unavailable]: 503,
  [ERROR_CODES.permanentFailure]: 500,
  [ERROR_CODES.configuration]: 500,
};

export function json(
  statusCode: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): ApiResult {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...extraHeaders },
    body: JSON.stringify(body),
  };
}

/**
 * The largest body the API reads, in UTF-8 bytes: many times the largest valid operation or customer,
 * and small enough that the work and the error answer stay bounded whatever a caller sends.
 */
export const MAX_BODY_BYTES = 64 * 1024;

function tooLarge(size: string): DomainError {
  return domainError(
    ERROR_CODES.payloadTooLarge,
    `The request body is ${size}; send at most ${MAX_BODY_BYTES} bytes`,
    {
      fields: [
        { field: "(body)", rule: "max-size", message: `the body must be at most ${MAX_BODY_BYTES} bytes` },
      ],
    },
  );
}

/**
 * The body as JSON, refusing before any parsing a body larger than MAX_BODY_BYTES, then anything
 * `parseStrictJson` refuses (duplicate member names, unpaired surrogates).
 */
export function parseJsonBody(event: ApiEvent): unknown {
  const body = event.body ?? "";
  // A UTF-8 byte count is never below the string's length; base64 holds 3 bytes per 4 characters.
  const bound = event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : body.length;
  if (bound > MAX_BODY_BYTES) throw tooLarge(`over ${MAX_BODY_BYTES} bytes`);
  const raw = event.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
  const bytes = Buffer.byteLength(raw, "utf8");
  if (bytes > MAX_BODY_BYTES) throw tooLarge(`${bytes} bytes`);
  if (raw.trim() === "") {
    throw domainError(ERROR_CODES.invalidJson, "The request has no body; send a JSON object");
  }
  return parseStrictJson(raw, () =>
    domainError(ERROR_CODES.invalidJson, "The request body is not valid JSON"),
  );
}

/** The `{id}` path parameter, checked like every identifier in a body. */
export function idFromPath(event: ApiEvent, resourceName: string): string {
  const id = event.pathParameters?.id ?? "";
  if (!IDENTIFIER_PATTERN.test(id)) {
    throw domainError(ERROR_CODES.validationFailed, `The ${resourceName} id in the path is invalid`, {
      fields: [{ field: "id", rule: "matches", message: 'id must be 1 to 64 letters, digits, "-" or "_"' }],
    });
  }
  return id;
}

const INTERNAL_MESSAGE = "Internal error; quote the request id to support";
const UNAVAILABLE_MESSAGE =
  "The service is busy or unavailable; retry later, and quote the request id if it persists";

/**
 * One error shape for every route: `{ error: { code, message, fields?, fieldsOmitted?, requestId } }`.
 * A 5xx answer says only what the caller can do (retry or not) and the request id; the AWS error
 * behind it, which can name endpoints, resources or addresses, goes to the log line with that id.
 */
export function errorResponse(error: unknown, logger: Logger, requestId?: string): ApiResult {
  const withRequestId = requestId ? { requestId } : {};
  if (isDomainError(error) && error.code in STATUS_BY_CODE) {
    const status = STATUS_BY_CODE[error.code];
    if (status >= 500) logger.error("request failed", { error, errorCode: error.code, ...withRequestId });
    const message = status < 500 ? error.message : error.retryable ? UNAVAILABLE_MESSAGE : INTERNAL_MESSAGE;
    const body = {
      error: {
        code: error.code,
        message,
        ...(error.fields && status < 500 ? { fields: error.fields } : {}),
        ...(error.fieldsOmitted ? { fieldsOmitted: error.fieldsOmitted } : {}),
        ...withRequestId,
      },
    };
    return json(status, body, error.retryable ? { "retry-after": "1" } : {});
  }
  logger.error("unexpected failure", { error, ...withRequestId });
  return json(500, { error: { code: "INTERNAL", message: INTERNAL_MESSAGE, ...withRequestId } });
}

export interface Route {
  method: string;
  resource: string;
}

/**
 * A Lambda handler serving several API Gateway routes: dispatches on method and resource, and turns
 * whatever a route throws into the one error shape.
 */
export function createRouter(
  routes: [Route, (event: ApiEvent) => Promise<ApiResult>][],
  logger: Logger,
): (event: ApiEvent) => Promise<ApiResult> {
  return async (event) => {
    const match = routes.find(
      ([route]) => route.method === event.httpMethod && route.resource === event.resource,
    );
    if (!match) {
      return json(404, {
        error: { code: ERROR_CODES.notFound, message: `No route for ${event.httpMethod} ${event.resource}` },
      });
    }
    try {
      return await match[1](event);
    } catch (error) {
      return errorResponse(error, logger, event.requestContext?.requestId);
    }
  };
}
