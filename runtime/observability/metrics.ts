/**
 * CloudWatch embedded metric format: one JSON line per metric that CloudWatch Logs turns into a
 * metric, with no API call on the hot path.
 */
export type MetricUnit = "Count" | "Milliseconds" | "Seconds";

export const METRIC_NAMES = {
  notificationsSent: "NotificationsSent",
  notificationsSuppressed: "NotificationsSuppressed",
  notificationsFailed: "NotificationsFailed",
  notificationLag: "NotificationLag",
  operationsPublished: "OperationsPublished",
  feedbackReceived: "FeedbackReceived",
  evidenceWriteFailed: "EvidenceWriteFailed",
} as const;

export interface Metrics {
  emit(name: string, value: number, unit: MetricUnit, dimensions?: Record<string, string>): void;
}

export function createMetrics(options: {
  namespace: string;
  service: string;
  write?: (line: string) => void;
  now?: () => number;
}): Metrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  return {
    emit(name, value, unit, dimensions = {}) {
      const allDimensions = { Service: options.service, ...dimensions };
      write(
        JSON.stringify({
          _aws: {
            Timestamp: now(),
            CloudWatchMetrics: [
              {
                Namespace: options.namespace,
                // Also rolled up to the service alone, which is what alarms watch.
                Dimensions:
                  Object.keys(dimensions).length > 0
                    ? [Object.keys(allDimensions), ["Service"]]
                    : [["Service"]],
                Metrics: [{ Name: name, Unit: unit }],
              },
            ],
          },
          ...allDimensions,
          [name]: value,
        }),
      );
    },
  };
}
