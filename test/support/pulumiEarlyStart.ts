import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** What slow work started early may use: a signal that stops its child processes, and scratch folders. */
export interface EarlyWork {
  signal: AbortSignal;
  /** A new folder outside the repository, removed once the test run ends. */
  scratchFolder(prefix: string): string;
}

/**
 * Starts slow, mostly out-of-process work (a child process, an npm install) at the beginning of
 * the test run, with root hooks, so that it overlaps with the specs running in this process. The
 * spec awaits `result()` when it needs it. When no test asked for it (a `--grep` left the spec
 * out), its child processes are stopped; its scratch folders are removed in every case.
 */
export function startEarly<T>(start: (work: EarlyWork) => Promise<T>): { result(): Promise<T> } {
  const controller = new AbortController();
  const folders: string[] = [];
  let running: Promise<T> | undefined;
  let wanted = false;
  before(() => {
    running = start({
      signal: controller.signal,
      scratchFolder: (prefix) => {
        const folder = mkdtempSync(path.join(tmpdir(), prefix));
        folders.push(folder);
        return folder;
      },
    });
    running.catch(() => undefined);
  });
  after(async function () {
    this.timeout(60_000);
    if (!wanted) controller.abort();
    await running?.catch(() => undefined);
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  return {
    result() {
      wanted = true;
      if (!running)
        throw new Error("the early work has not started: startEarly must be called when the spec file loads");
      return running;
    },
  };
}
