import { DEFAULTS, numberSetting, requireSettings } from "../config/environment";
import { ERROR_CODES, domainError, isRetryable } from "../domain/errors";
import { resolveLocale } from "../domain/locales";
import { decideNotification } from "../domain/notificationDecision";
import { keyedHash, parseNotificationEnvelope, type NotificationEnvelope } from "../domain/operationEvent";
import { EMAIL_TAGS } from "../domain/sesFeedback";
import { buildTemplateData, sesTemplateName } from "../domain/templateData";
import { createCustomerRepository, type CustomerRecord } from "../adapters/customerRepository";
import { createEmailSender } from "../adapters/emailSender";
import { createEvidenceArchive } from "../adapters/evidenceArchive";
import { createHashKeySecret } from "../adapters/hashKeySecret";
import { createNotificationRepository, type Lease } from "../adapters/notificationRepository";
import { createSuppressionRepository } from "../adapters/suppressionRepository";
import type { Logger } from "../observability/logger";
import { METRIC_NAMES } from "../observability/metrics";
import { createHandlerContext, type HandlerOptions } from "./handlerContext";

/** The subset of an SQS event source mapping's event that the handler reads. */
export interface SqsEvent {
  Records: { messageId: string; body: string }[];
}

export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export const EVIDENCE_VERSION = 1;
const SECONDS_PER_DAY = 86_400;

export function evidenceKey(operationId: string, kind: string, sesMessageId: string): string {
  return `evidence/${operationId}/${kind}/${sesMessageId}.json`;
}

export function addressHash(address: string, hashKey: string): string {
  return keyedHash(address.trim().toLowerCase(), hashKey);
}

/**
 * Consumes notification envelopes from the queue, one record at a time, reporting failed records
 * so SQS redelivers only those. For each (operation, notification kind):
 *
 * 1. claim a lease with a conditional write; a live lease or a recorded outcome means nothing to do;
 * 2. decide from the customer's preferences and the suppression list, and record a suppression;
 * 3. send with the SES template for the kind and the customer's language;
 * 4. record `sent` with the SES message id, then write the evidence once.
 *
 * A retryable failure (throttling, a service unavailable) releases the lease so a later delivery
 * sends exactly one e-mail. If the process dies after SES accepted the message and before step 4
 * recorded it, the lease expires and a later delivery sends again: a rare duplicate is preferred to
 * a lost alert. Both sends carry the operation id as an SES tag and both get evidence.
 */
export function createNotifyHandler(options: HandlerOptions = {}) {
  const context = createHandlerContext("notify", options);
  const settings = requireSettings(context.env, [
    "tableName",
    "hashKeySecretId",
    "senderAddress",
    "configurationSetName",
    "templatePrefix",
    "evidenceBucket",
  ]);
  const leaseSeconds = numberSetting(context.env, "leaseSeconds", DEFAULTS.leaseSeconds);
  const retentionDays = numberSetting(context.env, "retentionDays", DEFAULTS.retentionDays);
  const documents = context.documents();
  const notifications = createNotificationRepository(documents, settings.tableName);
  const customers = createCustomerRepository(documents, settings.tableName);
  const suppressions = createSuppressionRepository(documents, settings.tableName);
  const hashKey = createHashKeySecret(context.client("secretsManager"), settings.hashKeySecretId);
  const sender = createEmailSender(context.client("ses"), {
    from: settings.senderAddress,
    configurationSetName: settings.configurationSetName,
  });
  const evidence = createEvidenceArchive(context.client("s3"), settings.evidenceBucket);

  function templateFor(envelope: NotificationEnvelope, customer: CustomerRecord) {
    const profile = customer.profile!;
    const language = profile.locale.split("-")[0];
    const templateName = sesTemplateName(
      settings.templatePrefix,
      envelope.notificationKind,
      resolveLocale(language),
    );
    const templateData = buildTemplateData(envelope.event.detail, profile);
    return { templateName, templateData };
  }

  async function writeEvidence(
    envelope: NotificationEnvelope,
    customer: CustomerRecord,
    sent: { sesMessageId: string; sentAt: string },
    log: Logger,
  ): Promise<void> {
    const { detail } = envelope.event;
    const { templateName, templateData } = templateFor(envelope, customer);
    const template = await sender.fingerprint(templateName);
    const key = evidenceKey(detail.operationId, envelope.notificationKind, sent.sesMessageId);
    const outcome = await evidence.writeOnce(key, {
      evidenceVersion: EVIDENCE_VERSION,
      operationId: detail.operationId,
      customerId: detail.customerId,
      notificationKind: envelope.notificationKind,
      eventId: envelope.event.id,
      sesMessageId: sent.sesMessageId,
      recipientAddressHash: addressHash(customer.profile!.email, await hashKey.get()),
      template: { name: template.templateName, sha256: template.sha256 },
      // The name stays out: evidence outlives an erasure, and the customer id identifies the recipient.
      templateData: { ...templateData.text, displayName: undefined },
      occurredAt: detail.occurredAt,
      sentAt: sent.sentAt,
      archivedAt: new Date(context.now()).toISOString(),
    });
    await notifications.recordEvidence(detail.operationId, envelope.notificationKind, key);
    log.info("evidence archived", { evidenceKey: key, outcome });
  }

  async function finishEvidence(
    envelope: NotificationEnvelope,
    record: { sesMessageId?: string; sentAt?: string },
    log: Logger,
  ) {
    const customer = await customers.get(envelope.event.detail.customerId);
    if (!customer?.profile || !record.sesMessageId || !record.sentAt) {
      context.metrics.emit(METRIC_NAMES.evidenceWriteFailed, 1, "Count");
      log.error("evidence cannot be rebuilt: the customer profile is gone");
      return;
    }
    await writeEvidence(
      envelope,
      customer,
      { sesMessageId: record.sesMessageId, sentAt: record.sentAt },
      log,
    );
  }

  async function notify(envelope: NotificationEnvelope, log: Logger): Promise<void> {
    const { detail } = envelope.event;
    const kind = envelope.notificationKind;
    const now = context.now();
    const lease: Lease = { operationId: detail.operationId, notificationKind: kind, token: context.newId() };
    const claim = await notifications.claim(lease, {
      now,
      leaseSeconds,
      expiresAt: Math.floor(now / 1000) + retentionDays * SECONDS_PER_DAY,
    });
    if (claim.outcome === "held") {
      throw domainError(ERROR_CODES.conflict, "another delivery holds the lease; retry after it expires", {
        retryable: true,
      });
    }
    if (claim.outcome === "done") {
      log.info("notification already handled", { status: claim.record.status });
      if (claim.record.status === "sent" && !claim.record.evidenceKey)
        await finishEvidence(envelope, claim.record, log);
      return;
    }

    let sent: { sesMessageId: string; sentAt: string; templateName: string; templateSha256: string };
    let customer: CustomerRecord | undefined;
    try {
      customer = await customers.get(detail.customerId);
      const key = await hashKey.get();
      const addressSuppressed = customer?.profile
        ? await suppressions.isSuppressed(addressHash(customer.profile.email, key))
        : false;
      const decision = decideNotification({
        notificationKind: kind,
        amount: detail.amount,
        customer: customer && {
          erased: customer.erased,
          preferences: customer.profile?.preferences ?? { optedOutCategories: [], minimumAmounts: {} },
        },
        addressSuppressed,
      });
      if (decision.action === "suppress") {
        await notifications.recordSuppressed(lease, new Date(context.now()).toISOString(), decision.reason);
        context.metrics.emit(METRIC_NAMES.notificationsSuppressed, 1, "Count", { Reason: decision.reason });
        log.info("notification suppressed", { reason: decision.reason });
        return;
      }
      const { templateName, templateData } = templateFor(envelope, customer!);
      const template = await sender.fingerprint(templateName);
      const sesMessageId = await sender.sendTemplated({
        to: customer!.profile!.email,
        templateName,
        templateData,
        tags: { [EMAIL_TAGS.operationId]: detail.operationId, [EMAIL_TAGS.notificationKind]: kind },
      });
      sent = {
        sesMessageId,
        sentAt: new Date(context.now()).toISOString(),
        templateName,
        templateSha256: template.sha256,
      };
    } catch (error) {
      const nowIso = new Date(context.now()).toISOString();
      const reason = error instanceof Error ? error.message : String(error);
      if (isRetryable(error)) {
        await notifications.release(lease, nowIso, reason);
        log.warn("retryable failure; lease released", { error });
      } else {
        await notifications.recordFailed(lease, nowIso, reason);
        context.metrics.emit(METRIC_NAMES.notificationsFailed, 1, "Count", { Kind: kind });
        log.error("notification failed", { error });
      }
      throw error;
    }

    await notifications.recordSent(lease, sent.sentAt, {
      sesMessageId: sent.sesMessageId,
      templateName: sent.templateName,
      templateSha256: sent.templateSha256,
    });
    context.metrics.emit(METRIC_NAMES.notificationsSent, 1, "Count", { Kind: kind });
    context.metrics.emit(
      METRIC_NAMES.notificationLag,
      Math.max(0, Date.parse(sent.sentAt) - Date.parse(envelope.event.time)),
      "Milliseconds",
    );
    log.info("notification sent", { sesMessageId: sent.sesMessageId, attempts: claim.attempts });
    await writeEvidence(envelope, customer!, sent, log);
  }

  return async (event: SqsEvent): Promise<SqsBatchResponse> => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      let log = context.logger.child({ sqsMessageId: record.messageId });
      try {
        const envelope = parseNotificationEnvelope(record.body);
        log = log.child({
          operationId: envelope.event.detail.operationId,
          notificationKind: envelope.notificationKind,
        });
        await notify(envelope, log);
      } catch (error) {
        log.warn("record failed; SQS will redeliver it", { error, retryable: isRetryable(error) });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
