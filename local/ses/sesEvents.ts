import { randomUUID } from "node:crypto";

/**
 * The events SES publishes for a message sent through a configuration set with an EventBridge
 * destination (the default bus only), as the local SES emulator cannot: Send, then Delivery, or
 * what the mailbox simulator addresses make happen (a permanent bounce, a delivery followed by a
 * complaint). Event types the destination does not list are not published.
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html (detail types)
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html (event fields)
 * https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator (mailbox simulator)
 */
export interface SesEventDestination {
  configurationSetName: string;
  enabled: boolean;
  /** SES v2 names: SEND, DELIVERY, BOUNCE, COMPLAINT, REJECT, RENDERING_FAILURE, … */
  matchingEventTypes: string[];
  eventBusArn: string;
}

export interface SentEmail {
  messageId: string;
  fromAddress: string;
  to: string[];
  configurationSetName?: string;
  /** EmailTags of the SendEmail request. */
  tags: { Name: string; Value: string }[];
  sentAt: Date;
  sendingAccountId: string;
}

export interface BusEntry {
  EventBusName: string;
  Source: "aws.ses";
  DetailType: string;
  Detail: string;
  Time: Date;
}

const DETAIL_TYPES: Record<string, string> = {
  SEND: "Email Sent",
  DELIVERY: "Email Delivered",
  BOUNCE: "Email Bounced",
  COMPLAINT: "Email Complaint Received",
};
const EVENT_TYPE_NAMES: Record<string, string> = {
  SEND: "Send",
  DELIVERY: "Delivery",
  BOUNCE: "Bounce",
  COMPLAINT: "Complaint",
};

/** What the mailbox simulator does with a recipient (labels such as `bounce+x@` are allowed). */
function simulatorOutcome(address: string): "bounce" | "complaint" | "suppressed" | "delivered" {
  const match = /^([a-z]+)(\+[^@]*)?@simulator\.amazonses\.com$/i.exec(address);
  switch (match?.[1].toLowerCase()) {
    case "bounce":
      return "bounce";
    case "complaint":
      return "complaint";
    case "suppressionlist":
      return "suppressed";
    default:
      return "delivered";
  }
}

export function sesEventsFor(
  email: SentEmail,
  destination: SesEventDestination | undefined,
  now: Date,
): BusEntry[] {
  if (!destination?.enabled || !email.configurationSetName) return [];
  const tags: Record<string, string[]> = {
    "ses:configuration-set": [email.configurationSetName],
    "ses:from-domain": [email.fromAddress.split("@")[1] ?? ""],
    "ses:source-ip": ["127.0.0.1"],
    ...Object.fromEntries(email.tags.map((tag) => [tag.Name, [tag.Value]])),
  };
  const mail = {
    timestamp: email.sentAt.toISOString(),
    source: email.fromAddress,
    sendingAccountId: email.sendingAccountId,
    messageId: email.messageId,
    destination: email.to,
    headersTruncated: false,
    tags,
  };
  const timestamp = now.toISOString();
  const details: [string, Record<string, unknown>][] = [["SEND", { send: {} }]];
  const delivered = email.to.filter((address) =>
    ["delivered", "complaint"].includes(simulatorOutcome(address)),
  );
  const bounced = email.to.filter((address) => ["bounce", "suppressed"].includes(simulatorOutcome(address)));
  const complained = email.to.filter((address) => simulatorOutcome(address) === "complaint");
  if (delivered.length > 0) {
    details.push([
      "DELIVERY",
      {
        delivery: {
          timestamp,
          processingTimeMillis: Math.max(0, now.getTime() - email.sentAt.getTime()),
          recipients: delivered,
          smtpResponse: "250 2.6.0 Message received",
          reportingMTA: "local-ses",
        },
      },
    ]);
  }
  if (bounced.length > 0) {
    details.push([
      "BOUNCE",
      {
        bounce: {
          bounceType: "Permanent",
          bounceSubType: bounced.some((address) => simulatorOutcome(address) === "suppressed")
            ? "OnAccountSuppressionList"
            : "General",
          bouncedRecipients: bounced.map((emailAddress) => ({
            emailAddress,
            action: "failed",
            status: "5.1.1",
            diagnosticCode: "smtp; 550 5.1.1 user unknown",
          })),
          timestamp,
          feedbackId: randomUUID(),
        },
      },
    ]);
  }
  if (complained.length > 0) {
    details.push([
      "COMPLAINT",
      {
        complaint: {
          complainedRecipients: complained.map((emailAddress) => ({ emailAddress })),
          timestamp,
          feedbackId: randomUUID(),
          complaintFeedbackType: "abuse",
        },
      },
    ]);
  }
  return details
    .filter(([type]) => destination.matchingEventTypes.includes(type))
    .map(([type, body]) => ({
      EventBusName: destination.eventBusArn,
      Source: "aws.ses",
      DetailType: DETAIL_TYPES[type],
      Detail: JSON.stringify({ eventType: EVENT_TYPE_NAMES[type], mail, ...body }),
      Time: now,
    }));
}
