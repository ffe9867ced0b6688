import { createServer, type ServerResponse } from "node:http";
import { buffer } from "node:stream/consumers";
import type { CredentialStore, LambdaInvoker } from "../cloud/types";
import type { PlannedResource } from "../iam/stackModel";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import { renderContextTemplate, unsupportedInTemplate } from "./contextVariables";
import { GATEWAY_ERRORS, gatewayResponses } from "./gatewayResponses";
import { readRoutes, routeMatcher, type OpenApiDocument } from "./openApiRoutes";
import { requestPipeline, type ExecutionLogEntry, type IncomingApiRequest } from "./requestPipeline";
import { stageThrottle } from "./stageThrottle";
import { listenLocally } from "../listenLocally";

/**
 * A REST API stage served on 127.0.0.1, built only from the planned RestApi (its OpenAPI body:
 * routes, Lambda proxy integrations, AWS_IAM, resource policy, gateway responses, binary media
 * types), its Stage (name, variables, access log format) and the stage's MethodSettings (throttling).
 * The stage URL is `http://127.0.0.1:<port>/<stage>`: plain HTTP on the loopback interface, where
 * AWS serves HTTPS only; IAM evaluates requests as if they came over TLS (`aws:SecureTransport`).
 */
export interface RestApiOptions {
  /** `aws:apigateway/restApi:RestApi`, with its OpenAPI `body` (JSON). */
  restApi: PlannedResource;
  /** `aws:apigateway/stage:Stage`. */
  stage: PlannedResource;
  /** `aws:apigateway/methodSettings:MethodSettings` of the API (those of other stages are ignored). */
  methodSettings: PlannedResource[];
  /** `arn:aws:execute-api:<region>:<account>:<api id>` */
  executionArn: string;
  region: string;
  accountId: string;
  credentials: CredentialStore;
  authorizer: StackAuthorizer;
  lambda: Pick<LambdaInvoker, "invoke">;
  /** 0 (the default) picks a free port. */
  port?: number;
  now?: () => number;
  log?: ApiGatewayLog;
}

export interface ApiGatewayLog {
  /** One line per request, in the stage's access log format (none when the stage sets no format). */
  access(line: string): void;
  /** Why a request was refused or failed, with the IAM statements that decided. */
  execution(entry: ExecutionLogEntry): void;
}

export interface RunningRestApi {
  /** The stage URL: `http://127.0.0.1:<port>/<stage>`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const CONSOLE_LOG: ApiGatewayLog = {
  access: (line) => process.stdout.write(`${line}\n`),
  execution: (entry) => process.stderr.write(`${JSON.stringify({ source: "apigateway", ...entry })}\n`),
};

function openApiBody(restApi: PlannedResource): OpenApiDocument {
  try {
    return JSON.parse(String(restApi.inputs.body)) as OpenApiDocument;
  } catch {
    throw new Error(
      `The REST API ${restApi.name} has no OpenAPI body in JSON: the local API Gateway builds a stage only from one`,
    );
  }
}

function accessLogFormat(stage: PlannedResource): string | undefined {
  const format = (stage.inputs.accessLogSettings as { format?: string } | undefined)?.format;
  const reason = format && unsupportedInTemplate(format);
  if (reason)
    throw new Error(`The access log format of stage ${stage.name} cannot be rendered locally: ${reason}`);
  return format;
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string[]>,
  body: Buffer,
): void {
  response.statusCode = status;
  for (const [name, values] of Object.entries(headers)) {
    // The length and the connection are this server's, as API Gateway sets its own.
    if (!["content-length", "transfer-encoding", "connection"].includes(name.toLowerCase())) {
      response.setHeader(name, values);
    }
  }
  response.end(body);
}

export async function startRestApi(options: RestApiOptions): Promise<RunningRestApi> {
  const body = openApiBody(options.restApi);
  const stageName = String(options.stage.inputs.stageName);
  const now = options.now ?? Date.now;
  const log = options.log ?? CONSOLE_LOG;
  const format = accessLogFormat(options.stage);
  const respond = gatewayResponses(
    body["x-amazon-apigateway-gateway-responses"] as Parameters<typeof gatewayResponses>[0],
  );
  const throttle = stageThrottle(options.methodSettings, stageName, now);
  const handle = requestPipeline(
    {
      apiId: options.executionArn.split(":").pop()!,
      accountId: options.accountId,
      region: options.region,
      stageName,
      executionArn: options.executionArn,
      stageVariables: (options.stage.inputs.variables as Record<string, string> | undefined) ?? null,
      binaryMediaTypes: [
        ...(body["x-amazon-apigateway-binary-media-types"] ?? []),
        ...((options.restApi.inputs.binaryMediaTypes as string[] | undefined) ?? []),
      ],
      match: routeMatcher(readRoutes(body)),
      admit: (resourcePath, httpMethod) => throttle.admit(resourcePath, httpMethod),
      respond,
    },
    { credentials: options.credentials, authorizer: options.authorizer, lambda: options.lambda, now },
  );

  const server = createServer(async (request, response) => {
    try {
      const received: IncomingApiRequest = {
        httpMethod: request.method ?? "GET",
        target: request.url ?? "/",
        rawHeaders: request.rawHeaders,
        headers: request.headers,
        body: await buffer(request),
        sourceIp: request.socket.remoteAddress ?? "",
        port: request.socket.localPort ?? 0,
        protocol: `HTTP/${request.httpVersion}`,
      };
      const outcome = await handle(received);
      send(response, outcome.response.status, outcome.response.headers, outcome.response.body);
      if (outcome.execution) log.execution(outcome.execution);
      if (format) log.access(renderContextTemplate(format, outcome.context, "-"));
    } catch (error) {
      log.execution({
        requestId: "",
        httpMethod: request.method ?? "",
        path: request.url ?? "",
        status: 500,
        message: `The local API Gateway failed: ${error instanceof Error ? error.stack : String(error)}`,
      });
      if (!response.headersSent) {
        const answer = respond(GATEWAY_ERRORS.internalError(), {});
        response.writeHead(answer.status, answer.headers).end(answer.body);
      }
    }
  });
  const port = options.port ?? 0;
  const url = await listenLocally(server, port).catch((error: NodeJS.ErrnoException) => {
    const why = error.code === "EADDRINUSE" ? "the port is in use" : error.message;
    throw new Error(
      `The local API Gateway cannot listen on 127.0.0.1:${port}: ${why}. Give another port, or 0 for a free one.`,
    );
  });
  server.on("error", (error) =>
    log.execution({
      requestId: "",
      httpMethod: "",
      path: "",
      status: 0,
      message: `Server error: ${error.message}`,
    }),
  );
  return {
    url: `${url}/${stageName}`,
    port: Number(new URL(url).port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
