/**
 * The event EventBridge builds around a PutEvents entry: version "0", a new id, the entry's
 * detail-type and source, the account, the time (the entry's, or the time of the call), the region,
 * the entry's resources and its detail.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html
 */
export interface EventHeader {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  /** Set on events an archive replays, so that rules and targets can tell them apart. */
  "replay-name"?: string;
}

export interface BusEvent {
  header: EventHeader;
  /** The entry's Detail, minified but otherwise as the producer wrote it. */
  detailJson: string;
}

const DETAIL_MEMBER = ',"detail":';

/** `2026-11-29T10:15:00Z`: events carry their time to the second. */
export function eventTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function newBusEvent(
  entry: { source: string; detailType: string; detailJson: string; resources: string[]; time?: number },
  context: { id: string; account: string; region: string; receivedAt: number },
): BusEvent {
  return {
    header: {
      version: "0",
      id: context.id,
      "detail-type": entry.detailType,
      source: entry.source,
      account: context.account,
      time: eventTime(entry.time ?? context.receivedAt),
      region: context.region,
      resources: entry.resources,
    },
    detailJson: entry.detailJson,
  };
}

/** The event as targets receive it: minified JSON, detail last. */
export function eventJson(event: BusEvent): string {
  return `${JSON.stringify(event.header).slice(0, -1)}${DETAIL_MEMBER}${event.detailJson}}`;
}

/** The inverse of `eventJson`. Header values are JSON-escaped, so the first `,"detail":` is the member. */
export function parseEventJson(text: string): BusEvent {
  const at = text.indexOf(DETAIL_MEMBER);
  if (at < 0 || !text.endsWith("}"))
    throw new Error(`Not an event written by eventJson: ${text.slice(0, 80)}`);
  return {
    header: JSON.parse(`${text.slice(0, at)}}`) as EventHeader,
    detailJson: text.slice(at + DETAIL_MEMBER.length, -1),
  };
}

/** The event as patterns and input paths see it. */
export function eventValue(event: BusEvent): Record<string, unknown> {
  return { ...event.header, detail: JSON.parse(event.detailJson) };
}
