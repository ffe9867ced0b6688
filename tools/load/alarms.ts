import type { AlarmDefinition } from "./cloudControl";

/**
 * The stack's alarms that a set of metric values would put in ALARM: same namespace, metric name
 * and dimensions, and the value on the wrong side of the threshold. The local cloud evaluates no
 * alarm (CloudWatch is not reproduced); this names the ones AWS would fire, from the plan's own
 * definitions and what the run measured (EventBridge's rule metrics, the queues' depths).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
export interface MetricValue {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string | undefined>;
  value: number;
}

const COMPARISONS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (value, threshold) => value >= threshold,
  GreaterThanThreshold: (value, threshold) => value > threshold,
  LessThanThreshold: (value, threshold) => value < threshold,
  LessThanOrEqualToThreshold: (value, threshold) => value <= threshold,
};

function sameDimensions(
  a: Record<string, string | undefined>,
  b: Record<string, string | undefined>,
): boolean {
  const defined = (dimensions: Record<string, string | undefined>) =>
    Object.entries(dimensions)
      .filter(([, value]) => value !== undefined)
      .sort(([x], [y]) => x.localeCompare(y));
  return JSON.stringify(defined(a)) === JSON.stringify(defined(b));
}

export function alarmsThatWouldFire(alarms: AlarmDefinition[], values: MetricValue[]): string[] {
  return alarms
    .filter((alarm) =>
      values.some(
        (value) =>
          value.namespace === alarm.namespace &&
          value.metricName === alarm.metricName &&
          sameDimensions(value.dimensions, alarm.dimensions) &&
          (COMPARISONS[alarm.comparisonOperator]?.(value.value, alarm.threshold) ?? false),
      ),
    )
    .map((alarm) => alarm.name)
    .sort();
}

/** A queue's depth as the `AWS/SQS` metric an alarm watches. */
export function queueDepthMetric(queueName: string, visible: number): MetricValue {
  return {
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queueName },
    value: visible,
  };
}

/**
 * The 5XX answers a run counted, as the `AWS/ApiGateway` `5XXError` metric of the stack's API (the
 * one API the stack's API alarms watch, whose dimensions are taken from them).
 */
export function apiErrorMetrics(alarms: AlarmDefinition[], fiveXxAnswers: number): MetricValue[] {
  const watched = alarms.find(
    (alarm) => alarm.namespace === "AWS/ApiGateway" && alarm.metricName === "5XXError",
  );
  return watched
    ? [
        {
          namespace: "AWS/ApiGateway",
          metricName: "5XXError",
          dimensions: watched.dimensions,
          value: fiveXxAnswers,
        },
      ]
    : [];
}
