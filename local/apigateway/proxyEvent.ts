import { isBinaryMediaType } from "./binaryMediaTypes";
import type { CallerIdentity } from "./callerIdentity";

/**
 * The event a REST API's Lambda proxy integration sends to the function (payload format 1.0), as API
 * Gateway builds it: `headers` and `queryStringParameters` hold the last value of each name and the
 * `multiValue*` fields all of them, each null when there are none; `pathParameters` and
 * `stageVariables` null when there are none; `requestContext.identity` the IAM caller; the body as
 * UTF-8 text, or base64 with `isBase64Encoded` when its Content-Type is one of the API's binary
 * media types; null when there is no body.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 */
export interface ReceivedApiRequest {
  httpMethod: string;
  /** The path after the stage, as received (still percent-encoded): `/operations/op-1`. */
  path: string;
  /** The query string without `?`, as received. */
  query: string;
  /** Node's `rawHeaders`: names as the client wrote them, then values, alternating. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** The port the client connected to (`X-Forwarded-Port`). */
  port: number;
  /** `HTTP/1.1`. */
  protocol: string;
}

export interface RequestContextFacts {
  accountId: string;
  apiId: string;
  stage: string;
  stageVariables: Record<string, string> | null;
  requestId: string;
  extendedRequestId: string;
  requestTimeEpoch: number;
  /** `Root=1-…`: API Gateway adds the X-Ray trace header to the request it sends on. */
  traceId: string;
  resourceId: string;
  resourcePath: string;
  pathParameters: Record<string, string> | null;
  identity: CallerIdentity;
  binaryMediaTypes: string[];
}

type MultiValues = Record<string, string[]>;

function lastValues(values: MultiValues | null): Record<string, string> | null {
  return values && Object.fromEntries(Object.entries(values).map(([name, list]) => [name, list.at(-1)!]));
}

function headerValues(request: ReceivedApiRequest, context: RequestContextFacts): MultiValues | null {
  const values: MultiValues = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    (values[request.rawHeaders[index]] ??= []).push(request.rawHeaders[index + 1]);
  }
  // What API Gateway adds to the request it forwards (the example event of the page above).
  const forwardedFor = Object.keys(values).find((name) => name.toLowerCase() === "x-forwarded-for");
  values[forwardedFor ?? "X-Forwarded-For"] = [
    [...(forwardedFor ? values[forwardedFor] : []), request.sourceIp].join(", "),
  ];
  values["X-Forwarded-Port"] = [String(request.port)];
  // Plain HTTP on the loopback interface: the local gateway serves no TLS.
  values["X-Forwarded-Proto"] = ["http"];
  values["X-Amzn-Trace-Id"] = [context.traceId];
  return Object.keys(values).length > 0 ? values : null;
}

function queryValues(query: string): MultiValues | null {
  const values: MultiValues = {};
  for (const [name, value] of new URLSearchParams(query)) (values[name] ??= []).push(value);
  return Object.keys(values).length > 0 ? values : null;
}

/** `09/Apr/2015:12:34:56 +0000`, the format of `requestContext.requestTime`. */
export function requestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const month = date.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const two = (value: number) => String(value).padStart(2, "0");
  return (
    `${two(date.getUTCDate())}/${month}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

export function proxyEvent(request: ReceivedApiRequest, context: RequestContextFacts) {
  const multiValueHeaders = headerValues(request, context);
  const headers = lastValues(multiValueHeaders);
  const header = (name: string) =>
    Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
  const multiValueQueryStringParameters = queryValues(request.query);
  const binary = isBinaryMediaType(context.binaryMediaTypes, header("content-type"));
  const host = header("host") ?? "";
  return {
    resource: context.resourcePath,
    path: request.path,
    httpMethod: request.httpMethod,
    headers,
    multiValueHeaders,
    queryStringParameters: lastValues(multiValueQueryStringParameters),
    multiValueQueryStringParameters,
    pathParameters: context.pathParameters,
    stageVariables: context.stageVariables,
    requestContext: {
      resourceId: context.resourceId,
      resourcePath: context.resourcePath,
      httpMethod: request.httpMethod,
      extendedRequestId: context.extendedRequestId,
      requestTime: requestTime(context.requestTimeEpoch),
      path: `/${context.stage}${request.path}`,
      accountId: context.accountId,
      protocol: request.protocol,
      stage: context.stage,
      domainPrefix: host.split(".")[0],
      requestTimeEpoch: context.requestTimeEpoch,
      requestId: context.requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: context.identity.accountId,
        cognitoIdentityId: null,
        caller: context.identity.caller,
        sourceIp: request.sourceIp,
        principalOrgId: null,
        accessKey: context.identity.accessKey,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: context.identity.userArn,
        userAgent: header("user-agent") ?? null,
        user: context.identity.caller,
        clientCert: null,
      },
      domainName: host,
      apiId: context.apiId,
    },
    body: request.body.length === 0 ? null : request.body.toString(binary ? "base64" : "utf8"),
    isBase64Encoded: binary && request.body.length > 0,
  };
}
export type ProxyEvent = ReturnType<typeof proxyEvent>;
