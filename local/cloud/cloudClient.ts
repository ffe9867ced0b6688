import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { signRequest } from "../sigv4/signedFetch";
import type { CloudDescription } from "./localCloud";

/**
 * What a caller of a running local cloud does, as `.local/cloud.json` describes it: SigV4-signed API
 * requests and PutEvents with the issued credentials, e-mails read back from the SES store, and a
 * look into a queue (through fauxqs itself: an operator's view, not a function's).
 */
export type Caller = keyof CloudDescription["credentials"];

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface StoredEmail {
  messageId: string;
  subject: string;
  destination: { to: string[] };
  at?: number;
}

export interface CallOptions {
  body?: unknown;
  as?: Caller;
  /** Signs with another secret than the caller's (a wrong signature). */
  secret?: string;
  unsigned?: boolean;
  /** Changes the body after signing. */
  tamper?: (body: string) => string;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function cloudClient(description: CloudDescription, options: { fauxqsEndpoint?: string } = {}) {
  const sqs =
    options.fauxqsEndpoint &&
    new SQSClient({
      region: description.region,
      endpoint: options.fauxqsEndpoint,
      credentials: { accessKeyId: "operator", secretAccessKey: "operator" },
      // fauxqs's queue URLs name *.localhost hosts; every call goes to the endpoint instead.
      useQueueUrlAsEndpoint: false,
    });
  return {
    description,

    /** A request to the stage as `as` (the customer administration by default). */
    async call(method: string, route: string, callOptions: CallOptions = {}): Promise<ApiAnswer> {
      const url = `${description.apiUrl}${route}`;
      const body = callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body);
      const keys = description.credentials[callOptions.as ?? "customerAdmin"];
      const headers = { "content-type": "application/json" };
      const init = callOptions.unsigned
        ? { method, headers, body }
        : await signRequest(url, {
            method,
            body,
            headers,
            credentials: { ...keys, ...(callOptions.secret ? { secretAccessKey: callOptions.secret } : {}) },
            region: description.region,
          });
      const sent =
        callOptions.tamper && init.body ? { ...init, body: callOptions.tamper(String(init.body)) } : init;
      const response = await fetch(url, sent);
      const text = await response.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { text };
      }
      return { status: response.status, body: parsed };
    },

    /** PutEvents on the local bus with the caller's credentials (the producer's by default). */
    async putEvents(entries: PutEventsRequestEntry[], as: Caller = "producer") {
      const client = new EventBridgeClient({
        region: description.region,
        endpoint: description.endpoints.events,
        credentials: description.credentials[as],
      });
      return client.send(new PutEventsCommand({ Entries: entries }));
    },

    async emails(): Promise<StoredEmail[]> {
      const store = (await (await fetch(description.sesStoreUrl)).json()) as { emails: StoredEmail[] };
      return store.emails;
    },

    async emailsTo(address: string): Promise<StoredEmail[]> {
      return (await this.emails()).filter((email) => email.destination.to.includes(address));
    },

    /** Messages waiting in a queue, received with a short visibility timeout so they come back. */
    async peek(queueName: string): Promise<Message[]> {
      if (!sqs) throw new Error("peek needs the fauxqs endpoint");
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      const answer = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 1,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      return answer.Messages ?? [];
    },
  };
}
export type CloudClient = ReturnType<typeof cloudClient>;
