import { fork, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import type { CloudDescription, LocalCloudOptions } from "../../local/cloud/localCloud";
import { runningInstance } from "../../local/cloud/stateFolder";
import { REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import type { CloudControl } from "./cloudControl";
import type { HostExtras, HostReply, HostRequest } from "./cloudHost";
import type { ApiTarget } from "./signedApi";

/**
 * The local cloud a load run calls: the instance already running on the state folder (its
 * cloud.json says where it is and how to sign), or one the tool starts in a child process with a
 * load test stack configuration and stops when the run ends. Only a cloud the tool started can be
 * controlled (faults, policies, queues, the profiler).
 */
export interface LocalTarget {
  description: CloudDescription;
  api: ApiTarget;
  /** The process whose event loop serves the API, the bus and the stand-ins. */
  pid: number;
  control?: CloudControl & HostExtras;
  stop(): Promise<void>;
}

const HOST = path.join(__dirname, "cloudHost.ts");
const START_TIMEOUT_MS = 180_000;

function apiOf(description: CloudDescription): ApiTarget {
  return {
    apiUrl: description.apiUrl,
    region: description.region,
    credentials: async (caller) => description.credentials[caller],
  };
}

export function attachedInstance(stateDir: string): LocalTarget | undefined {
  const pid = runningInstance(stateDir);
  const file = path.join(stateDir, "cloud.json");
  if (pid === undefined || !existsSync(file)) return undefined;
  const description = JSON.parse(readFileSync(file, "utf8")) as CloudDescription;
  return { description, api: apiOf(description), pid, stop: async () => undefined };
}

function remoteControl(child: ChildProcess): CloudControl & HostExtras {
  let nextId = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  child.on("message", (reply: HostReply) => {
    if (reply.type !== "result") return;
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error !== undefined) waiting?.reject(new Error(reply.error));
    else waiting?.resolve(reply.value);
  });
  child.on("exit", () => {
    for (const waiting of pending.values()) waiting.reject(new Error("the local cloud's process exited"));
    pending.clear();
  });
  return new Proxy({} as CloudControl & HostExtras, {
    get:
      (_, method) =>
      (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          const id = nextId++;
          pending.set(id, { resolve, reject });
          child.send({ type: "call", id, method: String(method), args } satisfies HostRequest);
        }),
  });
}

/**
 * Starts the local cloud in a child process and resolves once it wrote its cloud.json. Its log
 * lines and anything it prints go to `<state>/local-cloud.log`.
 */
export async function startedInstance(
  options: Omit<LocalCloudOptions, "echo" | "transformResource" | "fresh"> & {
    stateDir: string;
    fresh: boolean;
  },
): Promise<LocalTarget> {
  const { fresh, ...cloudOptions } = options;
  // The folder is wiped here rather than by the cloud, so that the log opened below survives.
  if (fresh && runningInstance(options.stateDir) === undefined)
    rmSync(options.stateDir, { recursive: true, force: true });
  mkdirSync(options.stateDir, { recursive: true });
  const log = openSync(path.join(options.stateDir, "local-cloud.log"), "a");
  const child = fork(HOST, [], {
    cwd: REPO_ROOT,
    execArgv: ["--import=tsx"],
    stdio: ["ignore", log, log, "ipc"],
    serialization: "advanced",
  });
  const description = await new Promise<CloudDescription>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the local cloud did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.on("message", (reply: HostReply) => {
      if (reply.type === "ready") {
        clearTimeout(timer);
        resolve(reply.description);
      } else if (reply.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`the local cloud did not start: ${reply.message}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the local cloud's process exited (code ${code}) before it was ready`));
    });
    child.send({ type: "start", options: cloudOptions } satisfies HostRequest);
  });
  const control = remoteControl(child);
  let stopped: Promise<void> | undefined;
  return {
    description,
    api: apiOf(description),
    pid: child.pid!,
    control,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        control.stop().catch(() => child.kill("SIGKILL"));
      });
      return stopped;
    },
  };
}
