import { existsSync, readFileSync } from "node:fs";
import type { DeadLetterQueueUrls } from "../../components/bankNotificationStack";
import { physicalNames } from "../../components/naming";
import type { CloudDescription } from "../../local/cloud/localCloud";

/**
 * Where a redrive happens: the stack's queues, feedback function and bus, and how to reach them.
 * Three sources say it: the local cloud's `cloud.json` (its endpoints and the operator's keys), a
 * deployed stack's outputs saved with `pulumi stack output --json > FILE`, or a deployed stack's
 * `namePrefix` (the component derives every physical name from it). For a deployed stack the AWS
 * SDK's default credential chain signs, and the region is the one the queue URLs name, `--region`,
 * or the chain's.
 */
export type DeadLetterQueueName = keyof DeadLetterQueueUrls;
export const DEAD_LETTER_QUEUES: readonly DeadLetterQueueName[] = ["notify", "delivery", "feedback"];

export interface StackAddresses {
  notifyQueueUrl: string;
  deadLetterQueueUrls: DeadLetterQueueUrls;
  feedbackFunctionName: string;
  eventBusName: string;
}

/** What each SDK client is built with: the local cloud's endpoints and keys, or AWS's defaults. */
export interface ClientSettings {
  region?: string;
  endpoints?: { sqs: string; lambda?: string; events: string };
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface RedriveTarget {
  /** Shown in the summary: `local cloud (.local)`, the outputs file, or `AWS <prefix>`. */
  description: string;
  settings: ClientSettings;
  /** The stack's addresses; with a name prefix, queue URLs come from SQS (GetQueueUrl). */
  addresses(queueUrlOf: (queueName: string) => Promise<string>): Promise<StackAddresses>;
}

function field(source: Record<string, unknown>, path: string, where: string): string {
  const value = path
    .split(".")
    .reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined,
      source,
    );
  if (typeof value !== "string" || value === "")
    throw new Error(`${where}: ${path} is missing or not a string; the stack's outputs name it`);
  return value;
}

/** The addresses a stack's outputs give (`pulumi stack output --json`, or cloud.json's `outputs`). */
export function addressesFromOutputs(outputs: Record<string, unknown>, where: string): StackAddresses {
  return {
    notifyQueueUrl: field(outputs, "notifyQueueUrl", where),
    deadLetterQueueUrls: {
      notify: field(outputs, "deadLetterQueueUrls.notify", where),
      delivery: field(outputs, "deadLetterQueueUrls.delivery", where),
      feedback: field(outputs, "deadLetterQueueUrls.feedback", where),
    },
    feedbackFunctionName: field(outputs, "functionNames.sesFeedback", where),
    eventBusName: field(outputs, "eventBusName", where),
  };
}

/** The local cloud: its SQS, Lambda and EventBridge endpoints, signed with the operator's keys. */
export function localTarget(cloud: CloudDescription, file: string): RedriveTarget {
  const operator = cloud.credentials.operator;
  if (!operator?.accessKeyId) {
    throw new Error(
      `${file} holds no operator credentials: restart the local cloud (npm start) with this version`,
    );
  }
  const { endpoints } = cloud;
  return {
    description: `local cloud (${cloud.stateDir})`,
    settings: {
      region: cloud.region,
      // A cloud.json written before the local cloud served Lambda has no `lambda` endpoint.
      endpoints: { sqs: endpoints.sqs, lambda: endpoints.lambda || undefined, events: endpoints.events },
      credentials: operator,
    },
    // fauxqs knows a queue by the URL it gave it, not by the one the local cloud publishes: ask SQS
    // (through the authorizing proxy) for each queue by its name.
    async addresses(queueUrlOf) {
      const published = addressesFromOutputs(cloud.outputs, `${file} outputs`);
      const resolve = (url: string) => queueUrlOf(url.split("/").pop()!);
      return {
        ...published,
        notifyQueueUrl: await resolve(published.notifyQueueUrl),
        deadLetterQueueUrls: {
          notify: await resolve(published.deadLetterQueueUrls.notify),
          delivery: await resolve(published.deadLetterQueueUrls.delivery),
          feedback: await resolve(published.deadLetterQueueUrls.feedback),
        },
      };
    },
  };
}

/** The region an SQS queue URL names (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function regionOfQueueUrl(url: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(url)?.[1];
}

/** A deployed stack from its saved outputs (`pulumi stack output --json > FILE`). */
export function outputsTarget(file: string, region?: string): RedriveTarget {
  if (!existsSync(file))
    throw new Error(`--target ${file}: no such file (pulumi stack output --json > ${file})`);
  let outputs: Record<string, unknown>;
  try {
    outputs = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    throw new Error(`--target ${file}: not JSON; save it with pulumi stack output --json > ${file}`);
  }
  const addresses = addressesFromOutputs(outputs, file);
  return {
    description: `stack outputs ${file}`,
    settings: { region: region ?? regionOfQueueUrl(addresses.notifyQueueUrl) },
    addresses: async () => addresses,
  };
}

/** A deployed stack known by its `namePrefix`: the names the component gives (components/naming.ts). */
export function namePrefixTarget(namePrefix: string, region?: string): RedriveTarget {
  const names = physicalNames(namePrefix);
  return {
    description: `AWS stack ${namePrefix}`,
    settings: { region },
    async addresses(queueUrlOf) {
      return {
        notifyQueueUrl: await queueUrlOf(names.notifyQueue),
        deadLetterQueueUrls: {
          notify: await queueUrlOf(names.notifyDlq),
          delivery: await queueUrlOf(names.deliveryDlq),
          feedback: await queueUrlOf(names.feedbackDlq),
        },
        feedbackFunctionName: names.functions.sesFeedback,
        eventBusName: names.eventBus,
      };
    },
  };
}
