import { PutEventsCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { SendMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import { eventValue, parseEventJson, type BusEvent } from "../../local/eventbridge/eventEnvelope";
import { renderTargetInput } from "../../local/eventbridge/targetInput";
import { NOTIFICATION_KINDS } from "../../runtime/domain/operationKinds";
import { notificationInputTemplate } from "../../runtime/domain/operationEvent";
import { messageAttribute } from "./messageSummary";
import type { DeadLetterQueueName, StackAddresses } from "./redriveTarget";

/**
 * How a dead-lettered message goes back to where it failed, per queue. Each resolves once AWS
 * accepted it (and says where it went) and rejects otherwise, so the caller deletes only what was
 * accepted.
 *
 * - notify DLQ: the message, attributes included, back to the notify queue it came from.
 * - delivery DLQ: the event to the one target that could not take it (`TARGET_ARN`), as the rule
 *   (`RULE_ARN`) would have delivered it: to the notify queue wrapped by the rule's input
 *   transformer, to the feedback function as an asynchronous invocation with the event. An event
 *   without a target is one the bus itself could not handle: it goes back on the bus. Putting
 *   every event back on the bus instead would deliver it again to every rule it matches (the
 *   targets that did get it included), give it a new id, archive it a second time, and cannot be
 *   done at all for SES's events (`aws.` sources belong to AWS).
 * - feedback DLQ: Lambda's invocation record; the function is invoked again, asynchronously as the
 *   bus invoked it, with the record's `requestPayload`.
 */
export interface RedriveClients {
  sqs: SQSClient;
  /** Undefined when the local cloud serves no Lambda endpoint. */
  lambda: LambdaClient | undefined;
  events: EventBridgeClient;
}

export type Resend = (message: Message) => Promise<string>;

const lastPart = (text: string, separator: string) => text.split(separator).pop() ?? "";

/** The event in a DLQ message: as EventBridge writes it, or any JSON event with a detail. */
function busEventOf(body: string): BusEvent {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (typeof parsed.source !== "string" || typeof parsed["detail-type"] !== "string" || !("detail" in parsed))
    throw new Error("the message is not an EventBridge event (no source, detail-type or detail)");
  try {
    const event = parseEventJson(body);
    JSON.parse(event.detailJson);
    return event;
  } catch {
    const { detail, ...header } = parsed;
    return { header: header as unknown as BusEvent["header"], detailJson: JSON.stringify(detail) };
  }
}

/** The notification kind a routing rule stands for: its name ends with the kind. */
function kindOfRule(ruleName: string): (typeof NOTIFICATION_KINDS)[number] {
  const kinds = NOTIFICATION_KINDS.filter((kind) => ruleName.endsWith(`-${kind}`));
  if (kinds.length !== 1)
    throw new Error(`rule ${ruleName} is not one of this stack's routing rules (one per notification kind)`);
  return kinds[0];
}

async function invokeAsync(
  lambda: LambdaClient | undefined,
  functionName: string,
  payload: string,
): Promise<string> {
  if (!lambda)
    throw new Error(
      "the local cloud serves no Lambda endpoint (cloud.json endpoints.lambda): restart it with this version",
    );
  const answer = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: "Event", Payload: Buffer.from(payload) }),
  );
  if (answer.StatusCode !== 202)
    throw new Error(`Lambda answered ${answer.StatusCode} to an asynchronous invocation, not 202`);
  return `function ${functionName} (asynchronous invocation)`;
}

/** A received message's attributes as SendMessage takes them (the list fields are reserved by SQS). */
function attributesToSend(attributes: Message["MessageAttributes"] = {}) {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, { DataType, StringValue, BinaryValue }]) => [
      name,
      {
        DataType,
        ...(StringValue !== undefined ? { StringValue } : {}),
        ...(BinaryValue ? { BinaryValue } : {}),
      },
    ]),
  );
}

async function sendToNotifyQueue(
  sqs: SQSClient,
  stack: StackAddresses,
  body: string,
  attributes?: Message["MessageAttributes"],
): Promise<string> {
  const copied = attributesToSend(attributes);
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.notifyQueueUrl,
      MessageBody: body,
      ...(Object.keys(copied).length > 0 ? { MessageAttributes: copied } : {}),
    }),
  );
  return `notify queue as ${sent.MessageId}`;
}

function deliveryResender(stack: StackAddresses, clients: RedriveClients, now: () => number): Resend {
  return async (message) => {
    const event = busEventOf(String(message.Body));
    const targetArn = messageAttribute(message, "TARGET_ARN");
    if (!targetArn) {
      const answer = await clients.events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: stack.eventBusName,
              Source: event.header.source,
              DetailType: event.header["detail-type"],
              Detail: event.detailJson,
              Resources: event.header.resources ?? [],
              ...(event.header.time ? { Time: new Date(event.header.time) } : {}),
            },
          ],
        }),
      );
      const [entry] = answer.Entries ?? [];
      if (answer.FailedEntryCount !== 0 || !entry?.EventId)
        throw new Error(`PutEvents refused the event: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
      return `bus ${stack.eventBusName} as event ${entry.EventId}`;
    }
    const service = targetArn.split(":")[2];
    if (service === "sqs" && lastPart(targetArn, ":") === lastPart(stack.notifyQueueUrl, "/")) {
      const ruleArn = messageAttribute(message, "RULE_ARN") ?? "";
      const rule = { arn: ruleArn, name: lastPart(ruleArn, "/") };
      const input = renderTargetInput(
        { kind: "transformer", paths: {}, template: notificationInputTemplate(kindOfRule(rule.name)) },
        { event, value: eventValue(event), receivedAt: now() },
        rule,
      );
      return sendToNotifyQueue(clients.sqs, stack, input);
    }
    if (service === "lambda" && lastPart(targetArn, ":") === stack.feedbackFunctionName)
      return invokeAsync(clients.lambda, stack.feedbackFunctionName, String(message.Body));
    throw new Error(`TARGET_ARN ${targetArn} is neither this stack's notify queue nor its feedback function`);
  };
}

function feedbackResender(stack: StackAddresses, clients: RedriveClients): Resend {
  return async (message) => {
    const record = JSON.parse(String(message.Body)) as {
      requestContext?: { functionArn?: string };
      requestPayload?: unknown;
    };
    if (record.requestPayload === undefined)
      throw new Error("the message is not a Lambda invocation record (no requestPayload)");
    const functionArn = record.requestContext?.functionArn ?? "";
    const functionName = functionArn.split(":")[6];
    if (functionName !== stack.feedbackFunctionName)
      throw new Error(`the record names ${functionArn}, not this stack's ${stack.feedbackFunctionName}`);
    return invokeAsync(clients.lambda, stack.feedbackFunctionName, JSON.stringify(record.requestPayload));
  };
}

export function resenderFor(
  queue: DeadLetterQueueName,
  stack: StackAddresses,
  clients: RedriveClients,
  now: () => number,
): Resend {
  switch (queue) {
    case "notify":
      return (message) =>
        sendToNotifyQueue(clients.sqs, stack, String(message.Body), message.MessageAttributes);
    case "delivery":
      return deliveryResender(stack, clients, now);
    case "feedback":
      return feedbackResender(stack, clients);
  }
}
