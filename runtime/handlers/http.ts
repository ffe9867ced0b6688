import { ERROR_CODES, domainError, isDomainError, type ErrorCode } from "../domain/errors";
import type { Logger } from "../observability/logger";
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

export function parseJsonBody(event: ApiEvent): unknown {
  const raw =
    event.isBase64Encoded && event.body ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  if (raw === null || raw === undefined || raw.trim() === "") {
    throw domainError(ERROR_CODES.invalidJson, "The request has no body; send a JSON object");
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw domainError(ERROR_CODES.invalidJson, "The request body is not valid JSON");
  }
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

/**
 * One error shape for every route: `{ error: { code, message, fields?, requestId } }`. Details of
 * internal failures stay in the logs; the caller gets a request id to quote.
 */
export function errorResponse(error: unknown, logger: Logger, requestId?: string): ApiResult {
  if (isDomainError(error) && error.code in STATUS_BY_CODE) {
    const status = STATUS_BY_CODE[error.code];
    const internal = status >= 500 && !error.retryable;
    if (status >= 500) logger.error("request failed", { error, errorCode: error.code });
    const body = {
      error: {
        code: error.code,
        message: internal ? "Internal error; quote the request id to support" : error.message,
        ...(error.fields ? { fields: error.fields } : {}),
        ...(requestId ? { requestId } : {}),
      },
    };
    return json(status, body, error.retryable ? { "retry-after": "1" } : {});
  }
  logger.error("unexpected failure", { error });
  return json(500, {
    error: {
      code: "INTERNAL",
      message: "Internal error; quote the request id to support",
      ...(requestId ? { requestId } : {}),
    },
  });
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
