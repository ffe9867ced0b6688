import { ValidationError, object, string, type ObjectShape, type Schema } from "yup";
import { ERROR_CODES, domainError, type DomainError, type FieldError } from "./errors";
import { BIDI_CONTROL_NAMES, hasBidiControl } from "./unicodeText";

/**
 * Shared yup building blocks. Everything here builds schemas on demand: a yup schema holds `Set`
 * subclasses, which Pulumi's closure serializer cannot capture, so schemas are created inside
 * handler factories and never at module level.
 */

export const IDENTIFIER_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;
const MARKUP_CHARACTERS = /[<>]/;

/**
 * At most this many field errors are listed in an answer; the rest are counted. A body with thousands
 * of unknown fields must not grow an error larger than Lambda's 6 MB response limit.
 */
export const MAX_LISTED_FIELD_ERRORS = 20;

function joinPath(parent: string | undefined, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/**
 * An object schema that rejects unknown fields, each named in its own error up to a bound, then the
 * number of the others in one error at the object's path.
 */
export function closedObject<S extends ObjectShape>(shape: S) {
  const known = Object.keys(shape);
  return object(shape)
    .strict(true)
    .test("unknown", function (value) {
      if (value === undefined || value === null || typeof value !== "object") return true;
      const unknown = Object.keys(value).filter((key) => !known.includes(key));
      if (unknown.length === 0) return true;
      const named = unknown.slice(0, MAX_LISTED_FIELD_ERRORS - 1);
      const others = unknown.length - named.length;
      const knownList = `known fields: ${known.join(", ")}`;
      return new ValidationError([
        ...named.map((key) =>
          this.createError({
            path: joinPath(this.path, key),
            message: `${joinPath(this.path, key)} is not a known field; remove it (${knownList})`,
          }),
        ),
        ...(others > 0
          ? [
              this.createError({
                path: this.path || "(body)",
                message: `${this.path || "the body"} has ${others} more unknown fields; remove every field but the ${knownList}`,
              }),
            ]
          : []),
      ]);
    });
}

export function identifier(label: string) {
  return string()
    .strict(true)
    .typeError(`${label} must be a string`)
    .required(`${label} is required`)
    .matches(IDENTIFIER_PATTERN, `${label} must be 1 to 64 letters, digits, "-" or "_"`);
}

/** Bounded single-line text: no control characters or line breaks. */
export function plainText(label: string, maxLength: number) {
  return string()
    .strict(true)
    .typeError(`${label} must be a string`)
    .min(1, `${label} must not be empty; omit it instead`)
    .max(maxLength, `${label} must be at most ${maxLength} characters`)
    .test("control-characters", `${label} must not contain control characters or line breaks`, (value) =>
      value === undefined ? true : !CONTROL_CHARACTERS.test(value),
    );
}

/**
 * Free text submitted through the API and shown in e-mails: plain text, free of markup and of the
 * characters that reorder what is displayed around them.
 */
export function freeText(label: string, maxLength: number) {
  return plainText(label, maxLength)
    .test("markup", `${label} must not contain "<" or ">"`, (value) =>
      value === undefined ? true : !MARKUP_CHARACTERS.test(value),
    )
    .test(
      "bidi-control",
      `${label} must not contain bidirectional control characters (${BIDI_CONTROL_NAMES})`,
      (value) => (value === undefined ? true : !hasBidiControl(value)),
    );
}

export function toFieldErrors(error: ValidationError): FieldError[] {
  const leaves = error.inner.length > 0 ? error.inner.flatMap(flattenValidationError) : [error];
  const seen = new Set<string>();
  const fields: FieldError[] = [];
  for (const leaf of leaves) {
    const field = leaf.path && leaf.path.length > 0 ? leaf.path : "(body)";
    const rule = leaf.type ?? "invalid";
    const key = `${field}|${rule}|${leaf.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fields.push({ field, rule, message: leaf.errors[0] ?? leaf.message });
  }
  return fields;
}

function flattenValidationError(error: ValidationError): ValidationError[] {
  return error.inner.length > 0 ? error.inner.flatMap(flattenValidationError) : [error];
}

/** A VALIDATION_FAILED error listing the first MAX_LISTED_FIELD_ERRORS field errors and counting the rest. */
export function validationFailed(fields: FieldError[]): DomainError {
  const listed = fields.slice(0, MAX_LISTED_FIELD_ERRORS);
  const omitted = fields.length - listed.length;
  const names = [...new Set(listed.map((field) => field.field))].join(", ");
  const more = omitted > 0 ? ` and ${omitted} more field errors not listed` : "";
  return domainError(ERROR_CODES.validationFailed, `The request has invalid fields: ${names}${more}`, {
    fields: listed,
    ...(omitted > 0 ? { fieldsOmitted: omitted } : {}),
  });
}

/** Validates without coercion and returns the value, or throws a VALIDATION_FAILED domain error. */
export function validateWith<T>(schema: Schema<T>, input: unknown, context: Record<string, unknown> = {}): T {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw validationFailed([{ field: "(body)", rule: "type", message: "the body must be a JSON object" }]);
  }
  try {
    return schema.validateSync(input, { abortEarly: false, strict: true, context });
  } catch (error) {
    if (error instanceof ValidationError) throw validationFailed(toFieldErrors(error));
    throw error;
  }
}
