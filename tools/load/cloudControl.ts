import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import type { CloudDescription, LocalCloud } from "../../local/cloud/localCloud";
import type { FaultRule } from "../../local/cloud/faults";
import type { MetricDatum } from "../../local/eventbridge/eventMetrics";

/**
 * What a load run or a fault scenario does to a local cloud besides calling it: inject faults,
 * withdraw a queue policy's grant to EventBridge, read EventBridge's metrics, the alarms the stack
 * defines, queue depths and dead letters (through fauxqs itself: an operator's view). Plain data
 * in and out, so that the same control works in process (the e2e specs) and over IPC (the load
 * tool runs the cloud in a child process of its own).
 */
export interface AlarmDefinition {
  name: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  comparisonOperator: string;
  threshold: number;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
}

export interface DeadLetter {
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, string>;
}

export interface CloudControl {
  description: CloudDescription;
  injectFault(rule: FaultRule): Promise<void>;
  clearFaults(): Promise<void>;
  /** Removes the statements of `queueName`'s policy that let EventBridge send; returns how many. */
  revokeEventBridgeGrant(queueName: string): Promise<number>;
  /** Puts back every statement `revokeEventBridgeGrant` removed. */
  restoreEventBridgeGrants(): Promise<void>;
  eventMetrics(): Promise<MetricDatum[]>;
  alarms(): Promise<AlarmDefinition[]>;
  queueDepth(queueName: string): Promise<QueueDepth>;
  /** Every message of a (dead-letter) queue, received with a visibility timeout so they come back. */
  messagesIn(queueName: string, visibilitySeconds?: number): Promise<DeadLetter[]>;
}

interface PolicyStatement {
  Principal?: { Service?: string | string[] };
}

export function cloudControl(cloud: LocalCloud): CloudControl {
  const { description } = cloud;
  const sqs = new SQSClient({
    region: description.region,
    endpoint: cloud.services.endpoints.s3,
    credentials: { accessKeyId: "operator", secretAccessKey: "operator" },
    // fauxqs's queue URLs name *.localhost hosts; every call goes to the endpoint instead.
    useQueueUrlAsEndpoint: false,
  });
  const queueUrl = async (queueName: string) =>
    (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl!;
  const revoked: { resource: { inputs: Record<string, unknown> }; policy: unknown }[] = [];
  const sendsForEventBridge = (statement: PolicyStatement) =>
    [statement.Principal?.Service].flat().includes("events.amazonaws.com");

  return {
    description,
    async injectFault(rule) {
      cloud.faults.inject(rule);
    },
    async clearFaults() {
      cloud.faults.clear();
    },
    async revokeEventBridgeGrant(queueName) {
      const policies = cloud.resources.filter(
        (resource) =>
          resource.type === "aws:sqs/queuePolicy:QueuePolicy" &&
          String(resource.inputs.queueUrl ?? "").endsWith(`/${queueName}`),
      );
      let removed = 0;
      for (const resource of policies) {
        const document = JSON.parse(String(resource.inputs.policy)) as { Statement: PolicyStatement[] };
        const kept = document.Statement.filter((statement) => !sendsForEventBridge(statement));
        if (kept.length === document.Statement.length) continue;
        revoked.push({ resource, policy: resource.inputs.policy });
        removed += document.Statement.length - kept.length;
        resource.inputs.policy = JSON.stringify({ ...document, Statement: kept });
      }
      return removed;
    },
    async restoreEventBridgeGrants() {
      for (const { resource, policy } of revoked.splice(0).reverse()) resource.inputs.policy = policy;
    },
    async eventMetrics() {
      return cloud.eventBridge.metrics();
    },
    async alarms() {
      return cloud.resources
        .filter((resource) => resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
        .map(({ inputs }) => ({
          name: String(inputs.name),
          namespace: String(inputs.namespace),
          metricName: String(inputs.metricName),
          dimensions: (inputs.dimensions ?? {}) as Record<string, string>,
          comparisonOperator: String(inputs.comparisonOperator),
          threshold: Number(inputs.threshold),
        }));
    },
    async queueDepth(queueName) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: await queueUrl(queueName),
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    },
    async messagesIn(queueName, visibilitySeconds = 30) {
      const url = await queueUrl(queueName);
      const messages: Message[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: visibilitySeconds,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        if (Messages.length === 0) break;
        messages.push(...Messages);
      }
      return messages.map((message) => ({
        body: String(message.Body),
        attributes: (message.Attributes ?? {}) as Record<string, string>,
        messageAttributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            String(value.StringValue),
          ]),
        ),
      }));
    },
  };
}
