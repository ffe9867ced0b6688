import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { percentile } from "../percentile";

const run = promisify(execFile);

/** Loads the file given as argument, then prints the milliseconds since the process started. */
const LOAD_AND_REPORT =
  'const { performance } = require("node:perf_hooks"); if (process.argv[1]) require(process.argv[1]); ' +
  "process.stdout.write(String(performance.now()));";

export interface InitProgram {
  key: string;
  /** The file to load (its top level builds the handler or the clients); none for bare Node. */
  file?: string;
  cwd: string;
  env: Record<string, string>;
}

export interface Timing {
  median: number;
  p90: number;
}

export function timing(samples: number[]): Timing {
  const round = (value: number) => Math.round(value * 10) / 10;
  return { median: round(percentile(samples, 0.5)), p90: round(percentile(samples, 0.9)) };
}

/**
 * Init of each program in a fresh `node` process, from process start to the end of loading its file:
 * `runs` rounds, each running every program once in turn, so that a busy machine slows all of them
 * alike instead of whichever happened to run during the busy moment.
 */
export async function measureInits(
  node: string,
  programs: InitProgram[],
  runs: number,
): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(programs.map((program) => [program.key, []]));
  for (let round = 0; round < runs; round++) {
    for (const program of programs) {
      const { stdout } = await run(node, ["-e", LOAD_AND_REPORT, ...(program.file ? [program.file] : [])], {
        cwd: program.cwd,
        env: { PATH: process.env.PATH ?? "", ...program.env },
      });
      samples[program.key].push(Number(stdout));
    }
  }
  return samples;
}
