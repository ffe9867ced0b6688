import { expect } from "chai";
import { createCustomersApiHandler, createNotifyHandler, createOperationsApiHandler } from "../../runtime";
import { ENVIRONMENT } from "../../runtime/config/environment";
import type { RecordedResource } from "../../local/pulumi/pulumiMocks";
import {
  byArn,
  componentRun,
  ofType,
  onlyOfType,
  parsePolicy,
  stackRun,
  type StackRun,
} from "../support/pulumiStacks";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import {
  apiEvent,
  envelopeBody,
  sqsEvent,
  uniqueId,
  validCustomer,
  validOperation,
} from "../support/sampleData";

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

  it("watches the SES account's rates only in a stack that asks for them", async () => {
    for (const run of [dev, prod]) {
      const accountWide = alarmsOf(run).filter(
        (alarm) =>
          alarm.inputs.namespace === "AWS/SES" && Object.keys(alarm.inputs.dimensions as object).length === 0,
      );
      expect(accountWide, run.stack).to.deep.equal([]);
    }
    const asking = await componentRun({ overrides: { sesAccountReputationAlarms: true } });
    const accountWide = alarmsOf(asking).filter(
      (alarm) =>
        alarm.inputs.namespace === "AWS/SES" && Object.keys(alarm.inputs.dimensions as object).length === 0,
    );
    expect(
      accountWide.map((alarm) => [alarm.inputs.name, alarm.inputs.metricName, alarm.inputs.threshold]),
    ).to.have.deep.members([
      ["notifications-consumer-ses-account-bounce-rate", "Reputation.BounceRate", 0.05],
      ["notifications-consumer-ses-account-complaint-rate", "Reputation.ComplaintRate", 0.001],
    ]);
    expect(
      alarmsOn(
        asking,
        "Reputation.BounceRate",
        "ses:configuration-set",
        "notifications-consumer-notifications",
      ),
    ).to.have.length(1);
  });
});

/** One metric an embedded-metric-format line defines: each dimension set of each directive is a metric. */
interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html */
function emittedMetrics(lines: string[]): EmittedMetric[] {
  return lines.flatMap((line) => {
    const record = JSON.parse(line) as {
      _aws?: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    } & Record<string, unknown>;
    return (record._aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
      directive.Metrics.flatMap((metric) =>
        directive.Dimensions.map((set) => ({
          namespace: directive.Namespace,
          name: metric.Name,
          dimensions: Object.fromEntries(set.map((dimension) => [dimension, String(record[dimension])])),
        })),
      ),
    );
  });
}

describe("infra: the runtime's alarms watch what the runtime emits", function () {
  this.timeout(120_000);
  let prod: StackRun;
  let fixture: RuntimeFixture;
  let notifyEnvironment: Record<string, string>;
  const failures: Record<"evidence" | "notification", { lines: string[]; failed: number }> = {
    evidence: { lines: [], failed: 0 },
    notification: { lines: [], failed: 0 },
  };

  /** The notify function as prod configures it, in the local world, with some settings changed. */
  async function notifyOnce(overrides: Record<string, string>, lines: string[]): Promise<number> {
    const customers = createCustomersApiHandler(fixture.options());
    const operations = createOperationsApiHandler(fixture.options());
    const customerId = uniqueId("cust");
    await customers(
      apiEvent("PUT", "/customers/{id}", {
        id: customerId,
        body: validCustomer({ email: fixture.uniqueAddress("m") }),
      }),
    );
    const operation = validOperation({ customerId });
    expect((await operations(apiEvent("POST", "/operations", { body: operation }))).statusCode).to.equal(202);
    const event = fixture.services.events.find(
      (candidate) => JSON.parse(candidate.Detail).operationId === operation.id,
    )!;
    const notify = createNotifyHandler(
      fixture.options({
        env: {
          ...fixture.env,
          [ENVIRONMENT.metricsNamespace]: notifyEnvironment[ENVIRONMENT.metricsNamespace],
          [ENVIRONMENT.serviceName]: notifyEnvironment[ENVIRONMENT.serviceName],
          ...overrides,
        },
        write: (line) => lines.push(line),
      }),
    );
    return (await notify(sqsEvent(envelopeBody(event, "deposit")))).batchItemFailures.length;
  }

  function alarmOn(metricName: string): RecordedResource {
    const [alarm, ...others] = alarmsOf(prod).filter(
      (candidate) => candidate.inputs.metricName === metricName,
    );
    expect(alarm, `an alarm on ${metricName}`).to.not.equal(undefined);
    expect(others).to.deep.equal([]);
    return alarm;
  }

  function watchedMetric(alarm: RecordedResource): EmittedMetric {
    return {
      namespace: String(alarm.inputs.namespace),
      name: String(alarm.inputs.metricName),
      dimensions: alarm.inputs.dimensions as Record<string, string>,
    };
  }

  before(async () => {
    [prod, fixture] = await Promise.all([stackRun("prod"), createRuntimeFixture()]);
    const notify = ofType(prod, "aws:lambda/function:Function").find(
      (fn) => fn.inputs.name === "bank-notif-prod-notify",
    )!;
    notifyEnvironment = (notify.inputs.environment as { variables: Record<string, string> }).variables;
    // A real failed write: the bucket does not exist (S3 answers NoSuchBucket) after SES accepted the e-mail.
    failures.evidence.failed = await notifyOnce(
      { [ENVIRONMENT.evidenceBucket]: `missing-${uniqueId("bucket").toLowerCase()}` },
      failures.evidence.lines,
    );
    // A real permanent failure: SES has no template under this prefix.
    failures.notification.failed = await notifyOnce(
      { [ENVIRONMENT.templatePrefix]: `missing-${uniqueId("templates").toLowerCase()}` },
      failures.notification.lines,
    );
  });

  it("emits EvidenceWriteFailed when an evidence write fails, as the metric its alarm watches", () => {
    expect(failures.evidence.failed, "the record is reported for redelivery").to.equal(1);
    const alarm = alarmOn("EvidenceWriteFailed");
    expect(alarm.inputs).to.include({ statistic: "Sum", threshold: 1 });
    expect(alarm.inputs.alarmActions).to.deep.equal([onlyOfType(prod, "aws:sns/topic:Topic").state.arn]);
    expect(emittedMetrics(failures.evidence.lines)).to.deep.include(watchedMetric(alarm));
  });

  it("emits NotificationsFailed when a notification fails for good, as the metric its alarm watches", () => {
    expect(failures.notification.failed).to.equal(1);
    const alarm = alarmOn("NotificationsFailed");
    expect(alarm.inputs).to.include({ statistic: "Sum", threshold: 1 });
    expect(emittedMetrics(failures.notification.lines)).to.deep.include(watchedMetric(alarm));
    expect(emittedMetrics(failures.evidence.lines).map((metric) => metric.name)).to.not.include(
      "NotificationsFailed",
      "a sent e-mail whose evidence failed is not a failed notification",
    );
  });

  it("watches, on the runtime's namespace, only metrics these failures made the runtime emit", () => {
    const emitted = emittedMetrics([...failures.evidence.lines, ...failures.notification.lines]);
    const runtimeAlarms = alarmsOf(prod).filter(
      (alarm) => alarm.inputs.namespace === notifyEnvironment[ENVIRONMENT.metricsNamespace],
    );
    expect(runtimeAlarms.map((alarm) => alarm.inputs.metricName)).to.have.members([
      "NotificationsFailed",
      "EvidenceWriteFailed",
    ]);
    for (const alarm of runtimeAlarms) expect(emitted, alarm.name).to.deep.include(watchedMetric(alarm));
  });
});
