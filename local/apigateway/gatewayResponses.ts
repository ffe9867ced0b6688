import { renderContextTemplate, unsupportedInTemplate, type ContextValues } from "./contextVariables";

/**
 * API Gateway's own errors (not the function's), answered through the API's gateway responses: the
 * response of the error's type if the API customises it, else `DEFAULT_4XX` or `DEFAULT_5XX`, else
 * AWS's default body `{"message":$context.error.messageString}`. A customised response's status code
 * replaces the error's own.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.html
 */
export type GatewayResponseType =
  | "ACCESS_DENIED"
  | "API_CONFIGURATION_ERROR"
  | "DEFAULT_5XX"
  | "INTEGRATION_TIMEOUT"
  | "INVALID_SIGNATURE"
  | "MISSING_AUTHENTICATION_TOKEN"
  | "THROTTLED";

export interface GatewayError {
  type: GatewayResponseType;
  status: number;
  /** `$context.error.message`. */
  message: string;
}

/** The errors the local gateway raises, each with its type's default status code and AWS's message. */
export const GATEWAY_ERRORS = {
  missingAuthenticationToken: (): GatewayError => ({
    type: "MISSING_AUTHENTICATION_TOKEN",
    status: 403,
    message: "Missing Authentication Token",
  }),
  invalidSignature: (message: string): GatewayError => ({ type: "INVALID_SIGNATURE", status: 403, message }),
  accessDenied: (message: string): GatewayError => ({ type: "ACCESS_DENIED", status: 403, message }),
  throttled: (): GatewayError => ({ type: "THROTTLED", status: 429, message: "Too Many Requests" }),
  /** The function's resource policy does not let API Gateway invoke it. */
  integrationPermission: (): GatewayError => ({
    type: "API_CONFIGURATION_ERROR",
    status: 500,
    message: "Internal server error",
  }),
  /** The function failed, or returned what is not a proxy result: no documented type, so the 5XX default. */
  badIntegrationResponse: (): GatewayError => ({
    type: "DEFAULT_5XX",
    status: 502,
    message: "Internal server error",
  }),
  /** The local gateway itself failed (not something AWS answers): a plain 500. */
  internalError: (): GatewayError => ({ type: "DEFAULT_5XX", status: 500, message: "Internal server error" }),
  integrationTimeout: (): GatewayError => ({
    type: "INTEGRATION_TIMEOUT",
    status: 504,
    message: "Endpoint request timed out",
  }),
} as const;

interface DeclaredResponse {
  statusCode?: string | number;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
}

export interface GatewayAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const AWS_DEFAULT: DeclaredResponse = {
  responseTemplates: { "application/json": '{"message":$context.error.messageString}' },
};
const HEADER_PARAMETER = /^gatewayresponse\.header\.(.+)$/;
const STATIC_VALUE = /^'(.*)'$/s;

/** Refuses, with the reason, a declared response the local gateway would not answer as AWS does. */
function checkDeclared(type: string, response: DeclaredResponse): void {
  for (const [parameter, value] of Object.entries(response.responseParameters ?? {})) {
    if (!HEADER_PARAMETER.test(parameter) || !STATIC_VALUE.test(value)) {
      throw new Error(
        `The gateway response ${type} maps ${parameter} from ${value}: the local API Gateway sets only headers with quoted static values`,
      );
    }
  }
  for (const [contentType, template] of Object.entries(response.responseTemplates ?? {})) {
    const reason = unsupportedInTemplate(template);
    if (reason) {
      throw new Error(
        `The gateway response ${type} (${contentType}) cannot be rendered by the local API Gateway: ${reason}`,
      );
    }
  }
}

/** The answers of one API, from its OpenAPI body's `x-amazon-apigateway-gateway-responses`. */
export function gatewayResponses(declared: Record<string, DeclaredResponse> = {}) {
  for (const [type, response] of Object.entries(declared)) checkDeclared(type, response);

  return function answer(error: GatewayError, context: ContextValues): GatewayAnswer {
    const fallback = declared[error.status < 500 ? "DEFAULT_4XX" : "DEFAULT_5XX"];
    const response = declared[error.type] ?? fallback ?? AWS_DEFAULT;
    const status = Number(response.statusCode ?? error.status);
    const templates = response.responseTemplates ?? AWS_DEFAULT.responseTemplates!;
    const contentType = "application/json" in templates ? "application/json" : Object.keys(templates)[0];
    const values: ContextValues = {
      ...context,
      "error.responseType": error.type,
      "error.message": error.message,
      "error.messageString": JSON.stringify(error.message),
    };
    const headers: Record<string, string> = { "content-type": contentType };
    for (const [parameter, value] of Object.entries(response.responseParameters ?? {})) {
      headers[HEADER_PARAMETER.exec(parameter)![1]] = STATIC_VALUE.exec(value)![1];
    }
    return { status, headers, body: renderContextTemplate(templates[contentType] ?? "", values, "") };
  };
}
export type GatewayResponder = ReturnType<typeof gatewayResponses>;
