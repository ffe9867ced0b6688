import { awsFault, type AwsFault } from "../awsJsonServer";
import { minifyJson } from "./minifyJson";

/**
 * What PutEvents refuses, as EventBridge answers it: the whole request when it breaks a limit of
 * the API (1 to 10 entries, the entries' total size), one entry at a time otherwise (FailedEntryCount
 * counts those, each with an ErrorCode and an ErrorMessage instead of an EventId).
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
 */

export interface PutEventsRequestEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  /** Epoch seconds, as the AWS JSON 1.1 protocol sends timestamps. */
  Time?: number;
  TraceHeader?: string;
}

export interface AcceptedEntry {
  /** The bus name or ARN the entry names; `default` when it names none. */
  bus: string;
  source: string;
  detailType: string;
  detailJson: string;
  resources: string[];
  /** Epoch milliseconds, when the entry sets its own time. */
  time?: number;
}

export type EntryCheck =
  { ok: true; entry: AcceptedEntry } | { ok: false; errorCode: string; errorMessage: string };

/** https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html#API_PutEvents_RequestSyntax */
const MAX_ENTRIES = 10;
/**
 * The entries of one request may total 1 MiB since January 2026 (256 KB before), counted as
 * eb-putevent-size says: 14 bytes for a Time, the UTF-8 bytes of Source, DetailType, Detail and
 * each resource. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
const MAX_REQUEST_BYTES = 1024 * 1024;
const TIME_BYTES = 14;

const STRING_MEMBERS = ["EventBusName", "Source", "DetailType", "Detail", "TraceHeader"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A member of the wrong JSON type is refused before anything else, as the protocol's parser does. */
function shapeProblem(entries: unknown): string | undefined {
  if (!Array.isArray(entries)) return "Entries must be a list";
  for (const [index, entry] of entries.entries()) {
    if (!isRecord(entry)) return `Entries[${index}] must be a structure`;
    for (const member of STRING_MEMBERS) {
      if (entry[member] !== undefined && typeof entry[member] !== "string")
        return `Entries[${index}].${member} must be a string`;
    }
    if (entry.Time !== undefined && typeof entry.Time !== "number")
      return `Entries[${index}].Time must be a timestamp in epoch seconds`;
    const resources = entry.Resources;
    if (
      resources !== undefined &&
      !(Array.isArray(resources) && resources.every((r) => typeof r === "string"))
    )
      return `Entries[${index}].Resources must be a list of strings`;
  }
  return undefined;
}

function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, "utf8"));
  return (
    (entry.Time === undefined ? 0 : TIME_BYTES) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

function lengthViolation(constraint: string): AwsFault {
  return awsFault(
    400,
    "ValidationException",
    `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${constraint}`,
  );
}

/** The request-level checks: the entries' shape, their number and their total size. */
export function checkPutEventsRequest(
  input: Record<string, unknown>,
): { ok: true; entries: PutEventsRequestEntry[] } | { ok: false; fault: AwsFault } {
  const problem = shapeProblem(input.Entries);
  if (problem) return { ok: false, fault: awsFault(400, "SerializationException", problem) };
  const entries = input.Entries as PutEventsRequestEntry[];
  if (entries.length < 1) return { ok: false, fault: lengthViolation("greater than or equal to 1") };
  if (entries.length > MAX_ENTRIES)
    return { ok: false, fault: lengthViolation(`less than or equal to ${MAX_ENTRIES}`) };
  const size = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
  if (size > MAX_REQUEST_BYTES) {
    return {
      ok: false,
      fault: awsFault(
        400,
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
      ),
    };
  }
  return { ok: true, entries };
}

function required(member: "Source" | "DetailType" | "Detail"): EntryCheck {
  return {
    ok: false,
    errorCode: "InvalidArgument",
    errorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
  };
}

function parsesToObject(text: string): boolean {
  try {
    return isRecord(JSON.parse(text));
  } catch {
    return false;
  }
}

/**
 * One entry: Source, DetailType and Detail are required, Detail must be a JSON object, and the
 * `aws.` sources belong to AWS services (a caller's PutEvents with one fails with
 * NotAuthorizedForSourceException: https://repost.aws/questions/QU9O1i3AITRTqn32Kf6yTxFA).
 */
export function checkEntry(entry: PutEventsRequestEntry, options: { awsService: boolean }): EntryCheck {
  if (!entry.Source) return required("Source");
  if (!entry.DetailType) return required("DetailType");
  if (!entry.Detail) return required("Detail");
  if (!parsesToObject(entry.Detail))
    return { ok: false, errorCode: "MalformedDetail", errorMessage: "Detail is malformed." };
  if (entry.Source.startsWith("aws.") && !options.awsService) {
    return {
      ok: false,
      errorCode: "NotAuthorizedForSourceException",
      errorMessage: "Not authorized for the source.",
    };
  }
  return {
    ok: true,
    entry: {
      bus: entry.EventBusName || "default",
      source: entry.Source,
      detailType: entry.DetailType,
      detailJson: minifyJson(entry.Detail),
      resources: entry.Resources ?? [],
      ...(entry.Time === undefined ? {} : { time: entry.Time * 1000 }),
    },
  };
}
