import type { NotificationKind } from "./operationKinds";
import type { TemplateFields } from "./templateData";

export const EVIDENCE_VERSION = 1;
/** Every evidence object lives under this prefix (the bucket's lifecycle and the role's grant use it). */
export const EVIDENCE_PREFIX = "evidence/";

/**
 * What the bank keeps to prove an e-mail: prepared before sending and stored on the notification with
 * its outcome, so the S3 evidence is always built from what was sent, never from later data. It holds
 * no name and no address: the customer id and a keyed hash of the address identify the recipient,
 * and evidence outlives an erasure.
 */
export interface EvidenceDraft {
  customerId: string;
  eventId: string;
  occurredAt: string;
  templateName: string;
  /** SHA-256 of the template as SES held it when the e-mail was sent. */
  templateSha256: string;
  templateData: Omit<TemplateFields, "displayName">;
  recipientAddressHash: string;
}

export interface SentNotification {
  operationId: string;
  notificationKind: NotificationKind;
  sesMessageId: string;
  sentAt: string;
}

export function evidenceKey(
  sent: Pick<SentNotification, "operationId" | "notificationKind" | "sesMessageId">,
): string {
  return `${EVIDENCE_PREFIX}${sent.operationId}/${sent.notificationKind}/${sent.sesMessageId}.json`;
}

export function evidenceDocument(draft: EvidenceDraft, sent: SentNotification, archivedAt: string) {
  return {
    evidenceVersion: EVIDENCE_VERSION,
    operationId: sent.operationId,
    notificationKind: sent.notificationKind,
    customerId: draft.customerId,
    eventId: draft.eventId,
    sesMessageId: sent.sesMessageId,
    recipientAddressHash: draft.recipientAddressHash,
    template: { name: draft.templateName, sha256: draft.templateSha256 },
    templateData: draft.templateData,
    occurredAt: draft.occurredAt,
    sentAt: sent.sentAt,
    archivedAt,
  };
}
