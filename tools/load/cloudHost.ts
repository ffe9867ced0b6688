/**
 * The child process in which `npm run load` runs the local cloud it starts itself, so that the
 * load generator's timers and the cloud's event loop do not share a thread (and their CPU is told
 * apart). Its output goes to a log file the parent opened. The parent sends `start`, then calls the cloud's control (faults, policies, metrics,
 * queues) and the profiler over IPC; the cloud stops on `stop` or when the parent goes away.
 */
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from "../../local/cloud/localCloud";
import { cloudControl, type CloudControl } from "./cloudControl";
import { profileStages, type StageShares } from "./cpuStages";

export type HostRequest =
  | { type: "start"; options: Omit<LocalCloudOptions, "echo" | "transformResource"> }
  | { type: "call"; id: number; method: string; args: unknown[] };

export type HostReply =
  | { type: "ready"; description: LocalCloud["description"] }
  | { type: "failed"; message: string }
  | { type: "result"; id: number; value?: unknown; error?: string };

/** Calls the host answers besides the cloud's control. */
export interface HostExtras {
  profileStart(): Promise<void>;
  profileStop(): Promise<StageShares>;
  stop(): Promise<void>;
}

const send = (reply: HostReply) => process.send?.(reply);

let cloud: LocalCloud | undefined;
let control: CloudControl | undefined;
let stopProfile: (() => Promise<StageShares>) | undefined;

async function stopAndExit(code: number): Promise<never> {
  await cloud?.stop().catch(() => undefined);
  process.exit(code);
}

const extras: HostExtras = {
  async profileStart() {
    stopProfile = await profileStages();
  },
  async profileStop() {
    if (!stopProfile) throw new Error("the profiler was not started");
    const stop = stopProfile;
    stopProfile = undefined;
    return stop();
  },
  async stop() {
    setImmediate(() => void stopAndExit(0));
  },
};

process.on("message", (request: HostRequest) => {
  if (request.type === "start") {
    startLocalCloud({ ...request.options, echo: (line) => process.stdout.write(`${line}\n`) }).then(
      (started) => {
        cloud = started;
        control = cloudControl(started);
        send({ type: "ready", description: started.description });
      },
      (error: unknown) => {
        send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
    return;
  }
  const target = (request.method in extras ? extras : control) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const method = target?.[request.method];
  if (typeof method !== "function") {
    send({ type: "result", id: request.id, error: `the cloud host has no ${request.method}` });
    return;
  }
  method.apply(target, request.args).then(
    (value) => send({ type: "result", id: request.id, value }),
    (error: unknown) =>
      send({ type: "result", id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});

// The parent went away (Ctrl-C, a crash): nothing must outlive it.
process.on("disconnect", () => void stopAndExit(0));
process.on("SIGINT", () => undefined);
