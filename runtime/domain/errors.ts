/**
 * Domain errors are plain `Error`s with a `code`: Pulumi's closure serializer loses the message and
 * prototype of `Error` subclasses, so code that runs in Lambda never defines one.
 */
export const ERROR_CODES = {
  validationFailed: "VALIDATION_FAILED",
  invalidJson: "INVALID_JSON",
  payloadTooLarge: "PAYLOAD_TOO_LARGE",
  notFound: "NOT_FOUND",
  conflict: "CONFLICT",
  throttled: "THROTTLED",
  unavailable: "UNAVAILABLE",
  permanentFailure: "PERMANENT_FAILURE",
  configuration: "CONFIGURATION",
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface FieldError {
  /** Dotted path of the offending field, for example `amount.value`. */
  field: string;
  /** Stable machine-readable rule name, for example `required`, `unknown`, `max`. */
  rule: string;
  /** What is wrong and what to send instead. */
  message: string;
}

export interface DomainError extends Error {
  code: ErrorCode;
  retryable: boolean;
  fields?: FieldError[];
  /** Field errors found but not listed in `fields`, which is bounded. */
  fieldsOmitted?: number;
  details?: Record<string, unknown>;
}

export function domainError(
  code: ErrorCode,
  message: string,
  extra: {
    retryable?: boolean;
    fields?: FieldError[];
    fieldsOmitted?: number;
    details?: Record<string, unknown>;
    cause?: unknown;
  } = {},
): DomainError {
  const error = new Error(message) as DomainError;
  error.code = code;
  error.retryable = extra.retryable ?? (code === ERROR_CODES.throttled || code === ERROR_CODES.unavailable);
  if (extra.fields) error.fields = extra.fields;
  if (extra.fieldsOmitted) error.fieldsOmitted = extra.fieldsOmitted;
  if (extra.details) error.details = extra.details;
  if (extra.cause !== undefined) (error as Error & { cause?: unknown }).cause = extra.cause;
  return error;
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof Error && typeof (error as Partial<DomainError>).code === "string";
}

export function isRetryable(error: unknown): boolean {
  return isDomainError(error) && error.retryable;
}
