import { mkdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { RecordedResource } from "../pulumi/pulumiMocks";
import type { AccountScope } from "../iam/sdkRequests";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import type { StackModel } from "../iam/stackModel";
import { archiveEntries, unpackArchive } from "../lambda/archive";
import { createAsyncInvoker, DEFAULT_ASYNC_CONFIG, type InvocationRecord } from "../lambda/asyncInvocation";
import { createFunctionRunner, type FunctionRunner, type InvokeOutcome } from "../lambda/functionRunner";
import type { LogSink } from "../lambda/logSink";
import { startEventSourceMapping, type SqsEvent } from "../sqs/eventSourceMapping";
import type { LocalPrincipal, LambdaInvoker, QueueSender } from "./types";

/**
 * The functions of the graph as Lambda runs them: each archive unpacked under the state folder and
 * run by its own containers on Node 22 with the function's environment and its role's credentials;
 * synchronous and asynchronous invocations; the SQS event source mappings; and the on-failure
 * destinations, reached with the function's role.
 */
export interface LambdaFleetOptions {
  folder: string;
  node: string;
  model: StackModel;
  scope: AccountScope;
  authorizer: StackAuthorizer;
  logs: LogSink;
  sqs: SQSClient;
  /** Environment every function gets besides its own: region and the endpoints of the local services. */
  platformEnvironment: Record<string, string>;
  principalOf(functionName: string): LocalPrincipal;
  /** The local URL of a queue known by the stack's ARN. */
  queueUrl(queueArn: string): Promise<string>;
  timeScale: number;
  maxContainers: number;
  log(level: "INFO" | "WARN" | "ERROR", message: string): void;
}

export function createLambdaFleet(options: LambdaFleetOptions) {
  const runners = new Map<string, { runner: FunctionRunner; resource: RecordedResource }>();
  const asyncInvokers = new Map<string, ReturnType<typeof createAsyncInvoker>>();
  const mappings: ReturnType<typeof startEventSourceMapping>[] = [];

  const lookup = (arnOrName: string) => {
    const found = [...runners.values()].find(
      ({ resource }) => resource.inputs.name === arnOrName || resource.state.arn === arnOrName,
    );
    if (!found) throw new Error(`The local cloud has no function ${arnOrName}`);
    return found;
  };

  /** Sends as `caller` after IAM allows it (KMS included), as SQS would authorize it. */
  async function sendAs(principal: LocalPrincipal, queueArn: string, body: string): Promise<void> {
    const request = { action: "sqs:SendMessage", resource: queueArn, context: {} };
    const denied = (
      await options.authorizer.checkWithKey(principal.caller, request, principal.policies)
    ).find(({ decision }) => !decision.allowed);
    if (denied) throw Object.assign(new Error(denied.decision.message), { name: "AccessDenied" });
    await options.sqs.send(
      new SendMessageCommand({ QueueUrl: await options.queueUrl(queueArn), MessageBody: body }),
    );
  }

  function asyncInvoker(functionName: string) {
    const existing = asyncInvokers.get(functionName);
    if (existing) return existing;
    const { runner, resource } = lookup(functionName);
    const config = options.model
      .ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
      .find((candidate) => candidate.inputs.functionName === resource.inputs.name);
    const destination = (
      config?.inputs.destinationConfig as { onFailure?: { destination?: string } } | undefined
    )?.onFailure?.destination;
    const invoker = createAsyncInvoker(
      {
        functionArn: String(resource.state.arn),
        maximumRetryAttempts: Number(
          config?.inputs.maximumRetryAttempts ?? DEFAULT_ASYNC_CONFIG.maximumRetryAttempts,
        ),
        maximumEventAgeInSeconds: Number(
          config?.inputs.maximumEventAgeInSeconds ?? DEFAULT_ASYNC_CONFIG.maximumEventAgeInSeconds,
        ),
        onFailureDestination: destination,
      },
      {
        invoke: (event) => runner.invoke(event),
        sendToDestination: (arn: string, record: InvocationRecord) =>
          sendAs(options.principalOf(functionName), arn, JSON.stringify(record)),
        log: options.log,
        timeScale: options.timeScale,
      },
    );
    asyncInvokers.set(functionName, invoker);
    return invoker;
  }

  const invoker: LambdaInvoker = {
    invoke: (arnOrName, event): Promise<InvokeOutcome> => lookup(arnOrName).runner.invoke(event),
    async invokeAsync(arnOrName, event) {
      asyncInvoker(String(lookup(arnOrName).resource.inputs.name)).invoke(event);
    },
  };

  return {
    invoker,
    runners,
    asyncInvokers,
    mappings,

    /** Unpacks the function's archive and prepares its containers (they start on first use). */
    async addFunction(resource: RecordedResource): Promise<void> {
      const name = String(resource.inputs.name);
      const folder = path.join(options.folder, name);
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder, { recursive: true });
      await unpackArchive(await archiveEntries(resource.inputs.code as pulumi.asset.AssetArchive), folder);
      const principal = options.principalOf(name);
      const logging = (resource.inputs.loggingConfig ?? {}) as Record<string, string | undefined>;
      const runner = createFunctionRunner(
        {
          name,
          arn: String(resource.state.arn),
          handler: String(resource.inputs.handler),
          folder,
          timeoutSeconds: Number(resource.inputs.timeout ?? 3),
          memoryMb: Number(resource.inputs.memorySize ?? 128),
          environment:
            ((resource.inputs.environment as { variables?: Record<string, string> }) ?? {}).variables ?? {},
          logGroup: logging.logGroup ?? `/aws/lambda/${name}`,
          applicationLogLevel: logging.applicationLogLevel,
          systemLogLevel: logging.systemLogLevel,
        },
        {
          node: options.node,
          platformEnvironment: {
            ...options.platformEnvironment,
            AWS_ACCESS_KEY_ID: principal.accessKeyId,
            AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
          },
          logs: options.logs,
          maxContainers: options.maxContainers,
        },
      );
      runners.set(name, { runner, resource });
    },

    /** Starts polling the mapping's queue for its function. */
    async addEventSourceMapping(resource: RecordedResource): Promise<void> {
      const { runner, resource: fn } = lookup(String(resource.inputs.functionName));
      const functionName = String(fn.inputs.name);
      const queueArn = String(resource.inputs.eventSourceArn);
      const principal = options.principalOf(functionName);
      const scaling = resource.inputs.scalingConfig as { maximumConcurrency?: number } | undefined;
      mappings.push(
        startEventSourceMapping(
          {
            queueArn,
            queueUrl: await options.queueUrl(queueArn),
            functionName,
            batchSize: Number(resource.inputs.batchSize ?? 10),
            maximumBatchingWindowInSeconds: Number(resource.inputs.maximumBatchingWindowInSeconds ?? 0),
            reportBatchItemFailures: (
              (resource.inputs.functionResponseTypes as string[] | undefined) ?? []
            ).includes("ReportBatchItemFailures"),
            // Without a maximum, Lambda scales pollers up to the function's concurrency; locally, 2.
            maximumConcurrency: Number(scaling?.maximumConcurrency ?? 2),
            region: options.scope.region,
          },
          {
            sqs: options.sqs,
            invoke: (event: SqsEvent) => runner.invoke(event),
            async authorizePolling() {
              const checks = await Promise.all(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"].map((action) =>
                  options.authorizer.checkWithKey(
                    principal.caller,
                    { action, resource: queueArn, context: {} },
                    principal.policies,
                  ),
                ),
              );
              const denied = checks.flat().find(({ decision }) => !decision.allowed);
              return denied
                ? { allowed: false, message: denied.decision.message }
                : { allowed: true, message: "allowed" };
            },
            log: options.log,
          },
        ),
      );
    },

    /** A queue sender acting as an AWS service or a function, for the bus and destinations. */
    queueSender(principal: LocalPrincipal): QueueSender {
      return {
        async sendMessage(queueArn, body) {
          await sendAs(principal, queueArn, body);
          return { messageId: "" };
        },
      };
    },

    async stop(): Promise<void> {
      await Promise.all(mappings.map((mapping) => mapping.stop()));
      await Promise.all([...runners.values()].map(({ runner }) => runner.stop()));
    },
  };
}
export type LambdaFleet = ReturnType<typeof createLambdaFleet>;
