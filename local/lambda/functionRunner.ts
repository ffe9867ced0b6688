import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { LogSink } from "./logSink";

/**
 * Runs one function's unpacked archive as Lambda does: each container is a separate process that
 * loads the handler once (init) and serves one invocation at a time; more containers start when all
 * are busy, up to a ceiling. An invocation past the function's timeout stops its container, which
 * Lambda reports as "Task timed out"; a crashed container is replaced on the next invocation.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 */
export interface FunctionDefinition {
  name: string;
  arn: string;
  /** `<file without .js>.<export>` inside the archive. */
  handler: string;
  /** The folder holding the unpacked archive. */
  folder: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
  logGroup: string;
  applicationLogLevel?: string;
  systemLogLevel?: string;
}

export type InvokeOutcome =
  | { ok: true; result: unknown; durationMs: number; initMs?: number; requestId: string }
  | {
      ok: false;
      errorType: string;
      errorMessage: string;
      durationMs: number;
      initMs?: number;
      requestId: string;
    };

export interface FunctionRunnerOptions {
  /** The Node binary (Lambda's major version). */
  node: string;
  /** Region, credentials of the function's role, endpoints: what Lambda's environment adds. */
  platformEnvironment: Record<string, string>;
  logs: LogSink;
  /** How many containers may run at once; further invocations wait for one to free up. */
  maxContainers: number;
}

const BOOTSTRAP = path.join(__dirname, "bootstrap.js");
const BOOTSTRAP_NAME = "__local_lambda_bootstrap.js";

interface Container {
  process: ChildProcess;
  busy: boolean;
  ready: Promise<number>;
  current?: { id: string; requestId: string; settle(message: WorkerMessage): void };
}

type WorkerMessage =
  | { type: "ready"; initMs: number }
  | { type: "initError"; errorType: string; errorMessage: string }
  | { type: "result"; id: string; result: unknown }
  | { type: "error"; id: string; errorType: string; errorMessage: string; stack: string };

export function createFunctionRunner(definition: FunctionDefinition, options: FunctionRunnerOptions) {
  copyFileSync(BOOTSTRAP, path.join(definition.folder, BOOTSTRAP_NAME));
  const containers: Container[] = [];
  const waiting: (() => void)[] = [];
  const platformLog = (level: "INFO" | "ERROR", message: string, requestId?: string) =>
    options.logs.platform(definition.name, level, message, {
      requestId,
      systemLogLevel: definition.systemLogLevel,
    });

  function start(): Container {
    const child = fork(path.join(definition.folder, BOOTSTRAP_NAME), [], {
      cwd: definition.folder,
      execPath: options.node,
      // Lambda sizes the heap from the function's memory; this approximates it.
      execArgv: [`--max-old-space-size=${Math.max(64, Math.floor(definition.memoryMb * 0.9))}`],
      env: {
        ...definition.environment,
        ...options.platformEnvironment,
        _HANDLER: definition.handler,
        AWS_LAMBDA_FUNCTION_NAME: definition.name,
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: definition.logGroup,
        AWS_LAMBDA_LOG_FORMAT: "JSON",
        ...(definition.applicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: definition.applicationLogLevel } : {}),
        LAMBDA_TASK_ROOT: definition.folder,
        PATH: process.env.PATH ?? "",
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    const container: Container = { process: child, busy: false, ready: Promise.resolve(0) };
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) =>
        options.logs.write(definition.name, line, {
          requestId: container.current?.requestId,
          applicationLogLevel: definition.applicationLogLevel,
        }),
      );
    }
    container.ready = new Promise<number>((resolve, reject) => {
      child.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") resolve(message.initMs);
        else if (message.type === "initError")
          reject(new Error(`${message.errorType}: ${message.errorMessage}`));
        else if (container.current && message.id === container.current.id) container.current.settle(message);
      });
      child.on("exit", (code, signal) => {
        reject(new Error(`the runtime exited during init (${signal ?? `code ${code}`})`));
        remove(container);
        container.current?.settle({
          type: "error",
          id: container.current.id,
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${container.current.requestId} Error: Runtime exited ${signal ? `with signal ${signal}` : `with error: exit status ${code}`}`,
          stack: "",
        });
      });
    });
    container.ready.catch(() => undefined);
    containers.push(container);
    return container;
  }

  function remove(container: Container) {
    const index = containers.indexOf(container);
    if (index >= 0) containers.splice(index, 1);
    waiting.shift()?.();
  }

  async function acquire(): Promise<{ container: Container; cold: boolean }> {
    for (;;) {
      const idle = containers.find((candidate) => !candidate.busy);
      if (idle) {
        idle.busy = true;
        return { container: idle, cold: false };
      }
      if (containers.length < options.maxContainers) {
        const container = start();
        container.busy = true;
        return { container, cold: true };
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }

  function release(container: Container) {
    container.busy = false;
    container.current = undefined;
    waiting.shift()?.();
  }

  async function invoke(event: unknown, requestId: string = randomUUID()): Promise<InvokeOutcome> {
    const { container, cold } = await acquire();
    const began = Date.now();
    let initMs: number | undefined;
    try {
      initMs = await container.ready;
    } catch (error) {
      remove(container);
      container.process.kill("SIGKILL");
      const message = error instanceof Error ? error.message : String(error);
      platformLog("ERROR", `INIT_REPORT Init failed: ${message}`, requestId);
      return {
        ok: false,
        errorType: "Runtime.InitError",
        errorMessage: message,
        durationMs: Date.now() - began,
        requestId,
      };
    }
    platformLog("INFO", `START RequestId: ${requestId}`, requestId);
    const invoked = Date.now();
    const deadline = invoked + definition.timeoutSeconds * 1000;
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        // Lambda stops the execution environment; the next invocation starts a new one.
        remove(container);
        container.process.kill("SIGKILL");
        resolve({
          ok: false,
          errorType: "Sandbox.Timedout",
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${definition.timeoutSeconds.toFixed(2)} seconds`,
          durationMs: Date.now() - invoked,
          requestId,
        });
      }, deadline - invoked);
      container.current = {
        id,
        requestId,
        settle(message) {
          clearTimeout(timer);
          const durationMs = Date.now() - invoked;
          resolve(
            message.type === "result"
              ? { ok: true, result: message.result, durationMs, requestId }
              : message.type === "error"
                ? {
                    ok: false,
                    errorType: message.errorType,
                    errorMessage: message.errorMessage,
                    durationMs,
                    requestId,
                  }
                : {
                    ok: false,
                    errorType: "Runtime.Unknown",
                    errorMessage: "unexpected message",
                    durationMs,
                    requestId,
                  },
          );
        },
      };
      container.process.send({ type: "invoke", id, event, requestId, deadline });
    });
    if (containers.includes(container)) release(container);
    const withInit = cold ? { ...outcome, initMs } : outcome;
    if (!outcome.ok) platformLog("ERROR", outcome.errorMessage, requestId);
    platformLog(
      "INFO",
      `REPORT RequestId: ${requestId} Duration: ${outcome.durationMs} ms Memory Size: ${definition.memoryMb} MB` +
        (cold ? ` Init Duration: ${initMs} ms` : ""),
      requestId,
    );
    return withInit;
  }

  return {
    definition,
    invoke,
    /** Containers alive now (a cold start adds one). */
    containerCount: () => containers.length,
    async stop(): Promise<void> {
      for (const container of [...containers]) {
        remove(container);
        container.process.kill("SIGKILL");
      }
    },
  };
}
export type FunctionRunner = ReturnType<typeof createFunctionRunner>;
