import type { OperationInput } from "../../runtime/domain/operationSchema";
import { callApi, type ApiAnswer, type ApiTarget } from "./signedApi";

/**
 * What core banking does with one operation: POST it, signed as the producer, and retry what the
 * API says is worth retrying (429, 5xx, no answer) with the same id and body: the id is the
 * idempotency key, so a retry after a lost answer never records the operation twice.
 */
export interface SubmissionAttempt {
  /** `202`, `429 THROTTLED`, `503 UNAVAILABLE`, `network ECONNRESET`, … */
  kind: string;
  status: number;
  /** The request id a 5xx answer quotes, if any. */
  requestId?: string;
  /** When the answer came (or the attempt failed). */
  at: number;
}

export interface Submission {
  operation: OperationInput;
  scheduledAt: number;
  accepted: boolean;
  attempts: SubmissionAttempt[];
  /** When the 202 came back. */
  acceptedAt?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  /** Full jitter: a random wait up to base × 2^attempt, at most `capMs`, and at least Retry-After. */
  baseMs: number;
  capMs: number;
}

export const PRODUCER_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseMs: 250, capMs: 4_000 };

function kindOf(answer: ApiAnswer): string {
  if (answer.networkError) return `network ${answer.networkError}`;
  const error = answer.body.error as { code?: string } | undefined;
  const label = error?.code ?? (typeof answer.body.message === "string" ? answer.body.message : undefined);
  return label ? `${answer.status} ${label}` : String(answer.status);
}

const retryable = (answer: ApiAnswer) => answer.status === 0 || answer.status === 429 || answer.status >= 500;

export async function submitOperation(
  target: ApiTarget,
  operation: OperationInput,
  scheduledAt: number,
  options: {
    policy?: RetryPolicy;
    now?: () => number;
    random?: () => number;
    /** Called after each attempt, before any wait for the next. */
    onAttempt?: (attempt: SubmissionAttempt) => void;
  } = {},
): Promise<Submission> {
  const policy = options.policy ?? PRODUCER_RETRY_POLICY;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const submission: Submission = { operation, scheduledAt, accepted: false, attempts: [] };
  for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
    const answer = await callApi(target, "producer", "POST", "/operations", operation);
    const requestId = (answer.body.error as { requestId?: string } | undefined)?.requestId;
    const made: SubmissionAttempt = {
      kind: kindOf(answer),
      status: answer.status,
      ...(requestId ? { requestId } : {}),
      at: now(),
    };
    submission.attempts.push(made);
    options.onAttempt?.(made);
    if (answer.status === 202) {
      submission.accepted = true;
      submission.acceptedAt = now();
      return submission;
    }
    if (!retryable(answer)) return submission;
    const retryAfterMs = Number(answer.headers.get("retry-after") ?? 0) * 1000;
    const backoffMs = random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfterMs, backoffMs)));
  }
  return submission;
}
