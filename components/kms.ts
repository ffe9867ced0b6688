import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context";
import { policyDocument, type PolicyStatementInput } from "./iam";

/**
 * The key policy. Besides the account (so that IAM policies, such as the functions' roles, can grant
 * use of the key), it names exactly the AWS services that encrypt or decrypt with the key on the
 * stack's behalf, each scoped to this account and, where the service says which resource it acts
 * for, to this stack's resources.
 */
export function stackKeyPolicy(ctx: StackContext): pulumi.Output<string> {
  const { names } = ctx;
  const account = ctx.accountId;
  const servicePrincipal = (service: pulumi.Input<string>) => ({ Service: service });
  const busArn = ctx.arn("events", `event-bus/${names.eventBus}`);
  const statements: PolicyStatementInput[] = [
    {
      // The default key policy: without it the key could become unmanageable, and no IAM policy could grant its use.
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: pulumi.interpolate`arn:${ctx.partition}:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
    {
      // CloudWatch Logs encrypts the stack's log groups, and only those under its prefix.
      Sid: "CloudWatchLogsEncryptsStackLogGroups",
      Effect: "Allow",
      Principal: servicePrincipal(pulumi.interpolate`logs.${ctx.region}.amazonaws.com`),
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": ctx.arn("logs", `log-group:${names.logGroupPrefix}*`),
        },
      },
    },
    {
      // EventBridge delivers to the encrypted queues: the notify queue (rules) and the delivery DLQ.
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
      Sid: "EventBridgeDeliversToEncryptedQueues",
      Effect: "Allow",
      Principal: servicePrincipal("events.amazonaws.com"),
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": account },
        ArnLike: {
          "aws:SourceArn": [
            ctx.arn("events", `rule/${names.eventBus}/*`),
            ctx.arn("events", `rule/${names.sesFeedbackRule}`),
            busArn,
          ],
        },
      },
    },
    {
      // EventBridge encrypts the bus's events (for pattern matching and delivery) under the bus's context.
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html
      Sid: "EventBridgeEncryptsTheBus",
      Effect: "Allow",
      Principal: servicePrincipal("events.amazonaws.com"),
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: {
          "aws:SourceAccount": account,
          "aws:SourceArn": busArn,
          "kms:EncryptionContext:aws:events:event-bus:arn": busArn,
        },
      },
    },
    {
      // The bus and its archive: DescribeKey carries no encryption context, and the archive page
      // documents none to pin (https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html).
      Sid: "EventBridgeDescribesKeyAndEncryptsTheArchive",
      Effect: "Allow",
      Principal: servicePrincipal("events.amazonaws.com"),
      Action: [
        "kms:DescribeKey",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": account },
        ArnEquals: { "aws:SourceArn": [busArn, ctx.arn("events", `archive/${names.eventArchive}`)] },
      },
    },
    {
      // Amazon SNS decrypts the alarm topic's messages to deliver them.
      Sid: "SnsDeliversAlarmTopic",
      Effect: "Allow",
      Principal: servicePrincipal("sns.amazonaws.com"),
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": account },
        ArnLike: { "aws:SourceArn": ctx.arn("sns", names.alarmTopic) },
      },
    },
    {
      // CloudWatch alarms publish to the encrypted alarm topic.
      Sid: "CloudWatchAlarmsPublishToAlarmTopic",
      Effect: "Allow",
      Principal: servicePrincipal("cloudwatch.amazonaws.com"),
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": account },
        ArnLike: { "aws:SourceArn": ctx.arn("cloudwatch", `alarm:${names.prefix}-*`) },
      },
    },
  ];
  return policyDocument(statements);
}

/** One customer-managed key, rotated yearly, for every encrypted resource of the stack. */
export function createStackKey(ctx: StackContext) {
  const { settings, names } = ctx;
  const key = new aws.kms.Key(
    `${ctx.name}-key`,
    {
      description: `Encrypts the data, queues, logs, secret and alarm topic of ${names.prefix}`,
      enableKeyRotation: true,
      deletionWindowInDays: settings.kmsKeyDeletionWindowDays,
      policy: stackKeyPolicy(ctx),
      tags: settings.tags,
    },
    ctx.opts({ data: true }),
  );
  const alias = new aws.kms.Alias(
    `${ctx.name}-key`,
    { name: names.keyAlias, targetKeyId: key.keyId },
    ctx.opts(),
  );
  return { key, alias };
}
