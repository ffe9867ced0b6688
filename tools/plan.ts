import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  loadStackConfig,
  REPO_ROOT,
  runProgram,
  SECRET_PLACEHOLDER,
  type RecordedResource,
} from "../local/pulumi/pulumiMocks";
import { runTool, UsageError } from "./runTool";

/**
 * `npm run plan -- --stack dev|prod [--json]`: what `pulumi preview` would show, without the CLI or
 * an AWS account. The program runs under mocks with the stack's `Pulumi.<stack>.yaml`; the plan
 * lists every resource with its parent and resolved inputs (secrets masked, assets and archives
 * summarised), then a summary (`N to create`, by AWS service) and the stack's outputs. `--json`
 * prints one JSON document on stdout and nothing else, a contract other tools (the diagram) read:
 *
 *   { "stack": "dev", "resources": [ { "type", "name", "parent", "inputs" } ] }
 */

export interface PlannedResource {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
}

export interface AssetSummary {
  kind: string;
  files: string[];
  bytes: number;
}

function bytesOnDisk(target: string): number {
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(target).reduce((total, entry) => total + bytesOnDisk(path.join(target, entry)), 0);
}

/** An asset or archive as `{ kind, files, bytes }`: its entries (files or folders) and their total size. */
export async function summariseAsset(
  value: pulumi.asset.Asset | pulumi.asset.Archive,
): Promise<AssetSummary> {
  const kind = value.constructor.name;
  if (value instanceof pulumi.asset.AssetArchive) {
    const entries = await value.assets;
    const summaries = await Promise.all(Object.values(entries).map((entry) => summariseAsset(entry)));
    return {
      kind,
      files: Object.keys(entries).sort(),
      bytes: summaries.reduce((total, summary) => total + summary.bytes, 0),
    };
  }
  if (value instanceof pulumi.asset.StringAsset) {
    return { kind, files: [], bytes: Buffer.byteLength(await value.text) };
  }
  if (value instanceof pulumi.asset.FileAsset || value instanceof pulumi.asset.FileArchive) {
    const file = await value.path;
    return { kind, files: [file], bytes: bytesOnDisk(path.resolve(file)) };
  }
  return { kind, files: [], bytes: 0 };
}

async function planValue(value: unknown): Promise<unknown> {
  if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value))
    return summariseAsset(value);
  if (pulumi.Resource.isInstance(value)) {
    const resource = value as pulumi.Resource;
    return `resource:${await new Promise<string>((resolve) => resource.urn.apply(resolve))}`;
  }
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(planValue));
  if (value !== null && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await planValue(item)]),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/** One recorded resource as the plan shows it. */
export async function plannedResource(resource: RecordedResource): Promise<PlannedResource> {
  const inputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource.inputs)) {
    inputs[key] = resource.secretInputs.includes(key) ? SECRET_PLACEHOLDER : await planValue(value);
  }
  return { type: resource.type, name: resource.name, parent: resource.parent, inputs };
}

/** What the program would create for a stack, and the outputs it would export. */
export interface PlanRun {
  plan: Plan;
  outputs: Record<string, unknown>;
}

/** Runs the program (index.ts) for a stack under mocks: its plan and its stack outputs. */
export async function runPlan(stack: string): Promise<PlanRun> {
  // Loaded once the mocks and the stack's config are in place, as `pulumi up` would.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = () => (require("../index") as () => Record<string, unknown>)();
  const run = await runProgram({ stack, config: loadStackConfig(stack), program });
  return {
    plan: { stack, resources: await Promise.all(run.resources.map(plannedResource)) },
    outputs: run.outputs,
  };
}

/** Runs the program (index.ts) for a stack under mocks and returns its plan. */
export async function planStack(stack: string): Promise<Plan> {
  return (await runPlan(stack)).plan;
}

/**
 * The group a resource type belongs to in the summary: the AWS service (`aws:lambda/function:Function`
 * is `lambda`), or the package for anything else (`bank-notification-stack`).
 */
export function typeGroup(type: string): string {
  const [provider, module] = type.split(":");
  return provider === "aws" ? module.split("/")[0] : provider;
}

/** `N to create (group count, ...)`, largest groups first, as `pulumi preview` ends. */
export function summaryLine(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const resource of plan.resources) {
    const group = typeGroup(resource.type);
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  const groups = [...counts].sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b));
  return `${plan.resources.length} to create (${groups.map(([group, count]) => `${group} ${count}`).join(", ")})`;
}

const MAX_SHOWN = 100;

function shown(value: unknown): string {
  if (typeof value === "string") return value.length > MAX_SHOWN ? `<${value.length} characters>` : value;
  if (typeof value !== "object" || value === null) return String(value);
  if (Array.isArray(value))
    return value.every((item) => typeof item !== "object")
      ? shown(JSON.stringify(value))
      : `[${value.length} items]`;
  const summary = value as Partial<AssetSummary>;
  if (typeof summary.kind === "string" && typeof summary.bytes === "number") {
    return `${summary.kind}: ${summary.files?.length ?? 0} entries, ${(summary.bytes / 1024 / 1024).toFixed(1)} MB`;
  }
  const text = JSON.stringify(value);
  return text.length > MAX_SHOWN ? `{${Object.keys(value).length} fields}` : text;
}

/** The plan as a tree (children under their parent, one line per input), its summary and the outputs. */
export function formatPlan(plan: Plan, outputs: Record<string, unknown> = {}): string {
  const children = new Map<string | null, PlannedResource[]>();
  for (const resource of plan.resources) {
    const siblings = children.get(resource.parent) ?? [];
    siblings.push(resource);
    children.set(resource.parent, siblings);
  }
  const lines = [`Plan of stack ${plan.stack}: ${plan.resources.length} resources`];
  const visit = (parent: string | null, depth: number) => {
    for (const resource of children.get(parent) ?? []) {
      const indent = "  ".repeat(depth);
      lines.push(`${indent}+ ${resource.type} ${resource.name}`);
      for (const [key, value] of Object.entries(resource.inputs)) {
        if (value === undefined || key === "__defaults") continue;
        lines.push(`${indent}    ${key}: ${shown(value)}`);
      }
      visit(resource.name, depth + 1);
    }
  };
  visit(null, 0);
  lines.push("", `Resources: ${summaryLine(plan)}`);
  if (Object.keys(outputs).length > 0) {
    lines.push("", "Outputs (ids and ARNs as the mocks derive them; AWS assigns the real ones):");
    for (const [key, value] of Object.entries(outputs)) {
      const text = JSON.stringify(value);
      lines.push(
        text.length > MAX_SHOWN
          ? `  ${key}: ${JSON.stringify(value, null, 2).replace(/\n/g, "\n  ")}`
          : `  ${key}: ${text}`,
      );
    }
  }
  return lines.join("\n");
}

function usage(): string {
  return `Usage: npm run plan -- --stack <stack> [--json]

What \`pulumi preview\` would show for a stack of this repository (Pulumi.<stack>.yaml), without the
Pulumi CLI or an AWS account: the program runs under mocks that answer like AWS.

  --stack <stack>  the stack to plan: ${availableStacks().join(", ")}
  --json           one JSON document on stdout: { "stack", "resources": [{ "type", "name", "parent", "inputs" }] }
                   (npm run --silent plan ... keeps npm's banner out of the pipe)
  --help           this text

Without --json: the resource tree with each resource's inputs, a summary (N to create, by AWS
service) and the stack outputs.`;
}

function availableStacks(): string[] {
  return readdirSync(REPO_ROOT)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined);
}

function parseArguments(argv: string[]): { stack: string; json: boolean } | "help" {
  let stack: string | undefined;
  let json = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--help" || argument === "-h") return "help";
    if (argument === "--json") json = true;
    else if (argument === "--stack") stack = argv[++index];
    else if (argument.startsWith("--stack=")) stack = argument.slice("--stack=".length);
    else throw new UsageError(`Unknown argument "${argument}".\n\n${usage()}`);
  }
  if (!stack) throw new UsageError(`Missing --stack.\n\n${usage()}`);
  if (!availableStacks().includes(stack)) {
    throw new UsageError(
      `No stack "${stack}": there is no Pulumi.${stack}.yaml. Stacks: ${availableStacks().join(", ")}.`,
    );
  }
  return { stack, json };
}

/** Writes the text and resolves once stdout has taken it all: a pipe is written asynchronously. */
function writeStdout(text: string): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseArguments(argv);
  if (parsed === "help") return writeStdout(`${usage()}\n`);
  const { stack, json } = parsed;
  if (json) {
    // stdout carries the JSON document only: anything the program or Pulumi logs goes to stderr.
    const toStderr = (...parts: unknown[]) => process.stderr.write(`${parts.map(String).join(" ")}\n`);
    console.log = console.info = console.debug = toStderr;
  }
  const { plan, outputs } = await runPlan(stack);
  await writeStdout(`${json ? JSON.stringify(plan, null, 2) : formatPlan(plan, outputs)}\n`);
}

if (require.main === module) runTool("plan", () => main(process.argv.slice(2)));
