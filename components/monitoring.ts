import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMES } from "../runtime/observability/metrics";
import { OPERATION_KINDS } from "../runtime/domain/operationKinds";
import type { StackContext } from "./context";
import { denyInsecureTransport, policyDocument } from "./iam";
import { metricsNamespace } from "./functions";
import { FUNCTION_IDS } from "./settings";

const FIVE_MINUTES = 300;

interface AlarmSpec {
  /** Name suffix after the prefix. */
  id: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  statistic?: "Sum" | "Maximum";
  extendedStatistic?: "p99";
  period?: number;
  threshold: number;
}

/** The alarm topic: KMS-encrypted, publishable by this stack's alarms only, TLS only. */
function createAlarmTopic(ctx: StackContext, key: aws.kms.Key) {
  const { settings, names } = ctx;
  const topic = new aws.sns.Topic(
    `${ctx.name}-alarms`,
    { name: names.alarmTopic, kmsMasterKeyId: key.arn, tags: settings.tags },
    ctx.opts(),
  );
  const topicPolicy = new aws.sns.TopicPolicy(
    `${ctx.name}-alarms`,
    {
      arn: topic.arn,
      policy: policyDocument([
        denyInsecureTransport("sns:Publish", topic.arn),
        {
          Sid: "StackAlarmsPublish",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: {
            StringEquals: { "aws:SourceAccount": ctx.accountId },
            ArnLike: { "aws:SourceArn": ctx.arn("cloudwatch", `alarm:${names.prefix}-*`) },
          },
        },
      ]),
    },
    ctx.opts(),
  );
  const subscription = settings.alarmEmail
    ? new aws.sns.TopicSubscription(
        `${ctx.name}-alarms-email`,
        { topic: topic.arn, protocol: "email", endpoint: settings.alarmEmail },
        ctx.opts(),
      )
    : undefined;
  return { topic, topicPolicy, subscription };
}

/** Every alarm of the stack, as data: functions, API, rules, queues and SES reputation. */
function alarmSpecs(ctx: StackContext): AlarmSpec[] {
  const { settings, names } = ctx;
  const thresholds = settings.alarmThresholds;
  const specs: AlarmSpec[] = [];
  for (const id of FUNCTION_IDS) {
    const slug = names.functionSlugs[id];
    const dimensions = { FunctionName: names.functions[id] };
    const lambda = { namespace: "AWS/Lambda", dimensions };
    specs.push(
      {
        id: `${slug}-errors`,
        description: `${names.functions[id]} failed invocations`,
        metricName: "Errors",
        statistic: "Sum",
        threshold: thresholds.functionErrors,
        ...lambda,
      },
      {
        id: `${slug}-throttles`,
        description: `${names.functions[id]} throttled invocations`,
        metricName: "Throttles",
        statistic: "Sum",
        threshold: thresholds.functionThrottles,
        ...lambda,
      },
      {
        id: `${slug}-duration-p99`,
        description: `${names.functions[id]} p99 duration near its timeout`,
        metricName: "Duration",
        extendedStatistic: "p99",
        threshold: Math.round(
          (settings.functionTimeoutSeconds[id] * 1000 * thresholds.functionDurationP99PercentOfTimeout) / 100,
        ),
        ...lambda,
      },
    );
  }
  // Records notify reports as failed never count as Lambda errors (partial batch responses), so the
  // runtime's own metrics are watched, on the service-only roll-up every runtime metric carries.
  const notifyMetrics = {
    namespace: metricsNamespace(names.prefix),
    dimensions: { Service: names.functionSlugs.notify },
    statistic: "Sum" as const,
  };
  specs.push(
    {
      id: `${names.functionSlugs.notify}-notifications-failed`,
      description: `${names.functions.notify} notifications recorded as failed (SES refused them or a permanent error)`,
      metricName: METRIC_NAMES.notificationsFailed,
      threshold: thresholds.functionErrors,
      ...notifyMetrics,
    },
    {
      id: `${names.functionSlugs.notify}-evidence-write-failed`,
      description: `${names.functions.notify} could not write the evidence of a sent e-mail to the evidence bucket`,
      metricName: METRIC_NAMES.evidenceWriteFailed,
      threshold: 1,
      ...notifyMetrics,
    },
  );
  const feedback = { namespace: "AWS/Lambda", dimensions: { FunctionName: names.functions.sesFeedback } };
  specs.push(
    {
      id: "ses-feedback-async-events-dropped",
      description: "SES events dropped before the feedback function could process them",
      metricName: "AsyncEventsDropped",
      statistic: "Sum",
      threshold: 1,
      ...feedback,
    },
    {
      id: "ses-feedback-destination-failures",
      description: "Failed SES events that could not reach the feedback DLQ",
      metricName: "DestinationDeliveryFailures",
      statistic: "Sum",
      threshold: 1,
      ...feedback,
    },
  );
  const api = {
    namespace: "AWS/ApiGateway",
    dimensions: { ApiName: names.api, Stage: settings.apiStageName },
  };
  specs.push(
    {
      id: "api-5xx",
      description: "API 5XX responses",
      metricName: "5XXError",
      statistic: "Sum",
      threshold: thresholds.api5xxErrors,
      ...api,
    },
    {
      id: "api-latency-p99",
      description: "API p99 latency",
      metricName: "Latency",
      extendedStatistic: "p99",
      threshold: thresholds.apiLatencyP99Ms,
      ...api,
    },
  );
  // Rules on a custom bus report per bus and rule; rules on the default bus per rule only.
  const rules = [
    ...OPERATION_KINDS.map((kind) => ({
      id: kind as string,
      dimensions: { EventBusName: names.eventBus, RuleName: names.operationRules[kind] },
    })),
    { id: "large-amount", dimensions: { EventBusName: names.eventBus, RuleName: names.largeAmountRule } },
    { id: "ses-feedback", dimensions: { RuleName: names.sesFeedbackRule } },
  ];
  for (const rule of rules) {
    const events = { namespace: "AWS/Events", dimensions: rule.dimensions };
    specs.push(
      {
        id: `rule-${rule.id}-failed-invocations`,
        description: `Rule ${rule.dimensions.RuleName} could not deliver events to its target`,
        metricName: "FailedInvocations",
        statistic: "Sum",
        threshold: 1,
        ...events,
      },
      {
        id: `rule-${rule.id}-dlq-failures`,
        description: `Rule ${rule.dimensions.RuleName} could not put undeliverable events on the delivery DLQ`,
        metricName: "InvocationsFailedToBeSentToDlq",
        statistic: "Sum",
        threshold: 1,
        ...events,
      },
    );
  }
  for (const [id, queueName] of [
    ["notify-dlq", names.notifyDlq],
    ["delivery-dlq", names.deliveryDlq],
    ["feedback-dlq", names.feedbackDlq],
  ] as const) {
    specs.push({
      id: `${id}-depth`,
      description: `Messages waiting in ${queueName}: each is a notification or feedback event that failed`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queueName },
      statistic: "Maximum",
      threshold: 1,
    });
  }
  specs.push({
    id: "notify-queue-oldest-message-age",
    description: "Notifications waiting too long on the notify queue",
    namespace: "AWS/SQS",
    metricName: "ApproximateAgeOfOldestMessage",
    dimensions: { QueueName: names.notifyQueue },
    statistic: "Maximum",
    threshold: thresholds.queueOldestMessageAgeSeconds,
  });
  specs.push(...sesReputationAlarmSpecs(ctx));
  return specs;
}

/**
 * SES reputation: the configuration set's own rates, so that two stacks of one account never trip
 * each other's alarms, and, when the stack asks for them, the account's. The configuration set
 * publishes `Reputation.BounceRate` and `Reputation.ComplaintRate` with the dimension
 * `ses:configuration-set` once its reputation metrics are on (email.ts)
 * (https://docs.aws.amazon.com/ses/latest/dg/monitoring-sender-reputation-pausing-configuration-set.html);
 * the account's rates have no dimension
 * (https://docs.aws.amazon.com/ses/latest/dg/reputationdashboard-cloudwatch-alarm.html).
 */
function sesReputationAlarmSpecs(ctx: StackContext): AlarmSpec[] {
  const { settings, names } = ctx;
  const scopes: { id: string; of: string; dimensions: AlarmSpec["dimensions"] }[] = [
    {
      id: "ses",
      of: "the configuration set",
      dimensions: { "ses:configuration-set": names.configurationSet },
    },
    ...(settings.sesAccountReputationAlarms
      ? [{ id: "ses-account", of: "the whole SES account in this region", dimensions: {} }]
      : []),
  ];
  return scopes.flatMap(({ id, of, dimensions }) => [
    {
      id: `${id}-bounce-rate`,
      description: `Bounce rate of ${of}`,
      namespace: "AWS/SES",
      metricName: "Reputation.BounceRate",
      dimensions,
      statistic: "Maximum" as const,
      period: 3600,
      threshold: settings.alarmThresholds.sesBounceRate,
    },
    {
      id: `${id}-complaint-rate`,
      description: `Complaint rate of ${of}`,
      namespace: "AWS/SES",
      metricName: "Reputation.ComplaintRate",
      dimensions,
      statistic: "Maximum" as const,
      period: 3600,
      threshold: settings.alarmThresholds.sesComplaintRate,
    },
  ]);
}

/** The alarm topic, every alarm, and one dashboard showing each alarm's metric and state. */
export function createMonitoring(ctx: StackContext, key: aws.kms.Key) {
  const { settings, names } = ctx;
  const { topic, topicPolicy, subscription } = createAlarmTopic(ctx, key);
  const alarms = alarmSpecs(ctx).map(
    (spec) =>
      new aws.cloudwatch.MetricAlarm(
        `${ctx.name}-alarm-${spec.id}`,
        {
          name: names.alarm(spec.id),
          alarmDescription: spec.description,
          namespace: spec.namespace,
          metricName: spec.metricName,
          dimensions: spec.dimensions,
          ...(spec.extendedStatistic
            ? { extendedStatistic: spec.extendedStatistic }
            : { statistic: spec.statistic }),
          period: spec.period ?? FIVE_MINUTES,
          evaluationPeriods: 1,
          threshold: spec.threshold,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [topic.arn],
          okActions: [topic.arn],
          tags: settings.tags,
        },
        ctx.opts({ dependsOn: [topicPolicy] }),
      ),
  );
  const dashboard = new aws.cloudwatch.Dashboard(
    `${ctx.name}-dashboard`,
    {
      dashboardName: ctx.accountWideNames.dashboard,
      dashboardBody: pulumi
        .all([ctx.region, pulumi.all(alarms.map((alarm) => pulumi.all([alarm.name, alarm.arn])))])
        .apply(([region, named]) => JSON.stringify(dashboardBody(region, named))),
    },
    ctx.opts(),
  );
  return { topic, topicPolicy, subscription, alarms, dashboard };
}

/** An alarm-state overview, then one graph per alarm (its metric with the threshold line). */
function dashboardBody(region: string, alarms: [string, string][]) {
  const width = 8;
  const height = 6;
  const perRow = 24 / width;
  return {
    widgets: [
      {
        type: "alarm",
        x: 0,
        y: 0,
        width: 24,
        height: 6,
        properties: {
          title: "Alarms",
          alarms: alarms.map(([, arn]) => arn),
          sortBy: "stateUpdatedTimestamp",
        },
      },
      ...alarms.map(([name, arn], index) => ({
        type: "metric",
        x: (index % perRow) * width,
        y: 6 + Math.floor(index / perRow) * height,
        width,
        height,
        properties: {
          title: name,
          region,
          annotations: { alarms: [arn] },
          view: "timeSeries",
          stacked: false,
        },
      })),
    ],
  };
}
