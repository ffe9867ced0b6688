import { PutEventsCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { ERROR_CODES, domainError } from "../domain/errors";
import type { BusEvent } from "../domain/operationEvent";
import { callAws } from "./awsErrors";

const RETRYABLE_ENTRY_ERRORS = ["ThrottlingException", "InternalFailure", "InternalException"];

/** PutEvents on the stack's bus. A 200 answer with FailedEntryCount > 0 is a failure, not a success. */
export function createEventPublisher(eventBridge: EventBridgeClient, busName: string) {
  return {
    async publish(event: BusEvent, traceHeader?: string): Promise<string> {
      const result = await callAws("EventBridge PutEvents", () =>
        eventBridge.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: busName,
                Source: event.source,
                DetailType: event.detailType,
                Detail: JSON.stringify(event.detail),
                ...(traceHeader ? { TraceHeader: traceHeader } : {}),
              },
            ],
          }),
        ),
      );
      const entry = result.Entries?.[0];
      if ((result.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
        const code = entry?.ErrorCode ?? "UnknownFailure";
        throw domainError(
          RETRYABLE_ENTRY_ERRORS.includes(code) ? ERROR_CODES.throttled : ERROR_CODES.unavailable,
          `EventBridge PutEvents rejected the event: ${code}${entry?.ErrorMessage ? `: ${entry.ErrorMessage}` : ""}`,
          { retryable: true, details: { awsError: code } },
        );
      }
      return entry.EventId;
    },
  };
}
export type EventPublisher = ReturnType<typeof createEventPublisher>;
