import { ERROR_CODES, domainError, isDomainError, type DomainError } from "../domain/errors";

const THROTTLING = [
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "LimitExceededException",
  "SlowDown",
];
const NOT_FOUND = ["ResourceNotFoundException", "NotFoundException", "NoSuchKey", "NoSuchBucket"];
const CONFLICT = ["ConditionalCheckFailedException", "PreconditionFailed", "AlreadyExistsException"];
const NETWORK = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "TimeoutError", "RequestTimeout"];

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Translates an AWS SDK error into the domain's vocabulary: throttled, unavailable, conflict, not found. */
export function mapAwsError(error: unknown, action: string): DomainError {
  if (isDomainError(error) && Object.values(ERROR_CODES).includes(error.code)) return error;
  const aws = (error ?? {}) as AwsLikeError;
  const name = aws.name ?? aws.code ?? "Error";
  const status = aws.$metadata?.httpStatusCode;
  const message = `${action} failed: ${name}${aws.message ? `: ${aws.message}` : ""}`;
  const details = { awsError: name, ...(status === undefined ? {} : { httpStatusCode: status }) };
  if (THROTTLING.includes(name) || status === 429) {
    return domainError(ERROR_CODES.throttled, message, { retryable: true, details, cause: error });
  }
  if (CONFLICT.includes(name) || status === 412)
    return domainError(ERROR_CODES.conflict, message, { details, cause: error });
  if (NOT_FOUND.includes(name)) return domainError(ERROR_CODES.notFound, message, { details, cause: error });
  if (
    NETWORK.includes(name) ||
    NETWORK.includes(aws.code ?? "") ||
    (status !== undefined && status >= 500) ||
    aws.$retryable
  ) {
    return domainError(ERROR_CODES.unavailable, message, { retryable: true, details, cause: error });
  }
  return domainError(ERROR_CODES.permanentFailure, message, { details, cause: error });
}

/** Runs one AWS call and maps whatever it throws. */
export async function callAws<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapAwsError(error, action);
  }
}
