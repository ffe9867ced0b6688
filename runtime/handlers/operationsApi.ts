import { DEFAULTS, numberSetting, HANDLER_SETTINGS, requireSettings } from "../config/environment";
import { ERROR_CODES, domainError } from "../domain/errors";
import { buildOperationEvent } from "../domain/operationEvent";
import { bodyHash } from "../domain/privacy";
import { validateOperationInput } from "../domain/operationSchema";
import { createEventPublisher } from "../adapters/eventPublisher";
import { createHashKeySecret } from "../adapters/hashKeySecret";
import { createNotificationRepository } from "../adapters/notificationRepository";
import { createOperationRepository } from "../adapters/operationRepository";
import { METRIC_NAMES } from "../observability/metrics";
import { createEventBridgeClient } from "../clients/eventBridgeClient";
import { createSecretsManagerClient } from "../clients/secretsManagerClient";
import { createHandlerContext, type HandlerOptions } from "./handlerContext";
import { createRouter, idFromPath, json, parseJsonBody, type ApiEvent, type ApiResult } from "./http";
import { operationView } from "./operationView";

export const OPERATION_ROUTES = {
  submit: { method: "POST", resource: "/operations" },
  get: { method: "GET", resource: "/operations/{id}" },
  failedNotifications: { method: "GET", resource: "/notifications/failed" },
} as const;

const FAILED_PAGE_SIZE = 100;

const SECONDS_PER_DAY = 86_400;

/**
 * `POST /operations`: validate, record (status `recorded`), publish to the bus, mark `published`.
 * The operation id is the idempotency key: the same body again gets the same answer and republishes
 * an operation recorded but never published; another body under the same id is a 409.
 * `GET /operations/{id}`: the operation and the status of each of its notifications.
 */
export function createOperationsApiHandler(options: HandlerOptions = {}) {
  const context = createHandlerContext("operations-api", options);
  const settings = requireSettings(context.env, HANDLER_SETTINGS.operationsApi.required);
  const retentionDays = numberSetting(context.env, "retentionDays", DEFAULTS.retentionDays);
  const operations = createOperationRepository(context.documents(), settings.tableName, {
    sleep: context.sleep,
  });
  const notifications = createNotificationRepository(context.documents(), settings.tableName);
  const publisher = createEventPublisher(
    context.client("eventBridge", createEventBridgeClient),
    settings.eventBusName,
  );
  const hashKey = createHashKeySecret(
    context.client("secretsManager", createSecretsManagerClient),
    settings.hashKeySecretId,
  );

  async function submit(event: ApiEvent): Promise<ApiResult> {
    const now = context.now();
    const operation = validateOperationInput(parseJsonBody(event), { now });
    const key = await hashKey.get();
    const fingerprint = bodyHash(operation, key);
    const busEvent = buildOperationEvent(operation, { source: settings.eventSource, hashKey: key });
    const nowIso = new Date(now).toISOString();
    const { created, record } = await operations.recordOnce(
      {
        operationId: operation.id,
        customerId: operation.customerId,
        status: "recorded",
        bodyHash: fingerprint,
        event: busEvent,
        recordedAt: nowIso,
      },
      Math.floor(now / 1000) + retentionDays * SECONDS_PER_DAY,
    );
    const log = context.logger.child({ operationId: operation.id });
    if (!created && record.bodyHash !== fingerprint) {
      throw domainError(
        ERROR_CODES.conflict,
        `Operation ${operation.id} was already recorded with a different body; a new operation needs a new id`,
        {
          fields: [
            { field: "id", rule: "conflict", message: "this id is already used by another operation" },
          ],
        },
      );
    }
    if (record.status !== "published") {
      await publisher.publish(record.event);
      await operations.markPublished(operation.id, nowIso);
      context.metrics.emit(METRIC_NAMES.operationsPublished, 1, "Count", { Kind: operation.kind });
      log.info(created ? "operation recorded and published" : "recorded operation republished", {
        kind: operation.kind,
      });
    } else {
      log.info("operation already published", { kind: operation.kind });
    }
    return json(202, { operationId: operation.id, status: "published" });
  }

  async function get(event: ApiEvent): Promise<ApiResult> {
    const operationId = idFromPath(event, "operation");
    const record = await operations.get(operationId);
    if (!record) throw domainError(ERROR_CODES.notFound, `Operation ${operationId} does not exist`);
    const notifications = await operations.listNotifications(operationId);
    return json(200, { ...operationView(record), notifications });
  }

  /** For an operator: notifications that failed, were rejected or bounced, newest first. */
  async function listFailedNotifications(): Promise<ApiResult> {
    const records = await notifications.listFailed(FAILED_PAGE_SIZE);
    return json(200, {
      notifications: records.map(
        ({ operationId, notificationKind, status, reason, updatedAt, sesMessageId }) => ({
          operationId,
          notificationKind,
          status,
          updatedAt,
          ...(sesMessageId ? { sesMessageId } : {}),
          ...(reason ? { reason } : {}),
        }),
      ),
    });
  }

  return createRouter(
    [
      [OPERATION_ROUTES.submit, submit],
      [OPERATION_ROUTES.get, get],
      [OPERATION_ROUTES.failedNotifications, listFailedNotifications],
    ],
    context.logger,
  );
}
