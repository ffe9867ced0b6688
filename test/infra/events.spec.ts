import { expect } from "chai";
import { notificationInputTemplate } from "../../runtime/domain/operationEvent";
import { NOTIFICATION_KINDS } from "../../runtime/domain/operationKinds";
import type { RecordedResource } from "../../local/pulumi/pulumiMocks";
import {
  byArn,
  named,
  ofType,
  onlyOfType,
  parsePolicy,
  stackRun,
  type StackRun,
} from "../support/pulumiStacks";

function queueNamed(run: StackRun, name: string): RecordedResource {
  const queue = ofType(run, "aws:sqs/queue:Queue").find((candidate) => candidate.inputs.name === name);
  if (!queue) throw new Error(`no queue ${name}`);
  return queue;
}

function queuePolicyOf(run: StackRun, queue: RecordedResource) {
  const policy = ofType(run, "aws:sqs/queuePolicy:QueuePolicy").find(
    (candidate) => candidate.inputs.queueUrl === queue.id,
  );
  if (!policy) throw new Error(`no policy on ${queue.inputs.name}`);
  return parsePolicy(policy.inputs.policy);
}

describe("infra: events (bus, rules, queues, event source mapping)", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
  });

  it("has a custom bus with an archive of every core-banking event, for replay", () => {
    const bus = onlyOfType(prod, "aws:cloudwatch/eventBus:EventBus");
    const archive = onlyOfType(prod, "aws:cloudwatch/eventArchive:EventArchive").inputs;
    expect(archive.eventSourceArn).to.equal(bus.state.arn);
    expect(JSON.parse(String(archive.eventPattern))).to.deep.equal({ source: ["bank.core-banking"] });
    expect(archive.retentionDays).to.equal(365);
    expect(onlyOfType(dev, "aws:cloudwatch/eventArchive:EventArchive").inputs.retentionDays).to.equal(7);
  });

  it("has one rule per notification kind on the bus, each wrapping the event in its notification envelope", () => {
    const busRules = ofType(prod, "aws:cloudwatch/eventRule:EventRule").filter(
      (rule) => rule.inputs.eventBusName === "bank-notif-prod-operations",
    );
    expect(busRules.map((rule) => rule.inputs.name)).to.have.members(
      NOTIFICATION_KINDS.map((kind) => `bank-notif-prod-${kind}`),
    );
    for (const kind of NOTIFICATION_KINDS) {
      const rule = busRules.find((candidate) => candidate.inputs.name === `bank-notif-prod-${kind}`)!;
      const [target, ...others] = ofType(prod, "aws:cloudwatch/eventTarget:EventTarget").filter(
        (candidate) => candidate.inputs.rule === rule.inputs.name,
      );
      expect(others, kind).to.deep.equal([]);
      expect(target.inputs.arn, kind).to.equal(queueNamed(prod, "bank-notif-prod-notify").state.arn);
      expect(target.inputs.inputTransformer, kind).to.deep.equal({
        inputTemplate: notificationInputTemplate(kind),
      });
    }
  });

  it("gives every rule target, on both buses, EventBridge's longest retry policy (185 attempts within 24 h) and the delivery DLQ", () => {
    // RetryPolicy: MaximumRetryAttempts 0 to 185, MaximumEventAgeInSeconds 60 to 86400.
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
    const deliveryDlq = queueNamed(prod, "bank-notif-prod-delivery-dlq");
    const targets = ofType(prod, "aws:cloudwatch/eventTarget:EventTarget");
    expect(targets).to.have.length(NOTIFICATION_KINDS.length + 1);
    for (const target of targets) {
      expect(target.inputs.retryPolicy, target.name).to.deep.equal({
        maximumRetryAttempts: 185,
        maximumEventAgeInSeconds: 86_400,
      });
      expect(target.inputs.deadLetterConfig, target.name).to.deep.equal({ arn: deliveryDlq.state.arn });
    }
  });

  it("lets EventBridge send to the notify queue and the delivery DLQ only for this stack's rules, over TLS only", () => {
    const busRuleArns = ofType(prod, "aws:cloudwatch/eventRule:EventRule")
      .filter((rule) => rule.inputs.eventBusName !== "default")
      .map((rule) => rule.state.arn);
    const feedbackRuleArn = named(
      prod,
      "aws:cloudwatch/eventRule:EventRule",
      "notifications-rule-ses-feedback",
    ).state.arn;
    const notify = queuePolicyOf(prod, queueNamed(prod, "bank-notif-prod-notify")).Statement;
    expect(notify[0].Sid).to.equal("DenyInsecureTransport");
    expect(notify[1]).to.deep.include({
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Condition: { ArnEquals: { "aws:SourceArn": busRuleArns } },
    });
    const delivery = queuePolicyOf(prod, queueNamed(prod, "bank-notif-prod-delivery-dlq")).Statement;
    expect(delivery[1].Condition).to.deep.equal({
      ArnEquals: {
        "aws:SourceArn": [
          ...busRuleArns,
          feedbackRuleArn,
          onlyOfType(prod, "aws:cloudwatch/eventBus:EventBus").state.arn,
        ],
      },
    });
    for (const queue of ofType(prod, "aws:sqs/queue:Queue")) {
      expect(queuePolicyOf(prod, queue).Statement[0].Condition, String(queue.inputs.name)).to.deep.equal({
        Bool: { "aws:SecureTransport": "false" },
      });
    }
  });

  it("redrives the notify queue to its DLQ after five deliveries, and the DLQ accepts no other source queue", () => {
    const notify = queueNamed(prod, "bank-notif-prod-notify");
    const notifyDlq = queueNamed(prod, "bank-notif-prod-notify-dlq");
    // Five deliveries, then the DLQ; SQS accepts a maxReceiveCount from 1 to 1,000.
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    expect(JSON.parse(String(notify.inputs.redrivePolicy))).to.deep.equal({
      deadLetterTargetArn: notifyDlq.state.arn,
      maxReceiveCount: 5,
    });
    const allow = onlyOfType(prod, "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").inputs;
    expect(allow.queueUrl).to.equal(notifyDlq.id);
    expect(JSON.parse(String(allow.redriveAllowPolicy))).to.deep.equal({
      redrivePermission: "byQueue",
      sourceQueueArns: [notify.state.arn],
    });
    for (const name of ["bank-notif-prod-delivery-dlq", "bank-notif-prod-feedback-dlq"]) {
      expect(JSON.parse(String(queueNamed(prod, name).inputs.redriveAllowPolicy))).to.deep.equal({
        redrivePermission: "denyAll",
      });
    }
    // AWS: at least six times the function timeout plus the event source mapping's batching window.
    expect(notify.inputs.visibilityTimeoutSeconds).to.equal(6 * 60 + 1);
  });

  it("feeds the notify function from the queue with partial batch failures, at a concurrency within the SES rate", () => {
    for (const [run, concurrency] of [
      [dev, 2],
      [prod, 10],
    ] as const) {
      const mapping = onlyOfType(run, "aws:lambda/eventSourceMapping:EventSourceMapping").inputs;
      expect(byArn(run, mapping.eventSourceArn)?.inputs.name).to.match(/-notify$/);
      expect(byArn(run, mapping.functionName)?.inputs.name).to.match(/-notify$/);
      expect(mapping.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
      expect(mapping.scalingConfig).to.deep.equal({ maximumConcurrency: concurrency });
    }
  });

  it("listens on the default bus for SES events of this stack's configuration set, invoking the feedback function", () => {
    const rule = named(prod, "aws:cloudwatch/eventRule:EventRule", "notifications-rule-ses-feedback");
    expect(rule.inputs.eventBusName).to.equal("default");
    expect(rule.state.arn).to.equal(
      "arn:aws:events:eu-west-3:444455556666:rule/bank-notif-prod-ses-feedback",
    );
    const pattern = JSON.parse(String(rule.inputs.eventPattern));
    expect(pattern.source).to.deep.equal(["aws.ses"]);
    expect(pattern.detail.mail.tags).to.deep.equal({
      "ses:configuration-set": ["bank-notif-prod-notifications"],
    });
    const target = ofType(prod, "aws:cloudwatch/eventTarget:EventTarget").find(
      (candidate) => candidate.inputs.rule === rule.inputs.name,
    )!;
    expect(target.inputs.eventBusName).to.equal("default");
    expect(byArn(prod, target.inputs.arn)?.inputs.name).to.equal("bank-notif-prod-ses-feedback");
    const permission = ofType(prod, "aws:lambda/permission:Permission").find(
      (candidate) => candidate.inputs.sourceArn === rule.state.arn,
    )!;
    expect(permission.inputs).to.deep.include({
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      function: "bank-notif-prod-ses-feedback",
    });
  });
});
