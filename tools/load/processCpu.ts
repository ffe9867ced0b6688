import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import * as path from "node:path";

/**
 * CPU time of the processes a load run involves, read from Linux's /proc: the local cloud's
 * process, its function containers (its children, named by the folder each runs in, which is the
 * function's name) and the whole machine. Elsewhere nothing is read and the figures are absent.
 */
export interface CpuReading {
  at: number;
  /** CPU seconds since each process started, by pid, with the group it counts for. */
  processes: Record<string, { group: string; cpuSeconds: number }>;
  /** CPU seconds of the whole machine: busy and total (all cores). */
  machine?: { busy: number; total: number };
}

const CLOCK_TICKS_PER_SECOND = 100;

function statOf(pid: string): { ppid: number; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

function machineTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((sum, value) => sum + value, 0);
    const idle = values[3] + (values[4] ?? 0);
    return { busy: (total - idle) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** What the cloud's process (`cloudPid`), its function containers and this process have used. */
export function readCpu(cloudPid: number, now: number = Date.now()): CpuReading {
  const generator = process.cpuUsage();
  const processes: CpuReading["processes"] = {
    [process.pid]: { group: "load generator", cpuSeconds: (generator.user + generator.system) / 1e6 },
  };
  const cloud = cloudPid === process.pid ? undefined : statOf(String(cloudPid));
  if (cloud) processes[cloudPid] = { group: "local cloud process", cpuSeconds: cloud.cpuSeconds };
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    pids = [];
  }
  for (const pid of pids) {
    const stat = statOf(pid);
    if (!stat || stat.ppid !== cloudPid) continue;
    let folder: string;
    try {
      folder = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue;
    }
    // A function's containers run in <state>/lambda/<function name>.
    const group = path.basename(path.dirname(folder)) === "lambda" ? path.basename(folder) : "other children";
    processes[pid] = { group, cpuSeconds: stat.cpuSeconds };
  }
  return { at: now, processes, machine: machineTimes() };
}

const NOT_FUNCTIONS = ["load generator", "local cloud process", "other children"];

/** Containers alive in a reading, by function. */
export function containersIn(reading: CpuReading): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { group } of Object.values(reading.processes)) {
    if (!NOT_FUNCTIONS.includes(group)) counts[group] = (counts[group] ?? 0) + 1;
  }
  return counts;
}

/**
 * Cores each group used between two readings (CPU seconds per second of wall time). A process
 * that started in between counts from its start; one that ended in between is missed.
 */
export function coresBetween(first: CpuReading, last: CpuReading): Record<string, number> {
  const wall = (last.at - first.at) / 1000;
  if (wall <= 0) return {};
  const seconds: Record<string, number> = {};
  for (const [pid, { group, cpuSeconds }] of Object.entries(last.processes)) {
    seconds[group] = (seconds[group] ?? 0) + cpuSeconds - (first.processes[pid]?.cpuSeconds ?? 0);
  }
  const cores: Record<string, number> = {};
  for (const [group, total] of Object.entries(seconds)) cores[group] = Math.round((total / wall) * 100) / 100;
  if (first.machine && last.machine) {
    cores["machine (every process)"] =
      Math.round(((last.machine.busy - first.machine.busy) / wall) * 100) / 100;
  }
  return cores;
}
