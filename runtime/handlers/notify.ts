import { DEFAULTS, numberSetting, HANDLER_SETTINGS, requireSettings } from "../config/environment";
import { ERROR_CODES, domainError, isRetryable } from "../domain/errors";
import { evidenceDocument, evidenceKey, type EvidenceDraft } from "../domain/evidence";
import { resolveLocale } from "../domain/locales";
import { decideNotification } from "../domain/notificationDecision";
import { parseNotificationEnvelope, type NotificationEnvelope } from "../domain/operationEvent";
import { addressHash } from "../domain/privacy";
import { createSendPacer } from "../domain/sendPacer";
import { EMAIL_TAGS } from "../domain/sesFeedback";
import { buildTemplateData, sesTemplateName } from "../domain/templateData";
import {
  createCustomerRepository,
  isLiveCustomer,
  type LiveCustomerRecord,
} from "../adapters/customerRepository";
import { createEmailSender } from "../adapters/emailSender";
import { createEvidenceArchive } from "../adapters/evidenceArchive";
import { createHashKeySecret } from "../adapters/hashKeySecret";
import {
  createNotificationRepository,
  type Lease,
  type SentOutcome,
} from "../adapters/notificationRepository";
import type { Logger } from "../observability/logger";
import { METRIC_NAMES } from "../observability/metrics";
import { createS3Client } from "../clients/s3Client";
import { createSecretsManagerClient } from "../clients/secretsManagerClient";
import { createSesClient } from "../clients/sesClient";
import { createHandlerContext, type HandlerOptions } from "./handlerContext";

/** The subset of an SQS event source mapping's event that the handler reads. */
export interface SqsEvent {
  Records: { messageId: string; body: string }[];
}

export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

const SECONDS_PER_DAY = 86_400;
/**
 * A customer created moments after their first operation: for this long after the event reached the
 * bus, an unknown customer is retried rather than suppressed for good.
 */
export const UNKNOWN_CUSTOMER_GRACE_MS = 15 * 60 * 1000;
const RECORD_ATTEMPTS = 3;
/** Far below the lease: past it, `sent` is recorded with the evidence left for a redelivery to write. */
const EVIDENCE_WRITE_DEADLINE_MS = 5_000;

/**
 * Consumes notification envelopes from the queue, one record at a time, reporting failed records
 * so SQS redelivers only those. For each (operation, notification kind):
 *
 * 1. claim a lease with a conditional write; a live lease or a recorded outcome means nothing to do;
 * 2. read the customer, whose item also holds the suppressions of its addresses, decide from its
 *    preferences and those suppressions, and record a suppression;
 * 3. prepare the e-mail and its evidence (template, its hash, the masked data), then send it with
 *    the SES template for the kind and the customer's language;
 * 4. write the evidence of what was sent to S3, once (`If-None-Match`), from what step 3 prepared;
 * 5. record `sent` with the SES message id and the evidence's key. If the evidence could not be
 *    written, `sent` is recorded with the prepared evidence instead and the record is reported, so
 *    a redelivery, finding `sent` without an evidence key, writes it from that record.
 *
 * A retryable failure before sending (throttling, a service unavailable) releases the lease so a
 * later delivery sends exactly one e-mail. If the process dies after SES accepted the message and
 * before step 5 recorded it, the lease expires and a later delivery sends again: a rare duplicate
 * is preferred to a lost alert. The first message id is logged the moment SES accepts it, SES
 * feedback (tagged with the operation id) adds it to the notification as an untracked message, and
 * its evidence is archived if the process died after step 4. The evidence write is bounded
 * (`EVIDENCE_WRITE_DEADLINE_MS`) so that a stalled S3 request cannot widen that window.
 */
export function createNotifyHandler(options: HandlerOptions = {}) {
  const context = createHandlerContext("notify", options);
  const settings = requireSettings(context.env, HANDLER_SETTINGS.notify.required);
  const leaseSeconds = numberSetting(context.env, "leaseSeconds", DEFAULTS.leaseSeconds);
  const retentionDays = numberSetting(context.env, "retentionDays", DEFAULTS.retentionDays);
  const documents = context.documents();
  const notifications = createNotificationRepository(documents, settings.tableName);
  const customers = createCustomerRepository(documents, settings.tableName);
  const hashKey = createHashKeySecret(
    context.client("secretsManager", createSecretsManagerClient),
    settings.hashKeySecretId,
  );
  const sender = createEmailSender(context.client("ses", createSesClient), {
    from: settings.senderAddress,
    configurationSetName: settings.configurationSetName,
    now: context.now,
  });
  const archive = createEvidenceArchive(context.client("s3", createS3Client), settings.evidenceBucket, {
    deadlineMs: EVIDENCE_WRITE_DEADLINE_MS,
  });
  const pacer = createSendPacer({
    intervalMs: numberSetting(context.env, "sendIntervalMs", DEFAULTS.sendIntervalMs),
    now: context.now,
    sleep: context.sleep,
  });
  const nowIso = () => new Date(context.now()).toISOString();

  async function prepare(envelope: NotificationEnvelope, customer: LiveCustomerRecord) {
    const { detail } = envelope.event;
    const { profile } = customer;
    const templateName = sesTemplateName(
      settings.templatePrefix,
      envelope.notificationKind,
      resolveLocale(profile.locale.split("-")[0]),
    );
    const templateData = buildTemplateData(detail, profile);
    const { displayName, ...maskedData } = templateData.text;
    const evidence: EvidenceDraft = {
      customerId: detail.customerId,
      eventId: envelope.event.id,
      occurredAt: detail.occurredAt,
      templateName,
      templateSha256: (await sender.fingerprint(templateName)).sha256,
      templateData: maskedData,
      recipientAddressHash: addressHash(profile.email, await hashKey.get()),
    };
    return { templateName, templateData, evidence };
  }

  /** Writes the evidence of a sent e-mail once; returns its key. */
  async function archiveEvidence(
    lease: Pick<Lease, "operationId" | "notificationKind">,
    sent: { sesMessageId: string; sentAt: string; evidence: EvidenceDraft },
    log: Logger,
  ): Promise<string> {
    const record = { ...lease, sesMessageId: sent.sesMessageId, sentAt: sent.sentAt };
    const key = evidenceKey(record);
    const outcome = await archive
      .writeOnce(key, evidenceDocument(sent.evidence, record, nowIso()))
      .catch((error: unknown) => {
        context.metrics.emit(METRIC_NAMES.evidenceWriteFailed, 1, "Count");
        throw error;
      });
    log.info("evidence archived", { evidenceKey: key, outcome });
    return key;
  }

  /** Retries a retryable failure to record the outcome: each attempt left would mean a duplicate e-mail. */
  async function recordSentWithRetries(lease: Lease, sentAt: string, sent: SentOutcome) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await notifications.recordSent(lease, sentAt, sent);
      } catch (error) {
        if (!isRetryable(error) || attempt >= RECORD_ATTEMPTS) throw error;
        await context.sleep(100 * 2 ** attempt);
      }
    }
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
      const { record } = claim;
      log.info("notification already handled", { status: record.status });
      if (record.sesMessageId && record.sentAt && record.evidence && !record.evidenceKey) {
        const key = await archiveEvidence(
          lease,
          { sesMessageId: record.sesMessageId, sentAt: record.sentAt, evidence: record.evidence },
          log,
        );
        await notifications.recordEvidence(lease.operationId, kind, key);
      }
      return;
    }

    let sent: { sesMessageId: string; evidence: EvidenceDraft };
    try {
      const customer = await customers.get(detail.customerId);
      const profile = customer?.profile;
      const addressSuppressed = customer?.profile
        ? customer.suppressedAddressHashes.includes(addressHash(customer.profile.email, await hashKey.get()))
        : false;
      const decision = decideNotification({
        notificationKind: kind,
        amount: detail.amount,
        customer: customer && {
          erased: customer.erased,
          preferences: profile?.preferences ?? { optedOutCategories: [], minimumAmounts: {} },
        },
        addressSuppressed,
      });
      if (decision.action === "suppress") {
        const eventAge = now - Date.parse(envelope.event.time);
        if (decision.reason === "unknown-customer" && eventAge < UNKNOWN_CUSTOMER_GRACE_MS) {
          throw domainError(ERROR_CODES.notFound, "the customer does not exist yet; retrying", {
            retryable: true,
          });
        }
        await notifications.recordSuppressed(lease, nowIso(), decision.reason);
        context.metrics.emit(METRIC_NAMES.notificationsSuppressed, 1, "Count", { Reason: decision.reason });
        log.info("notification suppressed", { reason: decision.reason });
        return;
      }
      if (!isLiveCustomer(customer)) throw new Error("decided to send to a customer without a profile");
      const { templateName, templateData, evidence } = await prepare(envelope, customer);
      await pacer.wait();
      const sesMessageId = await sender.sendTemplated({
        to: customer.profile.email,
        templateName,
        templateData,
        tags: { [EMAIL_TAGS.operationId]: detail.operationId, [EMAIL_TAGS.notificationKind]: kind },
      });
      log.info("accepted by SES", { sesMessageId, attempts: claim.attempts });
      sent = { sesMessageId, evidence };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isRetryable(error)) {
        await notifications.release(lease, nowIso(), reason);
        log.warn("retryable failure; lease released", { error });
      } else {
        await notifications.recordFailed(lease, nowIso(), reason);
        context.metrics.emit(METRIC_NAMES.notificationsFailed, 1, "Count", { Kind: kind });
        log.error("notification failed", { error });
      }
      throw error;
    }

    const sentAt = nowIso();
    const archived = await archiveEvidence(lease, { ...sent, sentAt }, log).then(
      (key) => ({ key }),
      (error: unknown) => ({ error }),
    );
    await recordSentWithRetries(
      lease,
      sentAt,
      "key" in archived
        ? { sesMessageId: sent.sesMessageId, evidenceKey: archived.key }
        : { sesMessageId: sent.sesMessageId, evidence: sent.evidence },
    );
    context.metrics.emit(METRIC_NAMES.notificationsSent, 1, "Count", { Kind: kind });
    context.metrics.emit(
      METRIC_NAMES.notificationLag,
      Math.max(0, Date.parse(sentAt) - Date.parse(envelope.event.time)),
      "Milliseconds",
    );
    if ("error" in archived) throw archived.error;
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
