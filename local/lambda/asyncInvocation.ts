import { randomUUID } from "node:crypto";
import type { InvokeOutcome } from "./functionRunner";

/**
 * Lambda's asynchronous invocation: the event is queued, a failed attempt (an error, a timeout) is
 * retried after one minute and again after two more, within the retry count and the maximum event
 * age of the function's event invoke config; what still fails goes to the on-failure destination as
 * an invocation record. The waits are divided by `timeScale` locally.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export interface AsyncInvocationConfig {
  functionArn: string;
  /** 0 to 2; Lambda's default is 2. */
  maximumRetryAttempts: number;
  /** 60 to 21,600 seconds; Lambda's default is 6 hours. */
  maximumEventAgeInSeconds: number;
  /** The on-failure destination (an SQS queue ARN), if any. */
  onFailureDestination?: string;
}

export const DEFAULT_ASYNC_CONFIG = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 } as const;
/** Waits before the second and the third attempt. */
const RETRY_DELAYS_SECONDS = [60, 120];

export interface InvocationRecord {
  version: "1.0";
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: "RetriesExhausted" | "EventAgeExceeded";
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
  responsePayload: { errorType: string; errorMessage: string };
}

export interface AsyncInvokerOptions {
  invoke(event: unknown): Promise<InvokeOutcome>;
  /** Sends the record to the destination with the function's role; rejects when that fails. */
  sendToDestination(destinationArn: string, record: InvocationRecord): Promise<void>;
  log(level: "INFO" | "WARN" | "ERROR", message: string): void;
  timeScale: number;
  now?: () => number;
}

export function createAsyncInvoker(config: AsyncInvocationConfig, options: AsyncInvokerOptions) {
  const now = options.now ?? Date.now;
  const pending = new Set<Promise<void>>();
  const counts = { invoked: 0, succeeded: 0, sentToDestination: 0, dropped: 0, destinationFailures: 0 };

  async function run(event: unknown, requestId: string, queuedAt: number): Promise<void> {
    let last: InvokeOutcome | undefined;
    for (let attempt = 1; attempt <= config.maximumRetryAttempts + 1; attempt++) {
      if (attempt > 1) {
        const delay = (RETRY_DELAYS_SECONDS[attempt - 2] * 1000) / options.timeScale;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      const age = (now() - queuedAt) / 1000;
      if (age * options.timeScale > config.maximumEventAgeInSeconds)
        return finish(event, requestId, attempt - 1, "EventAgeExceeded", last);
      last = await options.invoke(event);
      counts.invoked += 1;
      if (last.ok) {
        counts.succeeded += 1;
        return;
      }
      options.log(
        "WARN",
        `asynchronous invocation ${requestId} attempt ${attempt} failed: ${last.errorMessage}`,
      );
    }
    return finish(event, requestId, config.maximumRetryAttempts + 1, "RetriesExhausted", last);
  }

  async function finish(
    event: unknown,
    requestId: string,
    attempts: number,
    condition: InvocationRecord["requestContext"]["condition"],
    last: InvokeOutcome | undefined,
  ): Promise<void> {
    if (!config.onFailureDestination) {
      counts.dropped += 1;
      options.log(
        "ERROR",
        `asynchronous invocation ${requestId} discarded (${condition}); no on-failure destination`,
      );
      return;
    }
    const record: InvocationRecord = {
      version: "1.0",
      timestamp: new Date(now()).toISOString(),
      requestContext: {
        requestId,
        functionArn: `${config.functionArn}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload:
        last && !last.ok
          ? { errorType: last.errorType, errorMessage: last.errorMessage }
          : { errorType: "EventAgeExceeded", errorMessage: "the event expired before it could be processed" },
    };
    try {
      await options.sendToDestination(config.onFailureDestination, record);
      counts.sentToDestination += 1;
    } catch (error) {
      // Lambda counts these as DestinationDeliveryFailures.
      counts.destinationFailures += 1;
      options.log(
        "ERROR",
        `asynchronous invocation ${requestId} could not reach its destination: ${String(error)}`,
      );
    }
  }

  return {
    counts,
    /** Queues the event and returns at once, as an `Event` invocation does (HTTP 202). */
    invoke(event: unknown): string {
      const requestId = randomUUID();
      const job = run(event, requestId, now()).finally(() => pending.delete(job));
      pending.add(job);
      return requestId;
    },
    /** Resolves when every queued invocation has ended (for tests and shutdown). */
    async drain(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
