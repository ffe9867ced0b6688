import type { Message } from "@aws-sdk/client-sqs";
import { EMAIL_TAGS } from "../../runtime/domain/sesFeedback";
import type { DeadLetterQueueName } from "./redriveTarget";

/**
 * One dead-lettered message as an operator sees it: which operation and notification it is about,
 * how old it is, how often it was received, and why it failed. Nothing personal: no address, no
 * customer id, no account reference, no amount or description (the bodies hold some of them).
 */
export interface MessageSummary {
  messageId: string;
  ageSeconds?: number;
  receiveCount?: number;
  operationId?: string;
  /** The notification kind (notify queue), the event's detail-type, or the SES event type. */
  kind?: string;
  /** Why it is here: EventBridge's ERROR_CODE, or Lambda's condition and error type. */
  errorCode?: string;
  /** The rule that could not deliver it (delivery DLQ). */
  rule?: string;
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function parse(body: string | undefined): Json | undefined {
  try {
    const parsed = JSON.parse(body ?? "") as unknown;
    return typeof parsed === "object" && parsed !== null ? record(parsed) : undefined;
  } catch {
    return undefined;
  }
}

export function messageAttribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/** An operation event (the bus's) or an SES event: its operation id and kind. */
function aboutEvent(event: Json): Pick<MessageSummary, "operationId" | "kind"> {
  const detail = record(event.detail);
  if (event.source === "aws.ses") {
    const tags = record(record(detail.mail).tags);
    const tag = (name: string) => text((tags[name] as unknown[] | undefined)?.[0]);
    const notification = tag(EMAIL_TAGS.notificationKind);
    return {
      operationId: tag(EMAIL_TAGS.operationId),
      kind: [text(detail.eventType), notification].filter(Boolean).join(" of ") || undefined,
    };
  }
  return { operationId: text(detail.operationId), kind: text(event["detail-type"]) };
}

function about(queue: DeadLetterQueueName, message: Message, body: Json): Partial<MessageSummary> {
  switch (queue) {
    case "notify": {
      const event = aboutEvent(record(body.event));
      return { operationId: event.operationId, kind: text(body.notificationKind) ?? event.kind };
    }
    case "delivery":
      return {
        ...aboutEvent(body),
        errorCode: messageAttribute(message, "ERROR_CODE"),
        rule: messageAttribute(message, "RULE_ARN")?.split("/").pop(),
      };
    case "feedback": {
      const context = record(body.requestContext);
      const response = record(body.responsePayload);
      const errorCode = [text(context.condition), text(response.errorType)].filter(Boolean).join(" ");
      return { ...aboutEvent(record(body.requestPayload)), errorCode: errorCode || undefined };
    }
  }
}

export function summarise(queue: DeadLetterQueueName, message: Message, now: number): MessageSummary {
  const sent = Number(message.Attributes?.SentTimestamp);
  const received = Number(message.Attributes?.ApproximateReceiveCount);
  const body = parse(message.Body);
  return {
    messageId: String(message.MessageId),
    ...(Number.isFinite(sent) ? { ageSeconds: Math.max(0, Math.round((now - sent) / 1000)) } : {}),
    ...(Number.isFinite(received) ? { receiveCount: received } : {}),
    ...(body ? about(queue, message, body) : { kind: "(body is not JSON)" }),
  };
}

function age(seconds: number | undefined): string {
  if (seconds === undefined) return "age ?";
  if (seconds < 120) return `${seconds} s old`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min old`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h old`;
  return `${Math.round(seconds / 86_400)} d old`;
}

/** One line: `<message id>  <age>  received N  operation … kind … error … rule …`. */
export function formatSummary(summary: MessageSummary): string {
  const parts = [
    summary.messageId,
    age(summary.ageSeconds),
    `received ${summary.receiveCount ?? "?"}`,
    `operation ${summary.operationId ?? "?"}`,
    `kind ${summary.kind ?? "?"}`,
    ...(summary.errorCode ? [`error ${summary.errorCode}`] : []),
    ...(summary.rule ? [`rule ${summary.rule}`] : []),
  ];
  return parts.join("  ");
}
