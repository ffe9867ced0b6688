import { createServer, type ServerResponse } from "node:http";
import type { AwsFault } from "../awsJsonServer";
import type { CredentialStore, LocalPrincipal } from "../cloud/types";
import { receiveRequest, verifySignature, type Verification } from "../sigv4/verifySignature";
import type { EventBridgeLog } from "./targetDelivery";
import { listenLocally } from "../listenLocally";

/**
 * EventBridge's endpoint for PutEvents: AWS JSON 1.1 (`X-Amz-Target: AWSEvents.PutEvents`), every
 * request signed with SigV4 for the service `events`. A request that is not signed, or not signed
 * by a key the local cloud issued, is refused before anything else, with the error types AWS's
 * JSON-protocol services answer (HTTP 400 and a `__type`).
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export type PutEventsHandler = (
  input: Record<string, unknown>,
  principal: LocalPrincipal,
) => Promise<{ ok: true; output: unknown } | { ok: false; fault: AwsFault }>;

export interface PutEventsServerOptions {
  /** 0 (the default) picks a free port; a port in use is replaced by a free one, with a warning. */
  port?: number;
  region: string;
  credentials: CredentialStore;
  now: () => number;
  log: EventBridgeLog;
  putEvents: PutEventsHandler;
}

const TARGET = "AWSEvents.PutEvents";

const SIGNATURE_ERRORS: Record<Extract<Verification<unknown>, { ok: false }>["code"], string> = {
  MissingAuthenticationToken: "MissingAuthenticationTokenException",
  IncompleteSignature: "IncompleteSignatureException",
  InvalidSignature: "InvalidSignatureException",
  SignatureExpired: "InvalidSignatureException",
  UnrecognizedClient: "UnrecognizedClientException",
};

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
  response.end(JSON.stringify(body));
}

function fault(response: ServerResponse, { status, type, message }: AwsFault): void {
  answer(response, status, { __type: type, message });
}

function parseInput(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8") || "{}") as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export async function startPutEventsServer(
  options: PutEventsServerOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (request, response) => {
    try {
      const received = await receiveRequest(request);
      const verified = await verifySignature(received, {
        service: "events",
        region: options.region,
        principalOf: (accessKeyId) => options.credentials.byAccessKey(accessKeyId),
        now: options.now,
      });
      if (!verified.ok) {
        options.log("warn", `PutEvents refused: ${verified.code}: ${verified.message}`);
        return fault(response, {
          status: 400,
          type: SIGNATURE_ERRORS[verified.code],
          message: verified.message,
        });
      }
      const target = String(request.headers["x-amz-target"] ?? "");
      if (target !== TARGET) {
        return fault(response, {
          status: 400,
          type: "UnknownOperationException",
          message: `The local EventBridge serves ${TARGET} only, not ${target || "a request without X-Amz-Target"}`,
        });
      }
      const input = parseInput(received.body);
      if (!input) {
        return fault(response, {
          status: 400,
          type: "SerializationException",
          message: "The body is not a JSON object",
        });
      }
      const result = await options.putEvents(input, verified.principal);
      if (!result.ok) return fault(response, result.fault);
      answer(response, 200, result.output);
    } catch (error) {
      options.log("error", `PutEvents failed: ${(error as Error).stack ?? String(error)}`);
      fault(response, {
        status: 500,
        type: "InternalException",
        message: "The local EventBridge failed; see its log",
      });
    }
  });
  const port = options.port ?? 0;
  let url: string;
  try {
    url = await listenLocally(server, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === 0) throw error;
    options.log("warn", `port ${port} is in use: EventBridge listens on a free port instead`);
    url = await listenLocally(server, 0);
  }
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections open; close would otherwise wait for them.
        server.closeAllConnections();
      }),
  };
}
