import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startRestApi, type RunningRestApi } from "../apigateway/restApi";
import { startEventBridge, type LocalEventBridge } from "../eventbridge/eventBridge";
import { createStackAuthorizer } from "../iam/stackAuthorizer";
import { stackModel } from "../iam/stackModel";
import { createLogSink, type LogRecord } from "../lambda/logSink";
import { startInvokeServer } from "../lambda/invokeServer";
import { lambdaNodeRuntime } from "../lambda/nodeRuntime";
import { startLocalServices, type LocalServices } from "../localServices";
import { startAuthorizingProxy } from "../proxy/authorizingProxy";
import type { ProxiedService } from "../proxy/awsProtocols";
import {
  loadStackConfig,
  projectName,
  REPO_ROOT,
  runProgram,
  type RecordedResource,
} from "../pulumi/pulumiMocks";
import { sesEventsFor, type SesEventDestination } from "../ses/sesEvents";
import { createCredentialStore, issueCallers, issueFunction } from "./credentials";
import { createFaultInjector, type FaultInjector } from "./faults";
import { createLambdaFleet } from "./lambdaFleet";
import { materialise } from "./materialisers";
import { claimStateFolder } from "./stateFolder";
import type { QueueSender } from "./types";

/**
 * The local cloud: the program (`index.ts`) runs under Pulumi mocks whose every registered resource
 * is materialised on this machine (local/cloud/materialisers.ts); then the services that need the
 * whole graph start from it: the API (its OpenAPI body, stage and method settings) and EventBridge
 * (buses, rules, targets, archives). Every call a function makes goes through an authorising proxy;
 * every call AWS services make for the stack is authorized in process; both with the IAM evaluator
 * the tests use. `.local/cloud.json` says where everything is and how to sign.
 */
export interface LocalCloudOptions {
  /** The stack whose `Pulumi.<stack>.yaml` configures the program. Default dev. */
  stack?: string;
  /** State folder (tables, keys, logs, archive, cloud.json). Default `.local`. */
  stateDir?: string;
  fresh?: boolean;
  /** First port to try for each server, in order; free ports otherwise. */
  portBase?: number;
  /** Divides EventBridge's and Lambda's retry waits and event ages (not SQS visibility). Default 1. */
  timeScale?: number;
  /** Config values laid over the stack's, by key without the project prefix (a test stack configuration). */
  config?: Record<string, unknown>;
  /** Changes a resource as the program registers it, before it is materialised (specs remove a statement). */
  transformResource?: (resource: RecordedResource) => RecordedResource;
  /** Where log lines and the summary go (console by default); function logs also go to files. */
  echo?: (line: string) => void;
  /** How many containers each function may run at once. Default 4. */
  maxContainers?: number;
}

export interface CloudDescription {
  stack: string;
  region: string;
  accountId: string;
  apiUrl: string;
  sesStoreUrl: string;
  viewerUrl: string;
  eventBusName: string;
  endpoints: Record<"dynamodb" | "s3" | "sqs" | "ses" | "secretsmanager" | "events" | "lambda", string>;
  queues: Record<string, string>;
  credentials: Record<
    "producer" | "customerAdmin" | "outsider" | "operator",
    { accessKeyId: string; secretAccessKey: string }
  >;
  stateDir: string;
  logsDir: string;
  /** One JSON line per message SES accepted: `{ messageId, acceptedAt, tags }`. */
  sesAcceptedFile: string;
  outputs: Record<string, unknown>;
}

export interface LocalCloud {
  description: CloudDescription;
  /** Faults to inject in the calls functions make (none unless a scenario asks). */
  faults: FaultInjector;
  services: LocalServices;
  eventBridge: LocalEventBridge;
  resources: RecordedResource[];
  stop(): Promise<void>;
}

interface PortReservation {
  port: number;
  /** Frees the port for the service about to listen there, and gives it; again, only gives it. */
  take(): Promise<number>;
}

/**
 * Holds a port on 127.0.0.1, `preferred` if it is free and any free one otherwise, until the
 * service given it is about to listen. Functions and outputs are given URLs before some services
 * listen (EventBridge and the API once the graph is complete, seconds later): a port only probed
 * could meanwhile be taken by any other bind, and the service would then listen elsewhere than the
 * URLs say.
 */
async function reservePort(preferred = 0): Promise<PortReservation> {
  const tryListen = (port: number) =>
    new Promise<Server | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "127.0.0.1", () => resolve(server));
    });
  const server = (preferred ? await tryListen(preferred) : undefined) ?? (await tryListen(0))!;
  const port = (server.address() as AddressInfo).port;
  let released: Promise<number> | undefined;
  return { port, take: () => (released ??= new Promise((resolve) => server.close(() => resolve(port)))) };
}

function hashKeyOf(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

/** How long after accepting a message the local SES publishes its events. */
const SES_EVENT_DELAY_MS = 1000;

const PROXIED: ProxiedService[] = ["dynamodb", "s3", "sqs", "ses", "secretsmanager"];

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stack = options.stack ?? "dev";
  const echo = options.echo ?? ((line: string) => process.stdout.write(`${line}\n`));
  const timeScale = options.timeScale ?? 1;
  const state = claimStateFolder(path.resolve(options.stateDir ?? path.join(REPO_ROOT, ".local")), {
    fresh: options.fresh ?? false,
  });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const project = projectName();
    const stackConfig = loadStackConfig(stack);
    for (const [key, value] of Object.entries(options.config ?? {})) {
      stackConfig.config[`${project}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    stackConfig.config[`${project}:hashKey`] = hashKeyOf(state.path("hash-key"));
    const config = stackConfig.config;
    const region = config["aws:region"] ?? "eu-west-1";
    const accountId = (JSON.parse(config["aws:allowedAccountIds"] ?? '["123456789012"]') as string[])[0];
    const scope = { partition: "aws", region, accountId };
    const reserve = async (offset: number) => {
      const reservation = await reservePort(options.portBase ? options.portBase + offset : 0);
      closers.push(() => reservation.take());
      return reservation;
    };

    // Tables live on disk, so a restart keeps them.
    const dynamodbFolder = path.join(state.root, "dynamodb");
    mkdirSync(dynamodbFolder, { recursive: true });
    const servicePorts = {
      dynamodb: await reserve(1),
      ses: await reserve(2),
      s3: await reserve(3),
      secretsManager: await reserve(4),
    };
    const services = await startLocalServices({
      region,
      dynamodbPath: dynamodbFolder,
      ports: {
        dynamodb: await servicePorts.dynamodb.take(),
        ses: await servicePorts.ses.take(),
        s3: await servicePorts.s3.take(),
        secretsManager: await servicePorts.secretsManager.take(),
        eventBridge: 0,
      },
    });
    closers.push(() => services.stop());
    const awsConfig = {
      region,
      credentials: { accessKeyId: "local-cloud", secretAccessKey: "local-cloud" },
    };
    const direct = {
      dynamodb: new DynamoDBClient({ ...awsConfig, endpoint: services.endpoints.dynamodb }),
      s3: new S3Client({ ...awsConfig, endpoint: services.endpoints.s3, forcePathStyle: true }),
      ses: new SESv2Client({ ...awsConfig, endpoint: services.endpoints.ses }),
      // fauxqs's queue URLs name *.localhost hosts; every call goes to the endpoint instead.
      sqs: new SQSClient({ ...awsConfig, endpoint: services.endpoints.s3, useQueueUrlAsEndpoint: false }),
    };

    const logsDir = path.join(state.root, "logs");
    const logs = createLogSink({
      folder: logsDir,
      echo: (record: LogRecord) => {
        const line = record.line as { message?: string; type?: string };
        const text =
          typeof record.line === "string" ? record.line : (line.message ?? JSON.stringify(record.line));
        const isMetric = typeof record.line === "object" && record.line !== null && "_aws" in record.line;
        if (record.level === "WARN" || record.level === "ERROR" || (line.type !== "platform" && !isMetric))
          echo(`[${record.functionName}] ${record.level} ${text.slice(0, 200)}`);
      },
    });
    const localLog = (level: string, message: string) =>
      echo(`[local-cloud] ${level.toUpperCase()} ${message}`);

    // The graph, as it registers: what the evaluator and the services read.
    const resources: RecordedResource[] = [];
    const model = stackModel(resources);
    const authorizer = createStackAuthorizer(model, scope);
    const credentials = createCredentialStore(state.path("credentials.json"));
    const firstOf = (key: string) => {
      const value = config[`${project}:${key}`];
      return value ? (JSON.parse(value) as string[])[0] : undefined;
    };
    issueCallers(credentials, model, {
      producerRoleArn: firstOf("producerPrincipalArns"),
      customerAdminRoleArn: firstOf("customerAdminPrincipalArns"),
      accountId,
    });

    const [apiPort, eventBridgePort] = [await reserve(0), await reserve(5)];
    const proxyPorts = await Promise.all(PROXIED.map((_, index) => reserve(6 + index)));
    const proxies = {} as Record<ProxiedService, string>;
    /** EventBridge starts once the graph is complete; SES events wait for it. */
    const late: { eventBridge?: LocalEventBridge } = {};
    const sesIdentityOf = (from: string) => {
      const identities = model
        .ofType("aws:sesv2/emailIdentity:EmailIdentity")
        .map((identity) => String(identity.inputs.emailIdentity));
      return identities.includes(from) ? from : from.split("@")[1];
    };
    const upstreams: Record<ProxiedService, string> = {
      dynamodb: services.endpoints.dynamodb,
      s3: services.endpoints.s3,
      sqs: services.endpoints.s3,
      ses: services.endpoints.ses,
      secretsmanager: services.endpoints.secretsManager,
    };
    const faults = createFaultInjector();
    const sentLedger = state.path("ses", "accepted.jsonl");
    for (const [index, service] of PROXIED.entries()) {
      const proxy = await startAuthorizingProxy({
        faultFor: (principal, call) => faults.faultFor(service, principal.name, call.command),
        // The queue URLs the local cloud publishes (outputs, cloud.json) name fauxqs's own queues.
        rewriteBody:
          service === "sqs"
            ? async (call, body) => {
                const queueUrlOf = (call.input as { QueueUrl?: string }).QueueUrl;
                if (!queueUrlOf?.startsWith("http://127.0.0.1")) return body;
                const local = await queueUrl(
                  `arn:aws:sqs:${region}:${accountId}:${queueUrlOf.split("/").pop()}`,
                );
                return Buffer.from(JSON.stringify({ ...call.input, QueueUrl: local }));
              }
            : undefined,
        service,
        upstream: upstreams[service],
        scope,
        credentials,
        authorizer,
        sesIdentityOf,
        port: await proxyPorts[index].take(),
        onDecision: (decision) => {
          if (!decision.allowed) localLog("warn", `AccessDenied (${decision.service}): ${decision.message}`);
        },
        // SES publishes the message's events to the default bus, as its configuration set says.
        onResponse: (_, call, answer) => {
          if (
            service !== "ses" ||
            call.command !== "SendEmailCommand" ||
            answer.status !== 200 ||
            !late.eventBridge
          )
            return;
          const input = call.input as {
            FromEmailAddress: string;
            Destination?: { ToAddresses?: string[] };
            ConfigurationSetName?: string;
            EmailTags?: { Name: string; Value: string }[];
          };
          const destinationResource = model
            .ofType("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination")
            .find((candidate) => candidate.inputs.configurationSetName === input.ConfigurationSetName);
          const destination = destinationResource?.inputs.eventDestination as
            | {
                enabled?: boolean;
                matchingEventTypes?: string[];
                eventBridgeDestination?: { eventBusArn: string };
              }
            | undefined;
          const sesDestination: SesEventDestination | undefined = destination?.eventBridgeDestination && {
            configurationSetName: String(input.ConfigurationSetName),
            enabled: destination.enabled !== false,
            matchingEventTypes: destination.matchingEventTypes ?? [],
            eventBusArn: destination.eventBridgeDestination.eventBusArn,
          };
          const now = new Date();
          const messageId = String(
            (JSON.parse(answer.body.toString("utf8")) as { MessageId?: string }).MessageId,
          );
          // What SES accepted, when, for which notification (its tags): scenarios join on it.
          appendFileSync(
            sentLedger,
            `${JSON.stringify({
              messageId,
              acceptedAt: now.getTime(),
              tags: Object.fromEntries((input.EmailTags ?? []).map((tag) => [tag.Name, tag.Value])),
            })}\n`,
          );
          const entries = sesEventsFor(
            {
              messageId: String(
                (JSON.parse(answer.body.toString("utf8")) as { MessageId?: string }).MessageId,
              ),
              fromAddress: input.FromEmailAddress,
              to: input.Destination?.ToAddresses ?? [],
              configurationSetName: input.ConfigurationSetName,
              tags: input.EmailTags ?? [],
              sentAt: now,
              sendingAccountId: accountId,
            },
            sesDestination,
            now,
          );
          // SES reports a delivery after it accepted the message, never in the same instant.
          const bus = late.eventBridge;
          if (entries.length > 0) setTimeout(() => void bus.putEvents(entries), SES_EVENT_DELAY_MS);
        },
      });
      proxies[service] = proxy.url;
      closers.push(() => proxy.close());
    }
    const eventBridgeUrl = `http://127.0.0.1:${eventBridgePort.port}`;
    const queueUrls = new Map<string, string>();
    const queueUrl = async (queueArn: string) => {
      const name = queueArn.split(":").pop()!;
      if (!queueUrls.has(name)) {
        queueUrls.set(name, (await direct.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!);
      }
      return queueUrls.get(name)!;
    };

    const node = lambdaNodeRuntime();
    if (node.warning) localLog("warn", node.warning);
    const fleet = createLambdaFleet({
      folder: path.join(state.root, "lambda"),
      node: node.path,
      model,
      scope,
      authorizer,
      logs,
      sqs: direct.sqs,
      platformEnvironment: {
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ENDPOINT_URL_DYNAMODB: proxies.dynamodb,
        AWS_ENDPOINT_URL_S3: proxies.s3,
        AWS_ENDPOINT_URL_SQS: proxies.sqs,
        AWS_ENDPOINT_URL_SESV2: proxies.ses,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: proxies.secretsmanager,
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridgeUrl,
      },
      principalOf: (functionName) => issueFunction(credentials, model, functionName),
      queueUrl,
      timeScale,
      maxContainers: options.maxContainers ?? 4,
      log: (level, message) => localLog(level, message),
    });
    closers.push(() => fleet.stop());
    // Lambda's Invoke API, for people and tools (npm run redrive re-invokes the feedback function).
    const lambdaApi = await startInvokeServer({
      region,
      accountId,
      credentials,
      authorizer,
      invoker: fleet.invoker,
      functionArnOf: (nameOrArn) => {
        const fn = model
          .ofType("aws:lambda/function:Function")
          .find((candidate) => candidate.inputs.name === nameOrArn || candidate.state.arn === nameOrArn);
        return fn ? String(fn.state.arn) : undefined;
      },
      port: await (await reserve(6 + PROXIED.length)).take(),
      log: (level, message) => localLog(level, message),
    });
    closers.push(() => lambdaApi.close());

    const run = await runProgram({
      stack,
      config: stackConfig,
      // Loaded once the mocks and config are in place, as the Pulumi CLI does.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      program: () => (require(path.join(REPO_ROOT, "index")) as () => Record<string, unknown>)(),
      materialise: async (registered) => {
        const resource = options.transformResource ? options.transformResource(registered) : registered;
        if (resource !== registered) Object.assign(registered, resource);
        resources.push(registered);
        return materialise(registered, {
          ...direct,
          secrets: services.secrets,
          localQueueUrl: (name) => `${proxies.sqs}/${accountId}/${name}`,
          stageUrl: (stageName) => `http://127.0.0.1:${apiPort.port}/${stageName}`,
          addFunction: (fn) => fleet.addFunction(fn),
          addEventSourceMapping: (mapping) => fleet.addEventSourceMapping(mapping),
        });
      },
    });

    // Services that read the whole graph: EventBridge delivers as the AWS service it is (it
    // authorizes each delivery itself), the API serves its stage.
    const deliveries: QueueSender = {
      async sendMessage(queueArn, body, attributes) {
        const sent = await direct.sqs.send(
          new SendMessageCommand({
            QueueUrl: await queueUrl(queueArn),
            MessageBody: body,
            ...(attributes ? { MessageAttributes: attributes } : {}),
          }),
        );
        return { messageId: sent.MessageId! };
      },
    };
    const bridge = await startEventBridge({
      buses: model.ofType("aws:cloudwatch/eventBus:EventBus"),
      rules: model.ofType("aws:cloudwatch/eventRule:EventRule"),
      targets: model.ofType("aws:cloudwatch/eventTarget:EventTarget"),
      archives: model.ofType("aws:cloudwatch/eventArchive:EventArchive"),
      scope,
      authorizer,
      credentials,
      lambda: fleet.invoker,
      sqs: deliveries,
      stateDir: state.root,
      timeScale,
      port: await eventBridgePort.take(),
      log: (level, message) => localLog(level, message),
    });
    late.eventBridge = bridge;
    closers.push(() => bridge.close());

    let api: RunningRestApi | undefined;
    const restApi = model.ofType("aws:apigateway/restApi:RestApi")[0];
    const stageResource = model.ofType("aws:apigateway/stage:Stage")[0];
    if (restApi && stageResource) {
      api = await startRestApi({
        restApi,
        stage: stageResource,
        methodSettings: model.ofType("aws:apigateway/methodSettings:MethodSettings"),
        executionArn: String(restApi.state.executionArn),
        region,
        accountId,
        credentials,
        authorizer,
        lambda: fleet.invoker,
        port: await apiPort.take(),
        log: {
          access: () => undefined,
          execution: (entry) => localLog("warn", `API ${JSON.stringify(entry)}`),
        },
      });
      const running = api;
      closers.push(() => running.close());
    }

    const outputs = run.outputs as Record<string, unknown>;
    const keysOf = (name: keyof CloudDescription["credentials"]) => {
      const principal = credentials.byName(name);
      return principal
        ? { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey }
        : { accessKeyId: "", secretAccessKey: "" };
    };
    const description: CloudDescription = {
      stack,
      region,
      accountId,
      apiUrl: api?.url ?? "",
      sesStoreUrl: `${services.endpoints.ses}/store`,
      viewerUrl: `${services.endpoints.ses}/`,
      eventBusName: String(outputs.eventBusName ?? ""),
      endpoints: {
        dynamodb: proxies.dynamodb,
        s3: proxies.s3,
        sqs: proxies.sqs,
        ses: proxies.ses,
        secretsmanager: proxies.secretsmanager,
        events: eventBridgeUrl,
        lambda: lambdaApi.url,
      },
      queues: Object.fromEntries(
        model
          .ofType("aws:sqs/queue:Queue")
          .map((queue) => [String(queue.inputs.name), String(queue.state.url)]),
      ),
      credentials: {
        producer: keysOf("producer"),
        customerAdmin: keysOf("customerAdmin"),
        outsider: keysOf("outsider"),
        operator: keysOf("operator"),
      },
      stateDir: state.root,
      logsDir,
      sesAcceptedFile: sentLedger,
      outputs,
    };
    writeFileSync(state.path("cloud.json"), `${JSON.stringify(description, null, 2)}\n`, { mode: 0o600 });

    let stopped = false;
    return {
      description,
      faults,
      services,
      eventBridge: bridge,
      resources,
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const close of closers.reverse()) await close().catch(() => undefined);
        state.release();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    state.release();
    throw error;
  }
}
