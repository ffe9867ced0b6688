import { readFileSync } from "node:fs";
import * as path from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { CloudDescription } from "../../local/cloud/localCloud";
import { buildOperationEvent } from "../../runtime/domain/operationEvent";
import type { OperationInput } from "../../runtime/domain/operationSchema";
import type { CloudControl } from "./cloudControl";
import type { ScenarioEnvironment } from "./faultScenarios";
import { stackQueues } from "./observe";

/**
 * What a fault scenario acts on, for a local cloud: its control, its queues, notify's name and
 * timeout, and the bus, on which a poison event is an operation's event with a detail version
 * notify cannot read (`newOperation` makes the operation; the caller tracks it).
 */
export function scenarioEnvironment(
  description: CloudDescription,
  control: CloudControl,
  options: { notifyTimeoutSeconds: number; newOperation: () => OperationInput },
): ScenarioEnvironment {
  const hashKey = readFileSync(path.join(description.stateDir, "hash-key"), "utf8").trim();
  const events = new EventBridgeClient({
    region: description.region,
    endpoint: description.endpoints.events,
    credentials: description.credentials.producer,
  });
  return {
    control,
    queues: stackQueues(description),
    notifyFunction: String((description.outputs.functionNames as Record<string, string>).notify),
    notifyTimeoutSeconds: options.notifyTimeoutSeconds,
    now: Date.now,
    async putEvents(entries) {
      const answer = await events.send(new PutEventsCommand({ Entries: entries }));
      if (answer.FailedEntryCount)
        throw new Error(
          `PutEvents refused ${answer.FailedEntryCount} entries: ${JSON.stringify(answer.Entries)}`,
        );
    },
    poisonEntry() {
      const operation = options.newOperation();
      const event = buildOperationEvent(operation, {
        source: String(description.outputs.eventSource),
        hashKey,
      });
      return {
        operationId: operation.id,
        entry: {
          EventBusName: description.eventBusName,
          Source: event.source,
          DetailType: event.detailType,
          Detail: JSON.stringify({ ...event.detail, version: 99 }),
        },
      };
    },
  };
}
