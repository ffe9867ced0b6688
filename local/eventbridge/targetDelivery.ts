import type { LambdaInvoker, QueueSender } from "../cloud/types";
import type { Caller } from "../iam/evaluator";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import { permissionFailure, targetFailure, type DeliveryFailure } from "./deliveryFailure";
import { eventJson } from "./eventEnvelope";
import type { EventMetrics } from "./eventMetrics";
import type { TargetDefinition } from "./eventTopology";
import { retryDelayMs } from "./retryBackoff";
import { renderTargetInput, type DeliveredEvent } from "./targetInput";

/**
 * One event to one target, as EventBridge delivers it: as the service principal
 * `events.amazonaws.com` acting for the rule (`aws:SourceArn` = the rule's ARN, `aws:SourceAccount`),
 * so the queue's policy, the queue key's policy or the function's permissions decide; retryable
 * failures retried with back-off until the retry policy's attempts or event age run out; then, or at
 * once for a failure retrying cannot fix, the event goes to the target's dead-letter queue with
 * the attributes EventBridge adds, or is dropped when the target has none.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/rule-dlq.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
 */

export type EventBridgeLog = (level: "info" | "warn" | "error", message: string) => void;

export interface DeliveryServices {
  authorizer: StackAuthorizer;
  accountId: string;
  sqs: QueueSender;
  lambda: LambdaInvoker;
  metrics: EventMetrics;
  now(): number;
  random(): number;
  /** Waits `ms` milliseconds; resolves false when the service stopped meanwhile. */
  wait(ms: number): Promise<boolean>;
  /** Every wait, and the event age a retry policy allows, is divided by it (local-only setting). */
  timeScale: number;
  log: EventBridgeLog;
}

type ExhaustedCondition = "MaximumRetryAttempts" | "MaximumEventAgeInSeconds";

function isQueue(arn: string): boolean {
  return arn.split(":")[2] === "sqs";
}

/** EventBridge calls targets as its service principal, for the rule. */
function eventBridgeFor(ruleArn: string, accountId: string): Caller {
  return { kind: "service", service: "events.amazonaws.com", sourceArn: ruleArn, sourceAccount: accountId };
}

/** Why AWS would refuse EventBridge's call to the queue (its policy, its key's) or the function, if it would. */
async function refusal(services: DeliveryServices, caller: Caller, arn: string): Promise<string | undefined> {
  if (isQueue(arn)) {
    const checked = await services.authorizer.checkWithKey(
      caller,
      { action: "sqs:SendMessage", resource: arn, context: {} },
      [],
    );
    return checked.find(({ decision }) => !decision.allowed)?.decision.message;
  }
  const decision = await services.authorizer.check(
    caller,
    { action: "lambda:InvokeFunction", resource: arn, context: {} },
    [],
  );
  return decision.allowed ? undefined : decision.message;
}

/** EventBridge invokes a function asynchronously with the input as its event. */
async function send(services: DeliveryServices, arn: string, input: string): Promise<void> {
  if (isQueue(arn)) {
    await services.sqs.sendMessage(arn, input);
    return;
  }
  let payload: unknown = input;
  try {
    payload = JSON.parse(input);
  } catch {
    // A template may produce text that is not JSON: the function receives it as a string.
  }
  await services.lambda.invokeAsync(arn, payload);
}

type Attributes = Parameters<QueueSender["sendMessage"]>[2];

/** The message attributes of a dead-lettered event; EXHAUSTED_RETRY_CONDITION only when retries ran out. */
function deadLetterAttributes(
  target: TargetDefinition,
  failure: DeliveryFailure,
  retries: number,
  exhausted: ExhaustedCondition | undefined,
): Attributes {
  const text = (value: string) => ({ DataType: "String" as const, StringValue: value });
  return {
    RULE_ARN: text(target.rule.arn),
    TARGET_ARN: text(target.arn),
    ERROR_CODE: text(failure.code),
    ERROR_MESSAGE: text(failure.message),
    RETRY_ATTEMPTS: text(String(retries)),
    ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: text(exhausted) } : {}),
  };
}

interface FailedDelivery {
  failure: DeliveryFailure;
  retries: number;
  exhausted?: ExhaustedCondition;
}

async function deadLetter(
  services: DeliveryServices,
  target: TargetDefinition,
  delivered: DeliveredEvent,
  outcome: FailedDelivery,
): Promise<void> {
  const { rule } = target;
  const what = `event ${delivered.event.header.id} for ${target.arn} (rule ${rule.name}): ${outcome.failure.code} ${outcome.failure.message}`;
  if (!target.deadLetterArn) {
    services.log("warn", `dropped ${what}; the target has no dead-letter queue`);
    return;
  }
  const refused = await refusal(services, eventBridgeFor(rule.arn, services.accountId), target.deadLetterArn);
  try {
    if (refused) throw new Error(refused);
    await services.sqs.sendMessage(
      target.deadLetterArn,
      eventJson(delivered.event),
      deadLetterAttributes(target, outcome.failure, outcome.retries, outcome.exhausted),
    );
    services.metrics.forRule("InvocationsSentToDlq", rule);
    services.log("warn", `sent to ${target.deadLetterArn}: ${what}`);
  } catch (error) {
    services.metrics.forRule("InvocationsFailedToBeSentToDlq", rule);
    services.log("error", `lost ${what}; the dead-letter queue refused it: ${(error as Error).message}`);
  }
}

/** Sends until it succeeds, fails in a way retrying cannot fix, or the retry policy runs out. */
async function sendWithRetries(
  services: DeliveryServices,
  target: TargetDefinition,
  delivered: DeliveredEvent,
  input: string,
): Promise<"delivered" | "abandoned" | FailedDelivery> {
  const { retryPolicy } = target;
  for (let retries = 0; ; retries += 1) {
    let failure: DeliveryFailure;
    try {
      await send(services, target.arn, input);
      return "delivered";
    } catch (error) {
      failure = targetFailure(error);
    }
    if (!failure.retryable) return { failure, retries };
    if (retries >= retryPolicy.maximumRetryAttempts)
      return { failure, retries, exhausted: "MaximumRetryAttempts" };
    const delay = retryDelayMs(retries, services.random) / services.timeScale;
    const maximumAgeMs = (retryPolicy.maximumEventAgeInSeconds * 1000) / services.timeScale;
    if (services.now() + delay - delivered.receivedAt > maximumAgeMs)
      return { failure, retries, exhausted: "MaximumEventAgeInSeconds" };
    if (!(await services.wait(delay))) return "abandoned";
  }
}

export async function deliver(
  services: DeliveryServices,
  target: TargetDefinition,
  delivered: DeliveredEvent,
): Promise<void> {
  const { rule } = target;
  const input = renderTargetInput(target.input, delivered, rule);
  const refused = await refusal(services, eventBridgeFor(rule.arn, services.accountId), target.arn);
  const outcome =
    refused === undefined
      ? await sendWithRetries(services, target, delivered, input)
      : { failure: permissionFailure(refused), retries: 0 };
  if (outcome === "abandoned") {
    services.log("warn", `stopped before retrying event ${delivered.event.header.id} for ${target.arn}`);
    return;
  }
  services.metrics.forRule("Invocations", rule);
  if (outcome === "delivered") return;
  services.metrics.forRule("FailedInvocations", rule);
  await deadLetter(services, target, delivered, outcome);
}
