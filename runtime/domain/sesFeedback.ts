import type { NotificationStatus } from "./notificationStatus";

/**
 * SES event publishing, as delivered by EventBridge (source `aws.ses`) from a configuration set's
 * EventBridge destination. Only the fields this project reads are typed.
 */
export interface SesEmailEvent {
  source?: string;
  "detail-type"?: string;
  detail: {
    eventType: string;
    mail: { messageId: string; destination?: string[]; tags?: Record<string, string[]> };
    bounce?: { bounceType: string; bouncedRecipients?: { emailAddress: string }[] };
    complaint?: { complainedRecipients?: { emailAddress: string }[] };
    reject?: { reason?: string };
    failure?: { templateName?: string; errorMessage?: string };
  };
}

/** The tag SES itself adds to every event: the configuration set the message was sent through. */
export const CONFIGURATION_SET_TAG = "ses:configuration-set";

/** SES e-mail tags the notify handler sets so feedback finds its notification by key. */
export const EMAIL_TAGS = { operationId: "operation-id", notificationKind: "notification-kind" } as const;

export interface FeedbackOutcome {
  sesMessageId: string;
  status: NotificationStatus;
  detail?: string;
  /** Addresses SES says must not be mailed again: permanent bounces and complaints. */
  suppressAddresses: string[];
  suppressionReason?: "permanent-bounce" | "complaint";
}

/** What an SES event means for the notification, or undefined for event types this stack ignores. */
export function interpretSesEvent(event: SesEmailEvent): FeedbackOutcome | undefined {
  const { detail } = event;
  const sesMessageId = detail.mail.messageId;
  switch (detail.eventType) {
    case "Delivery":
      return { sesMessageId, status: "delivered", suppressAddresses: [] };
    case "Bounce": {
      const permanent = detail.bounce?.bounceType === "Permanent";
      if (!permanent) return undefined;
      return {
        sesMessageId,
        status: "bounced",
        detail: detail.bounce?.bounceType,
        suppressAddresses: (detail.bounce?.bouncedRecipients ?? []).map((r) => r.emailAddress),
        suppressionReason: "permanent-bounce",
      };
    }
    case "Complaint":
      return {
        sesMessageId,
        status: "complained",
        suppressAddresses: (detail.complaint?.complainedRecipients ?? []).map((r) => r.emailAddress),
        suppressionReason: "complaint",
      };
    case "Reject":
      return { sesMessageId, status: "rejected", detail: detail.reject?.reason, suppressAddresses: [] };
    case "Rendering Failure":
      return {
        sesMessageId,
        status: "rendering-failed",
        detail: detail.failure?.errorMessage,
        suppressAddresses: [],
      };
    default:
      return undefined;
  }
}

export function tagValue(event: SesEmailEvent, name: string): string | undefined {
  return event.detail.mail.tags?.[name]?.[0];
}
