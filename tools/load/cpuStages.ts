import type { Profiler } from "node:inspector";
import { startSamplingProfiler } from "../samplingProfiler";

/**
 * Where the local cloud's process spends its one event loop, from V8's sampling profiler: each
 * sample goes to the stage of the nearest frame, leaf first, that belongs to one (a library the
 * stage's stand-in is made of, or the local cloud's own folder for it). Frames of shared code (the
 * AWS SDK, Node's internals) pass the sample to their caller. `busy` is the share of samples in
 * which the loop was not idle: near 1, the process is saturated (on a machine short of CPU, time
 * spent waiting for a core counts as busy too).
 */
export const STAGES = {
  "IAM evaluation": { packages: ["@cloud-copilot/*"], folders: ["local/iam/"] },
  "DynamoDB (dynalite)": {
    packages: ["dynalite", "classic-level", "abstract-level", "level-*", "lock", "async"],
    folders: [],
  },
  "SQS and S3 (fauxqs)": {
    packages: ["fauxqs", "fastify", "@fastify/*", "avvio", "find-my-way"],
    folders: [],
  },
  "SES (aws-ses-v2-local)": {
    packages: ["aws-ses-v2-local", "express", "router", "body-parser", "raw-body", "handlebars"],
    folders: [],
  },
  "authorising proxies and SigV4": {
    packages: ["@smithy/signature-v4"],
    folders: ["local/proxy/", "local/sigv4/"],
  },
  EventBridge: { packages: [], folders: ["local/eventbridge/", "local/ses/"] },
  "API Gateway": { packages: [], folders: ["local/apigateway/"] },
  "Lambda runner, logs and the SQS poller": {
    packages: [],
    folders: ["local/lambda/", "local/sqs/", "local/cloud/"],
  },
  "Secrets Manager": { packages: [], folders: ["local/awsJsonServer", "local/localServices"] },
} as const satisfies Record<string, { packages: readonly string[]; folders: readonly string[] }>;
export type Stage = keyof typeof STAGES;
/** Samples no stage's frame is on: Node's own HTTP parsing, socket writes, microtask queue, native code. */
const NODE_ITSELF = "Node itself (HTTP, sockets, native)";

export interface StageShares {
  /** Fraction of samples in which the loop was busy. */
  busy: number;
  /** Of the busy samples, the fraction each stage took (the rest: GC and unattributed). */
  stages: Partial<Record<Stage | "garbage collection" | typeof NODE_ITSELF, number>>;
}

const matchesPackage = (name: string, pattern: string) =>
  pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

function stageOf(url: string): Stage | undefined {
  const file = url.startsWith("file://") ? new URL(url).pathname : url;
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
  for (const [stage, { packages, folders }] of Object.entries(STAGES) as [
    Stage,
    { packages: readonly string[]; folders: readonly string[] },
  ][]) {
    if (
      name
        ? packages.some((pattern) => matchesPackage(name, pattern))
        : folders.some((folder) => file.includes(`/${folder}`))
    )
      return stage;
  }
  return undefined;
}

export function stageShares(profile: Profiler.Profile): StageShares {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const resolved = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = resolved.get(id);
    if (known) return known;
    const frame = byId.get(id)!.callFrame;
    const parent = parentOf.get(id);
    const result =
      frame.functionName === "(idle)"
        ? "idle"
        : frame.functionName === "(garbage collector)"
          ? "garbage collection"
          : (stageOf(frame.url) ?? (parent === undefined ? NODE_ITSELF : resolve(parent)));
    resolved.set(id, result);
    return result;
  };
  const counts = new Map<string, number>();
  for (const sample of profile.samples ?? []) {
    const stage = resolve(sample);
    counts.set(stage, (counts.get(stage) ?? 0) + 1);
  }
  const total = profile.samples?.length ?? 0;
  const idle = counts.get("idle") ?? 0;
  counts.delete("idle");
  const busy = total - idle;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    busy: total === 0 ? 0 : round(busy / total),
    stages: Object.fromEntries(
      [...counts]
        .sort(([, a], [, b]) => b - a)
        .map(([stage, count]) => [stage, busy === 0 ? 0 : round(count / busy)]),
    ),
  };
}

/** Starts V8's sampling profiler in this process; the returned function stops it and attributes it. */
export async function profileStages(): Promise<() => Promise<StageShares>> {
  const stop = await startSamplingProfiler(1000);
  return async () => stageShares(await stop());
}
