import { randomUUID } from "node:crypto";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { CredentialStore, LocalPrincipal } from "../cloud/types";
import { iamRequestsOf, type AccountScope, type SdkCall, type SesIdentityOf } from "../iam/sdkRequests";
import type { CheckedRequest, StackAuthorizer } from "../iam/stackAuthorizer";
import { receiveRequest, verifySignature, type ReceivedRequest } from "../sigv4/verifySignature";
import { awsErrorResponse, faultResponse, type ErrorResponse } from "./awsErrorResponse";
import { SIGNING_NAMES, sdkCallOf, type ProxiedService } from "./awsProtocols";
import { listenLocally } from "../listenLocally";

/**
 * Sits in front of a local stand-in that authenticates nothing (dynalite, fauxqs, the SES emulator,
 * the Secrets Manager stand-in): verifies the SigV4 signature, maps the access key to the principal
 * the local cloud issued it to, maps the request to the IAM requests AWS would evaluate (with the
 * KMS calls the service makes with the caller's credentials), and forwards it only when the stack's
 * policies allow every one. A request it cannot map is refused: it fails closed.
 */
export interface ProxyDecision {
  service: ProxiedService;
  principal?: string;
  call?: SdkCall;
  allowed: boolean;
  /** What AWS would say, with the statements that decided. */
  message: string;
}

export interface AuthorizingProxyOptions {
  service: ProxiedService;
  /** Where the unauthenticating stand-in listens. */
  upstream: string;
  scope: AccountScope;
  credentials: CredentialStore;
  authorizer: StackAuthorizer;
  sesIdentityOf: SesIdentityOf;
  port?: number;
  onDecision?: (decision: ProxyDecision) => void;
  onResponse?: ResponseInspector;
  /** Changes an authorized request's body before the stand-in sees it (the local names of its resources). */
  rewriteBody?: (call: SdkCall, body: Buffer) => Promise<Buffer>;
  /** A fault to inject in this call, if any (load and fault scenarios; none by default). */
  faultFor?: (principal: LocalPrincipal, call: SdkCall) => InjectedFault | undefined;
  now?: () => number;
}

function reply(response: ServerResponse, error: ErrorResponse): void {
  response.writeHead(error.status, error.headers);
  response.end(error.body);
}

/** A service misbehaving on purpose: slow before or after acting, or failing with an AWS error. */
export interface InjectedFault {
  delayBeforeMs?: number;
  delayAfterMs?: number;
  error?: { status: number; code: string; message: string };
}

/** What a forwarded call answered, for a service that acts on it (SES publishing its events). */
export type ResponseInspector = (
  principal: LocalPrincipal,
  call: SdkCall,
  answer: { status: number; body: Buffer },
) => void;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Forwards the request; `delayAfterMs` holds the answer back once the stand-in has acted on it (a
 * slow network on the way back: the call happened, the caller does not know yet).
 */
function forward(
  upstream: URL,
  received: ReceivedRequest,
  response: ServerResponse,
  inspect: (answer: { status: number; body: Buffer }) => void,
  delayAfterMs = 0,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: received.method,
        path: received.url,
        headers: { ...received.headers, host: upstream.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          inspect({ status: answer.statusCode ?? 502, body });
          setTimeout(() => {
            if (!response.destroyed) {
              response.writeHead(answer.statusCode ?? 502, answer.headers);
              response.end(body);
            }
            resolve();
          }, delayAfterMs);
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(received.body);
  });
}

export async function startAuthorizingProxy(
  options: AuthorizingProxyOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(options.upstream);
  const decide = (decision: ProxyDecision) => options.onDecision?.(decision);

  async function authorize(principal: LocalPrincipal, call: SdkCall): Promise<CheckedRequest[]> {
    const requests = iamRequestsOf(call, options.scope, options.sesIdentityOf);
    const checked = await Promise.all(
      requests.map((request) =>
        options.authorizer.checkWithKey(principal.caller, request, principal.policies),
      ),
    );
    return checked.flat();
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const received = await receiveRequest(request);
    const verified = await verifySignature(received, {
      service: SIGNING_NAMES[options.service],
      region: options.scope.region,
      principalOf: (key) => options.credentials.byAccessKey(key),
      now: options.now,
    });
    if (!verified.ok) {
      decide({ service: options.service, allowed: false, message: verified.message });
      return reply(response, awsErrorResponse(options.service, verified.code, verified.message, requestId));
    }
    const principal = verified.principal;
    let call: SdkCall | undefined;
    try {
      call = sdkCallOf(options.service, received);
    } catch {
      call = undefined;
    }
    if (!call) {
      const message = `The local cloud cannot tell which ${options.service} operation ${received.method} ${received.url} is, so it refuses it`;
      decide({ service: options.service, principal: principal.name, allowed: false, message });
      return reply(response, awsErrorResponse(options.service, "AccessDenied", message, requestId));
    }
    let checked: CheckedRequest[];
    try {
      checked = await authorize(principal, call);
    } catch (error) {
      const message = `The local cloud cannot authorize ${call.command}: ${error instanceof Error ? error.message : String(error)}`;
      decide({ service: options.service, principal: principal.name, call, allowed: false, message });
      return reply(response, awsErrorResponse(options.service, "AccessDenied", message, requestId));
    }
    const denied = checked.find(({ decision }) => !decision.allowed);
    if (denied) {
      decide({
        service: options.service,
        principal: principal.name,
        call,
        allowed: false,
        message: denied.decision.message,
      });
      return reply(
        response,
        awsErrorResponse(options.service, "AccessDenied", denied.decision.message, requestId),
      );
    }
    decide({
      service: options.service,
      principal: principal.name,
      call,
      allowed: true,
      message: `${principal.name}: ${call.command}`,
    });
    const fault = options.faultFor?.(principal, call);
    if (fault?.delayBeforeMs) {
      let gone = false;
      response.once("close", () => (gone = true));
      await sleep(fault.delayBeforeMs);
      // A caller that gave up (a function stopped at its timeout) never reaches the service.
      if (gone) return;
    }
    if (fault?.error) {
      const { status, code, message } = fault.error;
      return reply(response, faultResponse(options.service, status, code, message, requestId));
    }
    const inspect = options.onResponse;
    const body = options.rewriteBody ? await options.rewriteBody(call, received.body) : received.body;
    await forward(
      upstream,
      { ...received, body, headers: { ...received.headers, "content-length": String(body.length) } },
      response,
      (answer) => {
        inspect?.(principal, call, answer);
      },
      fault?.delayAfterMs,
    );
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ message: `local proxy failure: ${String(error)}` }));
      } else response.destroy();
    });
  });
  const url = await listenLocally(server, options.port);
  return {
    url,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
