import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { CredentialStore, LambdaInvoker } from "../cloud/types";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import { authorizeCaller } from "./callerAuthorization";
import type { CallerIdentity } from "./callerIdentity";
import type { ContextValues } from "./contextVariables";
import { GATEWAY_ERRORS, type GatewayError, type GatewayResponder } from "./gatewayResponses";
import { apiGatewayMayInvoke } from "./integrationPermission";
import type { RouteMatch } from "./openApiRoutes";
import { proxyEvent, requestTime, type ReceivedApiRequest } from "./proxyEvent";
import { mapProxyResult, type HttpResponse } from "./proxyResult";

/**
 * One request through a REST API stage, in API Gateway's order: the route (an unknown path or
 * method is "Missing Authentication Token"), the method's throttle, IAM authorization of the caller,
 * API Gateway's permission to invoke the function, the proxy integration within its timeout, the
 * function's result. API Gateway's own errors go through the API's gateway responses. A refused
 * request reaches no function.
 */
export interface IncomingApiRequest {
  httpMethod: string;
  /** The request target as received: `/v1/operations?x=1`. */
  target: string;
  rawHeaders: string[];
  /** Node's parsed headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  sourceIp: string;
  port: number;
  protocol: string;
}

/** Why API Gateway refused or failed a request, as its execution log would say. */
export interface ExecutionLogEntry {
  requestId: string;
  httpMethod: string;
  path: string;
  status: number;
  message: string;
  /** The IAM statements that decided, for an authorization. */
  statements?: string[];
}

export interface PipelineOutcome {
  response: HttpResponse;
  /** The request's `$context` values, for its access log line. */
  context: ContextValues;
  execution?: ExecutionLogEntry;
}

export interface StageDefinition {
  apiId: string;
  accountId: string;
  region: string;
  stageName: string;
  /** `arn:aws:execute-api:<region>:<account>:<api id>` */
  executionArn: string;
  stageVariables: Record<string, string> | null;
  binaryMediaTypes: string[];
  match(httpMethod: string, path: string): RouteMatch | undefined;
  admit(resourcePath: string, httpMethod: string): boolean;
  respond: GatewayResponder;
}

export interface PipelineServices {
  credentials: CredentialStore;
  authorizer: StackAuthorizer;
  lambda: Pick<LambdaInvoker, "invoke">;
  now: () => number;
}

const TIMED_OUT = Symbol("integration timed out");

function header(headers: IncomingApiRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** An X-Ray trace id: `1-<epoch seconds in hex>-<96 random bits>`. https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-traceids */
function traceIdAt(epochMs: number): string {
  return `1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

export function requestPipeline(stage: StageDefinition, services: PipelineServices) {
  const resourceIdOf = (resourcePath: string) =>
    createHash("sha256").update(`${stage.apiId}${resourcePath}`).digest("hex").slice(0, 6);

  return async function handle(request: IncomingApiRequest): Promise<PipelineOutcome> {
    const startedAt = services.now();
    const requestId = randomUUID();
    const extendedRequestId = randomBytes(11).toString("base64");
    const traceId = traceIdAt(startedAt);
    const [fullPath, query = ""] = request.target.split(/\?(.*)/s);
    const stagePrefix = `/${stage.stageName}`;
    const path =
      fullPath === stagePrefix
        ? "/"
        : fullPath.startsWith(`${stagePrefix}/`)
          ? fullPath.slice(stagePrefix.length)
          : undefined;
    const context: ContextValues = {
      requestId,
      extendedRequestId,
      requestTime: requestTime(startedAt),
      requestTimeEpoch: startedAt,
      httpMethod: request.httpMethod,
      path: fullPath,
      protocol: request.protocol,
      stage: stage.stageName,
      apiId: stage.apiId,
      accountId: stage.accountId,
      domainName: header(request.headers, "host"),
      domainPrefix: header(request.headers, "host")?.split(".")[0],
      "identity.sourceIp": request.sourceIp,
      "identity.userAgent": header(request.headers, "user-agent"),
      xrayTraceId: `Root=${traceId}`,
    };
    const identify = (identity: CallerIdentity) => {
      context["identity.userArn"] = identity.userArn;
      context["identity.caller"] = identity.caller;
      context["identity.user"] = identity.caller;
      context["identity.accessKey"] = identity.accessKey;
      context["identity.accountId"] = identity.accountId;
    };
    const finish = (
      response: HttpResponse,
      execution?: Omit<ExecutionLogEntry, "requestId" | "httpMethod" | "path" | "status">,
    ): PipelineOutcome => {
      response.headers["x-amzn-RequestId"] = [requestId];
      response.headers["x-amz-apigw-id"] = [extendedRequestId];
      context.status = response.status;
      context.responseLength = response.body.length;
      context.responseLatency = services.now() - startedAt;
      return {
        response,
        context,
        ...(execution
          ? {
              execution: {
                requestId,
                httpMethod: request.httpMethod,
                path: fullPath,
                status: response.status,
                ...execution,
              },
            }
          : {}),
      };
    };
    const fail = (error: GatewayError, message: string, statements?: string[]) => {
      context["error.responseType"] = error.type;
      context["error.message"] = error.message;
      const answer = stage.respond(error, context);
      const headers = Object.fromEntries(
        Object.entries(answer.headers).map(([name, value]) => [name, [value]]),
      );
      return finish(
        { status: answer.status, headers, body: Buffer.from(answer.body, "utf8") },
        { message, ...(statements ? { statements } : {}) },
      );
    };

    const matched = path === undefined ? undefined : stage.match(request.httpMethod, path);
    if (!matched || path === undefined) {
      return fail(
        GATEWAY_ERRORS.missingAuthenticationToken(),
        `No method ${request.httpMethod} ${fullPath} in stage ${stage.stageName}`,
      );
    }
    const { route, pathParameters } = matched;
    context.resourcePath = route.resourcePath;
    context.resourceId = resourceIdOf(route.resourcePath);
    const methodArn = `${stage.executionArn}/${stage.stageName}/${request.httpMethod}${path}`;

    if (!stage.admit(route.resourcePath, request.httpMethod)) {
      return fail(
        GATEWAY_ERRORS.throttled(),
        `${request.httpMethod} ${route.resourcePath} is over the stage's throttling limits`,
      );
    }

    const authorization = await authorizeCaller(
      { method: request.httpMethod, url: request.target, headers: request.headers, body: request.body },
      methodArn,
      request.sourceIp,
      {
        region: stage.region,
        credentials: services.credentials,
        authorizer: services.authorizer,
        now: services.now,
      },
    );
    if (authorization.identity) identify(authorization.identity);
    if (!authorization.ok) {
      context[authorization.identity ? "authorize.error" : "authenticate.error"] =
        authorization.error.message;
      return fail(authorization.error, authorization.reason, authorization.statements);
    }

    const permission = await apiGatewayMayInvoke(
      services.authorizer,
      route.functionArn,
      methodArn,
      stage.accountId,
    );
    if (!permission.allowed) {
      context["integration.error"] =
        "Execution failed due to configuration error: Invalid permissions on Lambda function";
      return fail(
        GATEWAY_ERRORS.integrationPermission(),
        `${context["integration.error"]}: ${permission.message}`,
        permission.statements,
      );
    }

    const event = proxyEvent({ ...request, path, query } satisfies ReceivedApiRequest, {
      accountId: stage.accountId,
      apiId: stage.apiId,
      stage: stage.stageName,
      stageVariables: stage.stageVariables,
      requestId,
      extendedRequestId,
      requestTimeEpoch: startedAt,
      traceId: `Root=${traceId}`,
      resourceId: resourceIdOf(route.resourcePath),
      resourcePath: route.resourcePath,
      pathParameters,
      identity: authorization.identity,
      binaryMediaTypes: stage.binaryMediaTypes,
    });
    const invokedAt = services.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      services.lambda.invoke(route.functionArn, event),
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), route.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    context.integrationLatency = services.now() - invokedAt;
    context["integration.latency"] = context.integrationLatency;
    if (outcome === TIMED_OUT) {
      context["integration.error"] = `Execution failed due to a timeout error after ${route.timeoutMs} ms`;
      return fail(GATEWAY_ERRORS.integrationTimeout(), context["integration.error"]);
    }
    context["integration.status"] = 200;
    context.integrationStatus = 200;
    if (!outcome.ok) {
      context["integration.error"] = `${outcome.errorType}: ${outcome.errorMessage}`;
      return fail(
        GATEWAY_ERRORS.badIntegrationResponse(),
        `Lambda execution failed due to customer function error: ${context["integration.error"]}`,
      );
    }
    const mapped = mapProxyResult(outcome.result, {
      binaryMediaTypes: stage.binaryMediaTypes,
      accept: header(request.headers, "accept"),
    });
    if (!mapped.ok) {
      context["integration.error"] = `Execution failed due to configuration error: ${mapped.reason}`;
      return fail(GATEWAY_ERRORS.badIntegrationResponse(), context["integration.error"]);
    }
    return finish(mapped.response);
  };
}
export type RequestHandler = ReturnType<typeof requestPipeline>;
