import type { Caller, NamedPolicy } from "../iam/evaluator";
import type { InvokeOutcome } from "../lambda/functionRunner";

/**
 * The seams between the local cloud's services: who calls (credentials the local cloud issued), how
 * a function is invoked, how a message reaches a queue. Each service takes these and nothing else
 * of the others, so each can be built and tested alone.
 */

/** A principal the local cloud issued credentials to. */
export interface LocalPrincipal {
  /** `producer`, `customerAdmin`, `outsider`, or a function's name. */
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** As the IAM evaluator sees it: a role session, with its role's ARN. */
  caller: Caller;
  /** The identity policies evaluated for it. */
  policies: NamedPolicy[];
}

export interface CredentialStore {
  byAccessKey(accessKeyId: string): LocalPrincipal | undefined;
  byName(name: string): LocalPrincipal | undefined;
  all(): LocalPrincipal[];
}

export type { InvokeOutcome };

/** Invokes a function the way Lambda does; the outcome says whether the handler succeeded. */
export interface LambdaInvoker {
  /** A synchronous (RequestResponse) invocation. */
  invoke(functionArnOrName: string, event: unknown): Promise<InvokeOutcome>;
  /**
   * An asynchronous (Event) invocation: Lambda queues it, retries a failed one twice, then sends it
   * to the on-failure destination. Resolves once it is queued.
   */
  invokeAsync(functionArnOrName: string, event: unknown): Promise<void>;
}

/** Sends a message to a queue known by its ARN, as the given AWS service principal or function. */
export interface QueueSender {
  sendMessage(
    queueArn: string,
    body: string,
    attributes?: Record<string, { DataType: "String" | "Number"; StringValue: string }>,
  ): Promise<{ messageId: string }>;
}
