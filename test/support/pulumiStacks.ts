import * as pulumi from "@pulumi/pulumi";
import type { BankNotificationStackArgs } from "../../components";
import type { PolicyStatement } from "../../components/iam";
import {
  loadStackConfig,
  MOCK_HASH_KEY,
  runProgram,
  type ProgramRun,
  type RecordedResource,
} from "../../local/pulumi/pulumiMocks";

/**
 * The program runs the infra specs share: each stack of the repository once per test process, and
 * one program holding two instances of the component. Running a program serialises the four
 * functions' code, the slow part; the runs are cached so that every spec file reads the same ones.
 */

type Serialize = typeof pulumi.runtime.serializeFunction;
type Cached<F> = F & { cached?: true };

/**
 * Each function's serialized handler factory, cached within this process. The factories are
 * module-level functions that capture only the runtime's modules, so their text cannot differ
 * between runs of one process; the first run of the process does the real work.
 */
function cacheCodePackaging(): void {
  const runtime = pulumi.runtime as unknown as { serializeFunction: Cached<Serialize> };
  if (runtime.serializeFunction.cached) return;
  const serialize = runtime.serializeFunction;
  const closures = new Map<Parameters<Serialize>[0], Map<string, ReturnType<Serialize>>>();
  const cachedSerialize: Cached<Serialize> = (func, args) => {
    const key = JSON.stringify(args ?? {});
    const byArgs = closures.get(func) ?? new Map<string, ReturnType<Serialize>>();
    closures.set(func, byArgs);
    if (!byArgs.has(key)) byArgs.set(key, serialize(func, args));
    return byArgs.get(key)!;
  };
  cachedSerialize.cached = true;
  runtime.serializeFunction = cachedSerialize;
}

export type StackName = "dev" | "prod";
export type StackRun = ProgramRun<Record<string, unknown>>;

const stackRuns = new Map<StackName, Promise<StackRun>>();

/** The program (index.ts) run for a stack of the repository, with its `Pulumi.<stack>.yaml`. */
export function stackRun(stack: StackName): Promise<StackRun> {
  cacheCodePackaging();
  if (!stackRuns.has(stack)) {
    stackRuns.set(
      stack,
      runProgram({
        stack,
        config: loadStackConfig(stack),
        // Loaded once the mocks and config are in place, as the Pulumi CLI does.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program: () => (require("../../index") as () => Record<string, unknown>)(),
      }),
    );
  }
  return stackRuns.get(stack)!;
}

/** Minimal args of an instance, as another team's program would write them. */
export function minimalArgs(overrides: Partial<BankNotificationStackArgs> = {}): BankNotificationStackArgs {
  return {
    senderAddress: "alerts@example.com",
    hashKey: pulumi.secret(MOCK_HASH_KEY),
    producerPrincipalArns: ["arn:aws:iam::123456789012:role/producer"],
    customerAdminPrincipalArns: ["arn:aws:iam::123456789012:role/admin"],
    ...overrides,
  };
}

let twoInstances: Promise<StackRun> | undefined;

/** One program with two instances of the component, all defaults, in one account and region. */
export function twoInstancesRun(): Promise<StackRun> {
  cacheCodePackaging();
  twoInstances ??= runProgram({
    stack: "coexistence",
    project: "consumer",
    config: { config: { "aws:region": "eu-west-1" }, secretKeys: [] },
    program: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { BankNotificationStack } = require("../../components") as typeof import("../../components");
      const first = new BankNotificationStack(
        "payments",
        minimalArgs({ senderAddress: "payments@example.com" }),
      );
      const second = new BankNotificationStack(
        "savings",
        minimalArgs({ senderAddress: "savings@example.com" }),
      );
      return { first: first.tableName, second: second.tableName } as Record<string, unknown>;
    },
  });
  return twoInstances;
}

const componentRuns = new Map<string, Promise<StackRun>>();

/**
 * A program holding one instance named "notifications", built from `minimalArgs(overrides)`, in the
 * given region of the default mock account, as another team's stack `stack` would. Cached by its options.
 */
export function componentRun(
  options: { stack?: string; region?: string; overrides?: Partial<BankNotificationStackArgs> } = {},
): Promise<StackRun> {
  cacheCodePackaging();
  const { stack = "consumer", region = "eu-west-1", overrides = {} } = options;
  const key = JSON.stringify({ stack, region, overrides });
  if (!componentRuns.has(key)) {
    componentRuns.set(
      key,
      runProgram({
        stack,
        project: "consumer",
        config: { config: { "aws:region": region }, secretKeys: [] },
        program: () => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { BankNotificationStack } = require("../../components") as typeof import("../../components");
          const instance = new BankNotificationStack("notifications", minimalArgs(overrides));
          return { tableName: instance.tableName } as Record<string, unknown>;
        },
      }),
    );
  }
  return componentRuns.get(key)!;
}

/** A program of its own holding one instance of the component with these args. */
export function instanceRun(name: string, args: BankNotificationStackArgs): Promise<StackRun> {
  cacheCodePackaging();
  return runProgram({
    stack: "instance",
    project: "consumer",
    config: { config: { "aws:region": "eu-west-3" }, secretKeys: [] },
    program: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { BankNotificationStack } = require("../../components") as typeof import("../../components");
      return { tableName: new BankNotificationStack(name, args).tableName } as Record<string, unknown>;
    },
  });
}

export function ofType(run: StackRun, type: string): RecordedResource[] {
  return run.resources.filter((resource) => resource.type === type);
}

export function onlyOfType(run: StackRun, type: string): RecordedResource {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

export function named(run: StackRun, type: string, name: string): RecordedResource {
  const found = ofType(run, type).find((resource) => resource.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}

/** The recorded resource whose computed `arn` (or `id`) is this value. */
export function byArn(run: StackRun, arn: unknown): RecordedResource | undefined {
  return run.resources.find((resource) => resource.state.arn === arn || resource.id === arn);
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

export function parsePolicy(json: unknown): PolicyDocument {
  return JSON.parse(String(json)) as PolicyDocument;
}

export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
