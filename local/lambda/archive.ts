import { execFile } from "node:child_process";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";

/**
 * A function's `code` archive, as the Pulumi program declared it, written to a folder the way
 * Lambda unzips it: text entries as files, file and folder entries copied (hard-linked where the
 * file system allows: the same bytes without copying them).
 */
const run = promisify(execFile);

/** One entry of a function archive: a file written from text, or a file or folder copied from disk. */
export type ArchiveEntry = { name: string; text: string } | { name: string; path: string };

/** A function's `code` as entries, paths made absolute from `base` (the program's working directory). */
export async function archiveEntries(
  archive: pulumi.asset.AssetArchive,
  base = process.cwd(),
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
}
