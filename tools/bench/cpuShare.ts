import type { Profiler } from "node:inspector";
import * as path from "node:path";
import { startSamplingProfiler } from "../samplingProfiler";

/**
 * Where this process spends its CPU, from V8's sampling profiler: each sample goes to the local
 * services standing in for AWS if one of their frames is on its stack, otherwise to the nearest
 * frame, leaf first, of the project (runtime/ and its own libraries) or of the AWS SDK. Samples with none of them on the stack (idle,
 * garbage collection, the bench's own loop, Node's socket plumbing) are left out of the shares and
 * counted as `unattributed`.
 */

export interface CpuShare {
  project: number;
  sdk: number;
  emulators: number;
  /** Fraction of all samples that could not be attributed. */
  unattributed: number;
}

type Category = "project" | "sdk" | "emulators";

const REPO_ROOT = path.resolve(__dirname, "../..");
const PROJECT_LIBRARIES = ["yup", "property-expr", "tiny-case", "toposort"];
const SDK_PACKAGES = ["@aws-sdk", "@smithy", "@aws", "fast-xml-parser", "strnum", "bowser", "mnemonist"];
const EMULATOR_PACKAGES = ["dynalite", "aws-ses-v2-local", "fauxqs", "fastify", "express"];

function categoryOf(url: string): Category | undefined {
  const file = url.startsWith("file://") ? new URL(url).pathname : url;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
  if (inModules) {
    const scope = inModules.split("/")[0];
    if (PROJECT_LIBRARIES.includes(inModules)) return "project";
    if (SDK_PACKAGES.includes(scope) || SDK_PACKAGES.includes(inModules)) return "sdk";
    if (EMULATOR_PACKAGES.includes(inModules)) return "emulators";
    return undefined;
  }
  if (file.startsWith(path.join(REPO_ROOT, "runtime/"))) return "project";
  if (file.startsWith(path.join(REPO_ROOT, "local/"))) return "emulators";
  return undefined;
}

function attribute(profile: Profiler.Profile): CpuShare {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // Emulator code runs only on the services' side, so an emulator frame anywhere on the stack wins
  // (fauxqs uses the SDK itself); otherwise the nearest frame of the project or the SDK.
  const resolved = new Map<number, { nearest?: Category; emulator: boolean }>();
  const resolveNode = (id: number): { nearest?: Category; emulator: boolean } => {
    const known = resolved.get(id);
    if (known) return known;
    const own = categoryOf(byId.get(id)!.callFrame.url);
    const parentId = parentOf.get(id);
    const parent = parentId === undefined ? { emulator: false } : resolveNode(parentId);
    const result = { nearest: own ?? parent.nearest, emulator: own === "emulators" || parent.emulator };
    resolved.set(id, result);
    return result;
  };
  const resolve = (id: number): Category | undefined => {
    const { nearest, emulator } = resolveNode(id);
    return emulator ? "emulators" : nearest;
  };
  const counts = { project: 0, sdk: 0, emulators: 0, unattributed: 0 };
  for (const sample of profile.samples ?? []) counts[resolve(sample) ?? "unattributed"] += 1;
  const attributed = counts.project + counts.sdk + counts.emulators || 1;
  const all = attributed + counts.unattributed;
  const share = (count: number, total: number) => Math.round((count / total) * 1000) / 1000;
  return {
    project: share(counts.project, attributed),
    sdk: share(counts.sdk, attributed),
    emulators: share(counts.emulators, attributed),
    unattributed: share(counts.unattributed, all),
  };
}

/** Runs `work` under the sampling profiler and returns its result with the CPU shares. */
export async function withCpuShare<T>(work: () => Promise<T>): Promise<{ result: T; cpuShare: CpuShare }> {
  const stop = await startSamplingProfiler(500);
  const result = await work().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { result, cpuShare: attribute(await stop()) };
}
