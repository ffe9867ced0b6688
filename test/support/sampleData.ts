import type { ApiEvent } from "../../runtime/handlers/http";
import type { SqsEvent } from "../../runtime/handlers/notify";
import type { NotificationKind } from "../../runtime/domain/operationKinds";
import type { RecordedEvent } from "../../local/localServices";

export const VALID_IBAN = "FR7630006000011234567890189";
export const OTHER_VALID_IBAN = "DE89370400440532013000";
export const BAD_CHECKSUM_IBAN = "FR7630006000011234567890188";

let sequence = 0;
export function uniqueId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${Date.now().toString(36)}-${sequence}`;
}

export function validOperation(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: uniqueId("op"),
    customerId: "cust-1",
    kind: "deposit",
    accountIban: VALID_IBAN,
    amount: { value: "1234.56", currency: "EUR" },
    balanceAfter: { value: "5000.00", currency: "EUR" },
    occurredAt: "2026-03-14T09:30:00Z",
    description: "Salary March",
    ...overrides,
  };
}

export function validCustomer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email: "camille.martin@example.com",
    locale: "fr-FR",
    displayName: "Camille Martin",
    timeZone: "Europe/Paris",
    preferences: { optedOutCategories: [], minimumAmounts: {} },
    ...overrides,
  };
}

export function apiEvent(
  method: string,
  resource: string,
  options: { id?: string; body?: unknown } = {},
): ApiEvent {
  return {
    httpMethod: method,
    resource,
    path: resource.replace("{id}", options.id ?? ""),
    pathParameters: options.id === undefined ? null : { id: options.id },
    headers: { "content-type": "application/json" },
    body:
      options.body === undefined
        ? null
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body),
    requestContext: { requestId: uniqueId("req") },
  };
}

/** What the EventBridge rule's input transformer puts on the queue for a recorded event. */
export function envelopeBody(
  event: RecordedEvent,
  notificationKind: NotificationKind,
  time = "2026-03-14T09:30:05Z",
): string {
  return JSON.stringify({
    notificationKind,
    event: {
      version: "0",
      id: event.eventId,
      source: event.Source,
      "detail-type": event.DetailType,
      account: "123456789012",
      time,
      region: "eu-west-1",
      resources: [],
      detail: JSON.parse(event.Detail),
    },
  });
}

export function sqsEvent(...bodies: string[]): SqsEvent {
  return { Records: bodies.map((body) => ({ messageId: uniqueId("msg"), body })) };
}
