import { parseArgs } from "node:util";
import { DEAD_LETTER_QUEUES, type DeadLetterQueueName } from "./redriveTarget";

/** The command line of `npm run redrive`, checked field by field before anything is touched. */
export type TargetChoice =
  | { kind: "local"; stateDir?: string }
  | { kind: "outputs"; file: string; region?: string }
  | { kind: "aws"; namePrefix: string; region?: string };

export interface RedriveArguments {
  queue: DeadLetterQueueName;
  dryRun: boolean;
  max?: number;
  target: TargetChoice;
}

export type ParsedArguments =
  { kind: "help" } | { kind: "run"; args: RedriveArguments } | { kind: "invalid"; errors: string[] };

export function parseRedriveArguments(argv: string[]): ParsedArguments {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        queue: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        target: { type: "string", default: "local" },
        state: { type: "string" },
        "name-prefix": { type: "string" },
        region: { type: "string" },
        max: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    return { kind: "invalid", errors: [(error as Error).message] };
  }
  if (values.help) return { kind: "help" };
  const errors: string[] = [];
  const queue = values.queue as string | undefined;
  if (!DEAD_LETTER_QUEUES.includes(queue as DeadLetterQueueName))
    errors.push(
      `--queue must be one of ${DEAD_LETTER_QUEUES.join(", ")}${queue === undefined ? "" : `, not "${queue}"`}`,
    );
  let max: number | undefined;
  if (values.max !== undefined) {
    max = Number(values.max);
    if (!Number.isInteger(max) || max < 1)
      errors.push(`--max must be a whole number above 0, not "${values.max}"`);
  }
  const target = String(values.target);
  const region = values.region as string | undefined;
  const namePrefix = values["name-prefix"] as string | undefined;
  const state = values.state as string | undefined;
  if (target !== "local" && state !== undefined)
    errors.push("--state is the local cloud's folder: only with --target local");
  if (target !== "aws" && namePrefix !== undefined) errors.push("--name-prefix only with --target aws");
  if (target === "local" && region !== undefined)
    errors.push("--region does not apply to the local cloud (cloud.json names it)");
  if (target === "aws" && !namePrefix)
    errors.push(
      "--target aws needs --name-prefix: the stack's namePrefix (Pulumi.<stack>.yaml), which names its queues",
    );
  if (errors.length > 0) return { kind: "invalid", errors };
  const choice: TargetChoice =
    target === "local"
      ? { kind: "local", stateDir: state }
      : target === "aws"
        ? { kind: "aws", namePrefix: namePrefix!, region }
        : { kind: "outputs", file: target, region };
  return {
    kind: "run",
    args: { queue: queue as DeadLetterQueueName, dryRun: values["dry-run"] === true, max, target: choice },
  };
}
