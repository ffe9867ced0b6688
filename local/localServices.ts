import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import dynalite from "dynalite";
import sesLocal from "aws-ses-v2-local";
import { awsFault, startAwsJsonServer, type AwsFault } from "./awsJsonServer";
import { emulateObjectLock } from "./s3ObjectLock";
import { listenLocally } from "./listenLocally";

/**
 * Real local services, all on 127.0.0.1: dynalite for DynamoDB, aws-ses-v2-local for SES v2, fauxqs
 * for S3 (with conditional writes and Object Lock's upload rule added), and two small AWS JSON-protocol stand-ins, a PutEvents recorder and a Secrets Manager that
 * serves the secrets it is given. Tests use random free ports; `npm start` uses fixed ones.
 */
export interface RecordedEvent {
  EventBusName?: string;
  Source: string;
  DetailType: string;
  Detail: string;
  eventId: string;
}

export interface LocalServices {
  region: string;
  endpoints: { dynamodb: string; ses: string; s3: string; eventBridge: string; secretsManager: string };
  /** Every entry PutEvents accepted, in order. */
  events: RecordedEvent[];
  /** The next `count` PutEvents entries are answered with FailedEntryCount 1 and this error code. */
  failNextPutEvents(count: number, errorCode: string): void;
  secrets: Record<string, string>;
  /** Environment an AWS SDK client (or a Lambda process) needs to reach these services. */
  awsEnvironment(): Record<string, string>;
  stop(): Promise<void>;
}

const DEFAULT_REGION = "eu-west-1";

/** The parts of Fastify's request and reply that the conditional-write shim uses. */
interface HookRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}
interface HookReply {
  raw: { once(event: "close", listener: () => void): unknown };
  code(status: number): HookReply;
  header(name: string, value: string): HookReply;
  send(body: string): unknown;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface LocalServicesOptions {
  /** The region of queue ARNs and of the environment it gives clients. Default eu-west-1. */
  region?: string;
  /** Folder for dynalite's LevelDB files; in memory when absent. */
  dynamodbPath?: string;
  /** Fixed ports; 0 (the default) picks a free one. */
  ports?: Partial<Record<"dynamodb" | "ses" | "s3" | "eventBridge" | "secretsManager", number>>;
  /** Called for every event PutEvents accepts. */
  onEvent?: (event: RecordedEvent) => void;
}

export async function startLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const ports = options.ports ?? {};
  const dynamo: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    path: options.dynamodbPath,
  });
  const dynamodbUrl = await listenLocally(dynamo, ports.dynamodb);

  const ses = await sesLocal({ host: "127.0.0.1", port: ports.ses ?? 0 });
  const sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;

  const { buildApp } = await import("fauxqs");
  const region = options.region ?? DEFAULT_REGION;
  const s3App = buildApp({ logger: false, host: "127.0.0.1", defaultRegion: region });
  // fauxqs ignores conditional writes; S3 refuses `If-None-Match: *` on an existing key with 412.
  // Conditional writes to one key are serialised from the check to the response, as S3 makes them atomic.
  const conditionalWrites = new Map<string, Promise<void>>();
  s3App.addHook("onRequest", async (request: HookRequest, reply: HookReply) => {
    if (request.method !== "PUT" || request.headers["if-none-match"] !== "*") return;
    const path = request.url.split("?")[0];
    const previous = conditionalWrites.get(path) ?? Promise.resolve();
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const turn = previous.then(() => answered);
    conditionalWrites.set(path, turn);
    reply.raw.once("close", () => {
      release();
      if (conditionalWrites.get(path) === turn) conditionalWrites.delete(path);
    });
    await previous;
    const existing = await s3App.inject({ method: "HEAD", url: path });
    if (existing.statusCode !== 200) return;
    await reply
      .code(412)
      .header("content-type", "application/xml")
      .send(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
          "<Message>At least one of the pre-conditions you specified did not hold</Message>" +
          "<Condition>If-None-Match</Condition></Error>",
      );
  });
  emulateObjectLock(s3App);
  await s3App.listen({ port: ports.s3 ?? 0, host: "127.0.0.1" });
  const s3Url = `http://127.0.0.1:${(s3App.server.address() as AddressInfo).port}`;

  const events: RecordedEvent[] = [];
  const pendingFailures: string[] = [];
  const eventBridge = await startAwsJsonServer(ports.eventBridge ?? 0, {
    PutEvents: (input) => {
      const entries = (input.Entries ?? []) as Omit<RecordedEvent, "eventId">[];
      const results = entries.map((entry) => {
        const failure = pendingFailures.shift();
        if (failure) return { ErrorCode: failure, ErrorMessage: "injected by the test" };
        const eventId = randomUUID();
        events.push({ ...entry, eventId });
        options.onEvent?.({ ...entry, eventId });
        return { EventId: eventId };
      });
      return { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results };
    },
  });

  const secrets: Record<string, string> = {};
  const secretsManager = await startAwsJsonServer(ports.secretsManager ?? 0, {
    GetSecretValue: (input): unknown | AwsFault => {
      const id = String(input.SecretId);
      if (!(id in secrets))
        return awsFault(
          400,
          "ResourceNotFoundException",
          `Secrets Manager can't find the specified secret: ${id}`,
        );
      return { ARN: id, Name: id, SecretString: secrets[id], VersionId: "v1", VersionStages: ["AWSCURRENT"] };
    },
  });

  const endpoints = {
    dynamodb: dynamodbUrl,
    ses: sesUrl,
    s3: s3Url,
    eventBridge: eventBridge.url,
    secretsManager: secretsManager.url,
  };
  return {
    region,
    endpoints,
    events,
    secrets,
    failNextPutEvents(count, errorCode) {
      for (let i = 0; i < count; i++) pendingFailures.push(errorCode);
    },
    awsEnvironment: () => ({
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SESV2: endpoints.ses,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    }),
    async stop() {
      await Promise.all([
        close(dynamo),
        close(ses),
        s3App.close(),
        close(eventBridge.server),
        close(secretsManager.server),
      ]);
    },
  };
}
