import { expect } from "chai";
import type { RecordedResource } from "../../local/pulumi/pulumiMocks";
import { byArn, ofType, onlyOfType, parsePolicy, stackRun, type StackRun } from "../support/pulumiStacks";

function alarmsOf(run: StackRun): RecordedResource[] {
  return ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm");
}

function alarmsOn(run: StackRun, metricName: string, dimension: string, value: unknown): RecordedResource[] {
  return alarmsOf(run).filter(
    (alarm) =>
      alarm.inputs.metricName === metricName &&
      (alarm.inputs.dimensions as Record<string, unknown>)[dimension] === value,
  );
}

/** Every queue a failure ends in: redrive targets, rule-target DLQs and asynchronous on-failure destinations. */
function deadLetterQueueArns(run: StackRun): Set<unknown> {
  return new Set([
    ...ofType(run, "aws:sqs/queue:Queue")
      .filter((queue) => queue.inputs.redrivePolicy)
      .map((queue) => JSON.parse(String(queue.inputs.redrivePolicy)).deadLetterTargetArn),
    ...ofType(run, "aws:cloudwatch/eventTarget:EventTarget").map(
      (target) => (target.inputs.deadLetterConfig as { arn: string }).arn,
    ),
    ...ofType(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").map(
      (config) =>
        (config.inputs.destinationConfig as { onFailure: { destination: string } }).onFailure.destination,
    ),
  ]);
}

describe("infra: monitoring (alarms, topic, dashboard)", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
  });

  it("notifies a KMS-encrypted topic that only this stack's alarms may publish to", () => {
    const topic = onlyOfType(prod, "aws:sns/topic:Topic");
    expect(topic.inputs.kmsMasterKeyId).to.equal(onlyOfType(prod, "aws:kms/key:Key").state.arn);
    const policy = parsePolicy(onlyOfType(prod, "aws:sns/topicPolicy:TopicPolicy").inputs.policy);
    const publish = policy.Statement.find((statement) => statement.Sid === "StackAlarmsPublish")!;
    expect(publish.Principal).to.deep.equal({ Service: "cloudwatch.amazonaws.com" });
    expect(publish.Condition).to.deep.equal({
      StringEquals: { "aws:SourceAccount": "444455556666" },
      ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-3:444455556666:alarm:bank-notif-prod-*" },
    });
    for (const alarm of alarmsOf(prod)) {
      expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([topic.state.arn]);
      expect(String(alarm.inputs.name)).to.match(/^bank-notif-prod-/);
    }
  });

  it("subscribes the on-call address in prod only", () => {
    expect(onlyOfType(prod, "aws:sns/topicSubscription:TopicSubscription").inputs).to.deep.include({
      protocol: "email",
      endpoint: "notifications-oncall@examplebank.com",
    });
    expect(ofType(dev, "aws:sns/topicSubscription:TopicSubscription")).to.have.length(0);
  });

  it("watches every function's errors, throttles and p99 duration", () => {
    for (const fn of ofType(prod, "aws:lambda/function:Function")) {
      const name = fn.inputs.name;
      expect(alarmsOn(prod, "Errors", "FunctionName", name), String(name)).to.have.length(1);
      expect(alarmsOn(prod, "Throttles", "FunctionName", name), String(name)).to.have.length(1);
      const [duration] = alarmsOn(prod, "Duration", "FunctionName", name);
      expect(duration.inputs.extendedStatistic).to.equal("p99");
      expect(duration.inputs.threshold).to.equal(Number(fn.inputs.timeout) * 1000 * 0.8);
    }
  });

  it("watches dropped asynchronous events and failed deliveries to the on-failure destination", () => {
    expect(
      alarmsOn(prod, "AsyncEventsDropped", "FunctionName", "bank-notif-prod-ses-feedback"),
    ).to.have.length(1);
    expect(
      alarmsOn(prod, "DestinationDeliveryFailures", "FunctionName", "bank-notif-prod-ses-feedback"),
    ).to.have.length(1);
  });

  it("watches API 5XX responses and p99 latency of the stage", () => {
    const [errors] = alarmsOn(prod, "5XXError", "ApiName", "bank-notif-prod-api");
    expect(errors.inputs.dimensions).to.deep.equal({ ApiName: "bank-notif-prod-api", Stage: "v1" });
    const [latency] = alarmsOn(prod, "Latency", "ApiName", "bank-notif-prod-api");
    expect(latency.inputs).to.include({ extendedStatistic: "p99", threshold: 2000 });
    expect(alarmsOn(dev, "Latency", "ApiName", "bank-notif-dev-api")[0].inputs.threshold).to.equal(5000);
  });

  it("watches every rule's failed invocations and failures to reach its DLQ", () => {
    for (const rule of ofType(prod, "aws:cloudwatch/eventRule:EventRule")) {
      const name = rule.inputs.name;
      const failed = alarmsOn(prod, "FailedInvocations", "RuleName", name);
      const lost = alarmsOn(prod, "InvocationsFailedToBeSentToDlq", "RuleName", name);
      expect(failed, String(name)).to.have.length(1);
      expect(lost, String(name)).to.have.length(1);
      const busName = rule.inputs.eventBusName === "default" ? undefined : rule.inputs.eventBusName;
      expect((failed[0].inputs.dimensions as Record<string, unknown>).EventBusName).to.equal(busName);
    }
  });

  it("ends every failure path in a dead-letter queue that has a depth alarm", () => {
    const dlqs = deadLetterQueueArns(prod);
    expect(dlqs.size).to.equal(3);
    for (const arn of dlqs) {
      const queue = byArn(prod, arn)!;
      expect(queue.type).to.equal("aws:sqs/queue:Queue");
      const [depth] = alarmsOn(prod, "ApproximateNumberOfMessagesVisible", "QueueName", queue.inputs.name);
      expect(depth, String(queue.inputs.name)).to.not.equal(undefined);
      expect(depth.inputs).to.include({ threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold" });
    }
  });

  it("watches the age of the oldest notification on the queue, tighter in prod", () => {
    const [prodAge] = alarmsOn(prod, "ApproximateAgeOfOldestMessage", "QueueName", "bank-notif-prod-notify");
    const [devAge] = alarmsOn(dev, "ApproximateAgeOfOldestMessage", "QueueName", "bank-notif-dev-notify");
    expect(prodAge.inputs.threshold).to.equal(300);
    expect(devAge.inputs.threshold).to.equal(3600);
  });

  it("watches the SES bounce and complaint rates of the configuration set", () => {
    const [bounce] = alarmsOn(
      prod,
      "Reputation.BounceRate",
      "ses:configuration-set",
      "bank-notif-prod-notifications",
    );
    const [complaint] = alarmsOn(
      prod,
      "Reputation.ComplaintRate",
      "ses:configuration-set",
      "bank-notif-prod-notifications",
    );
    expect(bounce.inputs.threshold).to.equal(0.05);
    expect(complaint.inputs.threshold).to.equal(0.001);
  });

  it("shows every alarm, and so every function, on one dashboard", () => {
    const dashboard = onlyOfType(prod, "aws:cloudwatch/dashboard:Dashboard");
    const body = JSON.parse(String(dashboard.inputs.dashboardBody)) as {
      widgets: { type: string; properties: { alarms?: string[]; annotations?: { alarms: string[] } } }[];
    };
    const overview = body.widgets.find((widget) => widget.type === "alarm")!;
    const graphed = body.widgets.flatMap((widget) => widget.properties.annotations?.alarms ?? []);
    const alarmArns = alarmsOf(prod).map((alarm) => alarm.state.arn);
    expect(overview.properties.alarms).to.have.members(alarmArns);
    expect(graphed).to.have.members(alarmArns);
    for (const fn of ofType(prod, "aws:lambda/function:Function")) {
      const watching = alarmsOf(prod).filter(
        (alarm) => (alarm.inputs.dimensions as Record<string, unknown>).FunctionName === fn.inputs.name,
      );
      expect(watching, String(fn.inputs.name)).to.have.length.above(0);
      for (const alarm of watching) expect(graphed).to.include(alarm.state.arn);
    }
  });

  it("alarms on notifications notify records as failed, on the metric and dimension the runtime emits", () => {
    const notify = ofType(prod, "aws:lambda/function:Function").find(
      (fn) =>
        (fn.inputs.environment as { variables: Record<string, string> }).variables.SERVICE_NAME === "notify",
    )!;
    const variables = (notify.inputs.environment as { variables: Record<string, string> }).variables;
    const alarm = ofType(prod, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
      (candidate) => candidate.inputs.metricName === "NotificationsFailed",
    )!;
    expect(alarm.inputs).to.include({ namespace: variables.METRICS_NAMESPACE, statistic: "Sum" });
    expect(alarm.inputs.dimensions).to.deep.equal({ Service: variables.SERVICE_NAME });
  });
});
