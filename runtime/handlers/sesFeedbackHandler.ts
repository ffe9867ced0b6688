import { HANDLER_SETTINGS, requireSettings } from "../config/environment";
import { isNotificationKind } from "../domain/operationKinds";
import { statusesBefore } from "../domain/notificationStatus";
import { addressHash } from "../domain/privacy";
import {
  CONFIGURATION_SET_TAG,
  EMAIL_TAGS,
  interpretSesEvent,
  tagValue,
  type SesEmailEvent,
} from "../domain/sesFeedback";
import { createAddressRepository } from "../adapters/addressRepository";
import { createCustomerRepository } from "../adapters/customerRepository";
import { createHashKeySecret } from "../adapters/hashKeySecret";
import { createNotificationRepository } from "../adapters/notificationRepository";
import { METRIC_NAMES } from "../observability/metrics";
import { createSecretsManagerClient } from "../clients/secretsManagerClient";
import { createHandlerContext, type HandlerOptions } from "./handlerContext";

/**
 * SES delivery, bounce, complaint, reject and rendering-failure events (from the default bus): the
 * notification's status moves forward only, and a permanent bounce or a complaint puts the address
 * on the suppression list, and on every customer who gave it (see the address repository). Failures
 * throw so Lambda's asynchronous retries and on-failure destination take over; every write is
 * idempotent, so a retry completes what a failed attempt began.
 */
export function createSesFeedbackHandler(options: HandlerOptions = {}) {
  const context = createHandlerContext("ses-feedback", options);
  const settings = requireSettings(context.env, HANDLER_SETTINGS.sesFeedback.required);
  const notifications = createNotificationRepository(context.documents(), settings.tableName);
  const addresses = createAddressRepository(context.documents(), settings.tableName);
  const customers = createCustomerRepository(context.documents(), settings.tableName);
  const hashKey = createHashKeySecret(
    context.client("secretsManager", createSecretsManagerClient),
    settings.hashKeySecretId,
  );

  async function locate(event: SesEmailEvent, sesMessageId: string) {
    const operationId = tagValue(event, EMAIL_TAGS.operationId);
    const kind = tagValue(event, EMAIL_TAGS.notificationKind);
    if (operationId && isNotificationKind(kind)) return { operationId, notificationKind: kind };
    const record = await notifications.findBySesMessageId(sesMessageId);
    return record && { operationId: record.operationId, notificationKind: record.notificationKind };
  }

  return async (event: SesEmailEvent): Promise<{ applied: boolean }> => {
    // The rule already filters on the configuration set; checking again keeps another stack's (or a
    // forged) event from suppressing addresses here.
    const configurationSet = tagValue(event, CONFIGURATION_SET_TAG);
    const outcome = configurationSet === settings.configurationSetName ? interpretSesEvent(event) : undefined;
    const log = context.logger.child({
      sesMessageId: event.detail?.mail?.messageId,
      eventType: event.detail?.eventType,
    });
    if (!outcome) {
      log.debug("SES event ignored");
      return { applied: false };
    }
    const nowIso = new Date(context.now()).toISOString();
    if (outcome.suppressAddresses.length > 0) {
      const key = await hashKey.get();
      for (const address of outcome.suppressAddresses) {
        const hash = addressHash(address, key);
        const customerIds = await addresses.suppress(
          hash,
          outcome.suppressionReason ?? outcome.status,
          nowIso,
        );
        for (const customerId of customerIds) await customers.addSuppressedAddress(customerId, hash);
      }
      log.info("address suppressed", { reason: outcome.suppressionReason });
    }
    const target = await locate(event, outcome.sesMessageId);
    if (!target) {
      log.warn("no notification for this SES message");
      return { applied: false };
    }
    const applied = await notifications.applyFeedback(target.operationId, target.notificationKind, {
      sesMessageId: outcome.sesMessageId,
      status: outcome.status,
      allowedFrom: statusesBefore(outcome.status),
      nowIso,
      detail: outcome.detail,
    });
    if (!applied) {
      await notifications.noteUntrackedMessage(
        target.operationId,
        target.notificationKind,
        outcome.sesMessageId,
      );
    }
    context.metrics.emit(METRIC_NAMES.feedbackReceived, 1, "Count", { Status: outcome.status });
    log.info(applied ? "notification status moved forward" : "feedback did not move the status", {
      operationId: target.operationId,
      notificationKind: target.notificationKind,
      status: outcome.status,
    });
    return { applied };
  };
}
