import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { CredentialStore, LambdaInvoker } from "../cloud/types";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import { receiveRequest, verifySignature } from "../sigv4/verifySignature";
import { listenLocally } from "../listenLocally";

/**
 * Lambda's `Invoke` API for people and tools outside the local cloud (an operator re-invoking a
 * function with a dead-lettered event): REST-JSON, `POST /2015-03-31/functions/{FunctionName}/invocations`,
 * signed with SigV4 for the service `lambda`, authorized as `lambda:InvokeFunction` on the function
 * with the caller's identity policies and the function's permissions. `X-Amz-Invocation-Type`:
 * `RequestResponse` (the default) answers 200 with the function's result, `Event` queues an
 * asynchronous invocation and answers 202, `DryRun` only authorizes and answers 204.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export interface InvokeServerOptions {
  region: string;
  accountId: string;
  credentials: CredentialStore;
  authorizer: StackAuthorizer;
  invoker: LambdaInvoker;
  /** The function a name or ARN (unqualified, or qualified `$LATEST`) designates, if the stack has it. */
  functionArnOf(nameOrArn: string): string | undefined;
  port?: number;
  now?: () => number;
  log(level: "INFO" | "WARN" | "ERROR", message: string): void;
}

const INVOCATIONS = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const INVOCATION_TYPES = ["RequestResponse", "Event", "DryRun"] as const;

/** REST-JSON errors: the type in `x-amzn-ErrorType`, a message in the body. */
function fail(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-errortype": type,
    "x-amzn-requestid": randomUUID(),
  });
  response.end(JSON.stringify({ Type: "User", message }));
}

const SIGNATURE_ERRORS = {
  MissingAuthenticationToken: "MissingAuthenticationTokenException",
  IncompleteSignature: "IncompleteSignatureException",
  InvalidSignature: "InvalidSignatureException",
  SignatureExpired: "InvalidSignatureException",
  UnrecognizedClient: "UnrecognizedClientException",
} as const;

/** The function named in the path, without a `$LATEST` qualifier (the only version the local cloud runs). */
function functionIn(path: string, query: URLSearchParams): string | undefined {
  const match = INVOCATIONS.exec(path);
  if (!match) return undefined;
  const named = decodeURIComponent(match[1]).replace(/:\$LATEST$/, "");
  const qualifier = query.get("Qualifier");
  return qualifier === null || qualifier === "$LATEST" ? named : `${named}:${qualifier}`;
}

export async function startInvokeServer(
  options: InvokeServerOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const received = await receiveRequest(request);
    const verified = await verifySignature(received, {
      service: "lambda",
      region: options.region,
      principalOf: (accessKeyId) => options.credentials.byAccessKey(accessKeyId),
      now: options.now,
    });
    if (!verified.ok) return fail(response, 403, SIGNATURE_ERRORS[verified.code], verified.message);
    const [path, rawQuery = ""] = (request.url ?? "/").split(/\?(.*)/s);
    const named = request.method === "POST" ? functionIn(path, new URLSearchParams(rawQuery)) : undefined;
    if (named === undefined) {
      return fail(
        response,
        404,
        "UnknownOperationException",
        `The local Lambda serves Invoke only (POST /2015-03-31/functions/{FunctionName}/invocations), not ${request.method} ${path}`,
      );
    }
    const type = String(request.headers["x-amz-invocation-type"] ?? "RequestResponse");
    if (!(INVOCATION_TYPES as readonly string[]).includes(type)) {
      return fail(
        response,
        400,
        "InvalidParameterValueException",
        `X-Amz-Invocation-Type must be one of ${INVOCATION_TYPES.join(", ")}`,
      );
    }
    // IAM decides on the ARN the request names before Lambda says whether the function exists.
    const functionArn = options.functionArnOf(named);
    const requestedArn = named.startsWith("arn:")
      ? named
      : `arn:aws:lambda:${options.region}:${options.accountId}:function:${named}`;
    const { principal } = verified;
    const decision = await options.authorizer.check(
      principal.caller,
      { action: "lambda:InvokeFunction", resource: functionArn ?? requestedArn, context: {} },
      principal.policies,
    );
    if (!decision.allowed) {
      options.log("WARN", `Invoke by ${principal.name} refused: ${decision.message}`);
      return fail(response, 403, "AccessDeniedException", decision.message);
    }
    if (!functionArn) {
      return fail(response, 404, "ResourceNotFoundException", `Function not found: ${requestedArn}`);
    }
    let event: unknown;
    try {
      event = received.body.length > 0 ? JSON.parse(received.body.toString("utf8")) : {};
    } catch {
      return fail(response, 400, "InvalidRequestContentException", "Could not parse request body into json");
    }
    if (type === "DryRun") {
      response.writeHead(204);
      return void response.end();
    }
    if (type === "Event") {
      await options.invoker.invokeAsync(functionArn, event);
      options.log("INFO", `${principal.name} queued an asynchronous invocation of ${functionArn}`);
      response.writeHead(202, { "x-amzn-requestid": randomUUID() });
      return void response.end();
    }
    const outcome = await options.invoker.invoke(functionArn, event);
    response.writeHead(200, {
      "content-type": "application/json",
      "x-amz-executed-version": "$LATEST",
      "x-amzn-requestid": outcome.requestId,
      ...(outcome.ok ? {} : { "x-amz-function-error": "Unhandled" }),
    });
    response.end(
      JSON.stringify(
        outcome.ok ? outcome.result : { errorType: outcome.errorType, errorMessage: outcome.errorMessage },
      ) ?? "null",
    );
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log("ERROR", `Invoke failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent)
        fail(response, 500, "ServiceException", "The local Lambda failed; see its log");
      else response.destroy();
    });
  });
  const url = await listenLocally(server, options.port);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
