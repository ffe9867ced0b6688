/**
 * Why a delivery to a target failed, in the words EventBridge puts in a dead-letter message's
 * ERROR_CODE (https://docs.aws.amazon.com/eventbridge/latest/userguide/rule-dlq.html lists them),
 * and whether it retries: it retries throttling and server errors (HTTP 429 and 5xx) and sends
 * missing permissions and a target that no longer exists to the dead-letter queue at once.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * https://repost.aws/knowledge-center/eventbridge-resolve-failedinvocation-errors
 */
export interface DeliveryFailure {
  code: string;
  message: string;
  retryable: boolean;
}

const MISSING_TARGET = [
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
  "ResourceNotFoundException",
];
const THROTTLING = ["ThrottlingException", "RequestThrottled", "TooManyRequestsException", "Throttling"];
const CONNECTION = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND"];

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function permissionFailure(message: string): DeliveryFailure {
  return { code: "NO_PERMISSIONS", message, retryable: false };
}

/** What a target's client (the queue sender, the Lambda invoker) threw. */
export function targetFailure(error: unknown): DeliveryFailure {
  const { name = "", code = "", message = String(error), $metadata } = (error ?? {}) as ErrorLike;
  const status = $metadata?.httpStatusCode;
  if (MISSING_TARGET.includes(name)) return { code: "NO_RESOURCE", message, retryable: false };
  if (THROTTLING.includes(name) || status === 429) return { code: "THROTTLING", message, retryable: true };
  if (CONNECTION.includes(code)) return { code: "CONNECTION_FAILURE", message, retryable: true };
  if (status !== undefined && status >= 400 && status < 500)
    return { code: "SDK_CLIENT_ERROR", message, retryable: false };
  return { code: "INTERNAL_ERROR", message, retryable: true };
}
