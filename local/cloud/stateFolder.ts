import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The local cloud's state folder (`.local/` by default): tables on disk, issued credentials, the
 * hash key, logs, the bus archive and `cloud.json`. One running instance owns it, recorded in a lock
 * file with its process id; a second start refuses, and `--fresh` never wipes a folder in use.
 */
export interface StateFolder {
  root: string;
  path(...parts: string[]): string;
  release(): void;
}

const LOCK_FILE = "cloud.lock";

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of the instance that owns the folder, if one is running. */
export function runningInstance(root: string): number | undefined {
  const lock = path.join(root, LOCK_FILE);
  if (!existsSync(lock)) return undefined;
  const pid = Number(readFileSync(lock, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && running(pid) ? pid : undefined;
}

export function claimStateFolder(root: string, options: { fresh: boolean }): StateFolder {
  const owner = runningInstance(root);
  if (owner !== undefined) {
    throw new Error(
      `The local cloud is already running on ${root} (process ${owner}). Stop it (Ctrl-C) or use another --state folder.`,
    );
  }
  if (options.fresh) rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const lock = path.join(root, LOCK_FILE);
  writeFileSync(lock, String(process.pid));
  return {
    root,
    path: (...parts) => {
      const target = path.join(root, ...parts);
      mkdirSync(path.dirname(target), { recursive: true });
      return target;
    },
    release() {
      if (existsSync(lock) && readFileSync(lock, "utf8").trim() === String(process.pid)) rmSync(lock);
    },
  };
}
