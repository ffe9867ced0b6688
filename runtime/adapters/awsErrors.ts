import { ERROR_CODES, domainError, isDomainError, type DomainError } from "../domain/errors";
import { redactEmailAddresses } from "../domain/privacy";

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
/** A table, secret, bucket or template that is not there is a deployment problem, not a caller's. */
const MISSING_RESOURCE = ["ResourceNotFoundException", "NotFoundException", "NoSuchBucket"];
const CONFLICT = [
  "ConditionalCheckFailedException",
  "PreconditionFailed",
  "ConditionalRequestConflict",
  "AlreadyExistsException",
];

const NETWORK = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "TimeoutError", "RequestTimeout"];

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Translates an AWS SDK error into the domain's vocabulary: throttled, unavailable, conflict, configuration. */
export function mapAwsError(error: unknown, action: string): DomainError {
  if (isDomainError(error) && Object.values(ERROR_CODES).includes(error.code)) return error;
  const aws = (error ?? {}) as AwsLikeError;
  const name = aws.name ?? aws.code ?? "Error";
  const status = aws.$metadata?.httpStatusCode;
  const awsMessage = aws.message && redactEmailAddresses(aws.message);
  const message = `${action} failed: ${name}${awsMessage ? `: ${awsMessage}` : ""}`;
  const details = { awsError: name, ...(status === undefined ? {} : { httpStatusCode: status }) };
  if (THROTTLING.includes(name) || status === 429) {
    return domainError(ERROR_CODES.throttled, message, { retryable: true, details, cause: error });
  }
  if (CONFLICT.includes(name) || status === 412)
    return domainError(ERROR_CODES.conflict, message, { details, cause: error });
  if (MISSING_RESOURCE.includes(name)) {
    return domainError(ERROR_CODES.configuration, message, { details, cause: error });
  }
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
