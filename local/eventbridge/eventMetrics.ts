import type { RuleDefinition } from "./eventTopology";

/**
 * The AWS/Events metrics the local EventBridge counts, named and dimensioned as EventBridge
 * publishes them (per rule: RuleName and EventBusName; MatchedEvents: none). Counts since start.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 */
export type RuleMetricName =
  /** A target invoked for an event: counted once the delivery succeeds or fails for good. */
  | "Invocations"
  /** Deliveries that failed for good (retries exhausted, or a non-retryable error). */
  | "FailedInvocations"
  | "InvocationsSentToDlq"
  | "InvocationsFailedToBeSentToDlq"
  /** Rules that matched an event. */
  | "TriggeredRules";

export interface MetricDatum {
  namespace: "AWS/Events";
  metricName: RuleMetricName | "MatchedEvents";
  dimensions: { RuleName?: string; EventBusName?: string };
  value: number;
}

export function createEventMetrics() {
  const counts = new Map<string, MetricDatum>();
  const add = (datum: Omit<MetricDatum, "namespace" | "value">) => {
    const key = JSON.stringify([datum.metricName, datum.dimensions]);
    const current = counts.get(key) ?? { namespace: "AWS/Events" as const, ...datum, value: 0 };
    counts.set(key, { ...current, value: current.value + 1 });
  };
  return {
    forRule(metricName: RuleMetricName, rule: RuleDefinition): void {
      add({ metricName, dimensions: { RuleName: rule.name, EventBusName: rule.bus } });
    },
    /** An event that matched at least one rule. */
    matchedEvent(): void {
      add({ metricName: "MatchedEvents", dimensions: {} });
    },
    snapshot(): MetricDatum[] {
      return [...counts.values()];
    },
  };
}
export type EventMetrics = ReturnType<typeof createEventMetrics>;
