import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { notificationInputTemplate } from "../runtime/domain/operationEvent";
import { CONFIGURATION_SET_TAG } from "../runtime/domain/sesFeedback";
import {
  LARGE_AMOUNT_NOTIFICATION,
  OPERATION_KINDS,
  type NotificationKind,
  type OperationKind,
} from "../runtime/domain/operationKinds";
import type { StackContext } from "./context";
import { SES_EVENTS } from "./email";
import {
  NOTIFY_BATCHING_WINDOW_SECONDS,
  notifyQueueVisibilityTimeoutSeconds,
  type StackFunctions,
} from "./functions";
import { denyInsecureTransport, policyDocument } from "./iam";

/**
 * Retry policy of every rule target: EventBridge's maxima (185 attempts, 24 hours), after which the
 * event goes to the delivery DLQ. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
 */
const RULE_TARGET_RETRY_POLICY = {
  maximumEventAgeInSeconds: 86_400,
  maximumRetryAttempts: 185,
} as const;
/** Messages one notify invocation sends per second (each is a few DynamoDB calls, one SES call, one S3 put). */
export const SENDS_PER_SECOND_PER_INVOCATION = 5;
/** Lambda's bounds for an SQS event source's maximum concurrency. */
const MAXIMUM_CONCURRENCY_BOUNDS = { min: 2, max: 1000 } as const;
const DLQ_RETENTION_SECONDS = 14 * 86_400;

/** Concurrent notify invocations that keep sending within the SES rate. */
export function notifyMaximumConcurrency(sesMaxSendRate: number): number {
  const fitting = Math.floor(sesMaxSendRate / SENDS_PER_SECOND_PER_INVOCATION);
  return Math.min(MAXIMUM_CONCURRENCY_BOUNDS.max, Math.max(MAXIMUM_CONCURRENCY_BOUNDS.min, fitting));
}

/** One rule per operation kind: the kind's events from core banking. */
export function operationRulePattern(eventSource: string, kind: OperationKind) {
  return { source: [eventSource], "detail-type": [kind] };
}

/**
 * Operations of any kind whose routing amount reaches the threshold of their currency. Numeric
 * patterns only match JSON numbers, hence the runtime's numeric routing copy of the amount.
 */
export function largeAmountRulePattern(eventSource: string, thresholds: Record<string, number>) {
  const byCurrency = Object.entries(thresholds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, minimum]) => ({ currency: [currency], amount: [{ numeric: [">=", minimum] }] }));
  return {
    source: [eventSource],
    "detail-type": [...OPERATION_KINDS],
    detail: { routing: byCurrency.length === 1 ? byCurrency[0] : { $or: byCurrency } },
  };
}

/** SES events of this stack's configuration set, on the default bus. */
export function sesFeedbackRulePattern(configurationSetName: string) {
  return {
    source: ["aws.ses"],
    detail: {
      eventType: SES_EVENTS.map((event) => event.eventType),
      mail: { tags: { [CONFIGURATION_SET_TAG]: [configurationSetName] } },
    },
  };
}

/** The bus, its archive, the notify queue and the three dead-letter queues. */
export function createEventInfrastructure(ctx: StackContext, key: aws.kms.Key) {
  const { settings, names } = ctx;
  const encrypted = { kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: 300, tags: settings.tags };
  const deadLetterQueue = (resourceName: string, name: string, redriveAllowPolicy?: string) =>
    new aws.sqs.Queue(
      resourceName,
      {
        name,
        messageRetentionSeconds: DLQ_RETENTION_SECONDS,
        ...(redriveAllowPolicy ? { redriveAllowPolicy } : {}),
        ...encrypted,
      },
      ctx.opts(),
    );
  // Nothing redrives into these two: EventBridge and Lambda send to them directly.
  const denyRedrive = JSON.stringify({ redrivePermission: "denyAll" });
  const deliveryDlq = deadLetterQueue(`${ctx.name}-delivery-dlq`, names.deliveryDlq, denyRedrive);
  const feedbackDlq = deadLetterQueue(`${ctx.name}-feedback-dlq`, names.feedbackDlq, denyRedrive);
  const notifyDlq = deadLetterQueue(`${ctx.name}-notify-dlq`, names.notifyDlq);
  // Encrypted with the stack key: events carry amounts and descriptions. Events EventBridge cannot
  // encrypt or decrypt (the key disabled, say) go to the delivery DLQ instead of being dropped.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-dlq.html
  const bus = new aws.cloudwatch.EventBus(
    `${ctx.name}-bus`,
    {
      name: names.eventBus,
      description: "Operations reported by core banking",
      kmsKeyIdentifier: key.arn,
      deadLetterConfig: { arn: deliveryDlq.arn },
      tags: settings.tags,
    },
    ctx.opts(),
  );
  // An archive is not covered by its bus's key: it names its own.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html
  const archive = new aws.cloudwatch.EventArchive(
    `${ctx.name}-bus`,
    {
      name: names.eventArchive,
      description: "Every operation event, for replay",
      eventSourceArn: bus.arn,
      kmsKeyIdentifier: key.arn,
      retentionDays: settings.eventArchiveRetentionDays,
      eventPattern: JSON.stringify({ source: [settings.eventSource] }),
    },
    ctx.opts(),
  );
  const notifyQueue = new aws.sqs.Queue(
    `${ctx.name}-notify`,
    {
      name: names.notifyQueue,
      visibilityTimeoutSeconds: notifyQueueVisibilityTimeoutSeconds(settings.functionTimeoutSeconds.notify),
      messageRetentionSeconds: 4 * 86_400,
      redrivePolicy: pulumi.jsonStringify({
        deadLetterTargetArn: notifyDlq.arn,
        maxReceiveCount: settings.notifyMaxReceiveCount,
      }),
      ...encrypted,
    },
    ctx.opts(),
  );
  new aws.sqs.RedriveAllowPolicy(
    `${ctx.name}-notify-dlq`,
    {
      queueUrl: notifyDlq.id,
      redriveAllowPolicy: pulumi.jsonStringify({
        redrivePermission: "byQueue",
        sourceQueueArns: [notifyQueue.arn],
      }),
    },
    ctx.opts(),
  );
  return { bus, archive, notifyQueue, notifyDlq, deliveryDlq, feedbackDlq };
}
export type EventInfrastructure = ReturnType<typeof createEventInfrastructure>;

interface RoutingRule {
  kind: NotificationKind;
  rule: aws.cloudwatch.EventRule;
  target: aws.cloudwatch.EventTarget;
}

/**
 * The routing: one rule per operation kind and the large-amount rule, each delivering its
 * notification envelope to the notify queue (retries, then the delivery DLQ); the notify function
 * consuming that queue; and, on the default bus, the SES feedback rule invoking the feedback function.
 */
export function createRouting(
  ctx: StackContext,
  infra: EventInfrastructure,
  functions: StackFunctions,
  configurationSet: aws.sesv2.ConfigurationSet,
) {
  const { settings, names } = ctx;
  const rules: RoutingRule[] = [
    ...OPERATION_KINDS.map((kind) => ({
      kind: kind as NotificationKind,
      name: names.operationRules[kind],
      description: `Notify ${kind} operations`,
      pattern: operationRulePattern(settings.eventSource, kind),
    })),
    {
      kind: LARGE_AMOUNT_NOTIFICATION as NotificationKind,
      name: names.largeAmountRule,
      description: "Alert on operations at or above the large-amount threshold of their currency",
      pattern: largeAmountRulePattern(settings.eventSource, settings.largeAmountThresholds),
    },
  ].map(({ kind, name, description, pattern }) => {
    const rule = new aws.cloudwatch.EventRule(
      `${ctx.name}-rule-${kind}`,
      {
        name,
        description,
        eventBusName: infra.bus.name,
        eventPattern: JSON.stringify(pattern),
        tags: settings.tags,
      },
      ctx.opts(),
    );
    const target = new aws.cloudwatch.EventTarget(
      `${ctx.name}-rule-${kind}`,
      {
        rule: rule.name,
        eventBusName: infra.bus.name,
        targetId: "notify-queue",
        arn: infra.notifyQueue.arn,
        inputTransformer: { inputTemplate: notificationInputTemplate(kind) },
        retryPolicy: RULE_TARGET_RETRY_POLICY,
        deadLetterConfig: { arn: infra.deliveryDlq.arn },
      },
      ctx.opts(),
    );
    return { kind, rule, target };
  });

  const feedbackRule = new aws.cloudwatch.EventRule(
    `${ctx.name}-rule-ses-feedback`,
    {
      name: names.sesFeedbackRule,
      description: `SES events of the ${names.configurationSet} configuration set`,
      eventBusName: "default",
      eventPattern: configurationSet.configurationSetName.apply((name) =>
        JSON.stringify(sesFeedbackRulePattern(name)),
      ),
      tags: settings.tags,
    },
    ctx.opts(),
  );
  const feedbackPermission = new aws.lambda.Permission(
    `${ctx.name}-rule-ses-feedback`,
    {
      action: "lambda:InvokeFunction",
      function: functions.sesFeedback.fn.name,
      principal: "events.amazonaws.com",
      sourceArn: feedbackRule.arn,
    },
    ctx.opts(),
  );
  const feedbackTarget = new aws.cloudwatch.EventTarget(
    `${ctx.name}-rule-ses-feedback`,
    {
      rule: feedbackRule.name,
      eventBusName: "default",
      targetId: "ses-feedback-function",
      arn: functions.sesFeedback.fn.arn,
      retryPolicy: RULE_TARGET_RETRY_POLICY,
      deadLetterConfig: { arn: infra.deliveryDlq.arn },
    },
    ctx.opts({ dependsOn: [feedbackPermission] }),
  );

  const customBusRuleArns = rules.map(({ rule }) => rule.arn);
  const eventBridgeMaySend = (sid: string, queue: aws.sqs.Queue, sourceArns: pulumi.Output<string>[]) => ({
    Sid: sid,
    Effect: "Allow" as const,
    Principal: { Service: "events.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: queue.arn,
    Condition: { ArnEquals: { "aws:SourceArn": sourceArns } },
  });
  const queuePolicy = (
    resourceName: string,
    queue: aws.sqs.Queue,
    extra: ReturnType<typeof eventBridgeMaySend>[],
  ) =>
    new aws.sqs.QueuePolicy(
      resourceName,
      { queueUrl: queue.id, policy: policyDocument([denyInsecureTransport("sqs:*", queue.arn), ...extra]) },
      ctx.opts(),
    );
  const queuePolicies = [
    queuePolicy(`${ctx.name}-notify`, infra.notifyQueue, [
      eventBridgeMaySend("RoutingRulesSendEnvelopes", infra.notifyQueue, customBusRuleArns),
    ]),
    queuePolicy(`${ctx.name}-delivery-dlq`, infra.deliveryDlq, [
      eventBridgeMaySend("EventBridgeSendsUndeliverableEvents", infra.deliveryDlq, [
        ...customBusRuleArns,
        feedbackRule.arn,
        infra.bus.arn,
      ]),
    ]),
    queuePolicy(`${ctx.name}-notify-dlq`, infra.notifyDlq, []),
    queuePolicy(`${ctx.name}-feedback-dlq`, infra.feedbackDlq, []),
  ];

  const notifySource = new aws.lambda.EventSourceMapping(
    `${ctx.name}-notify-queue`,
    {
      eventSourceArn: infra.notifyQueue.arn,
      functionName: functions.notify.fn.arn,
      batchSize: 10,
      maximumBatchingWindowInSeconds: NOTIFY_BATCHING_WINDOW_SECONDS,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: notifyMaximumConcurrency(settings.sesMaxSendRate) },
      enabled: true,
    },
    ctx.opts(),
  );
  return { rules, feedbackRule, feedbackTarget, feedbackPermission, queuePolicies, notifySource };
}
