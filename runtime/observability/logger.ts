import { redactEmailAddresses } from "../domain/privacy";

/**
 * Structured JSON logs, one object a line, with the operation id as correlation id. Fields that
 * could hold personal data are redacted whatever the caller passes, as a second line of defence.
 */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVEL_ORDER: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };
const PERSONAL_FIELDS = ["email", "emailAddress", "accountIban", "iban", "displayName", "destination"];

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactEmailAddresses(value);
  if (depth > 5 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    const code = (value as Error & { code?: unknown }).code;
    return { name: value.name, message: redact(value.message), ...(code === undefined ? {} : { code }) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      PERSONAL_FIELDS.includes(key) ? "[redacted]" : redact(item, depth + 1),
    ]),
  );
}

export function createLogger(options: {
  service: string;
  level?: string;
  write?: (line: string) => void;
  now?: () => number;
  fields?: LogFields;
}): Logger {
  const threshold = LEVEL_ORDER[(options.level?.toUpperCase() as LogLevel) ?? "INFO"] ?? LEVEL_ORDER.INFO;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const base = options.fields ?? {};
  const log = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (LEVEL_ORDER[level] < threshold) return;
    const entry = {
      timestamp: new Date(now()).toISOString(),
      level,
      service: options.service,
      message,
      ...(redact({ ...base, ...fields }) as LogFields),
    };
    write(JSON.stringify(entry));
  };
  return {
    debug: (message, fields) => log("DEBUG", message, fields),
    info: (message, fields) => log("INFO", message, fields),
    warn: (message, fields) => log("WARN", message, fields),
    error: (message, fields) => log("ERROR", message, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
