import type { StageShares } from "./cpuStages";

/**
 * Names what bounded a run, from what it measured: whether the system kept up (accepted at the
 * offered rate, no backlog left when the arrivals ended), the CPU each process used (the local cloud's process
 * serves the API, the bus, the proxies and the stand-ins on one event loop; each function
 * container is a process of its own), where that event loop spent its time, the notify queue's
 * backlog and the e-mail rate against the SES pacing the stack sets.
 */
export interface BottleneckInputs {
  /** Whether the run kept up with its arrivals. */
  keptUp: boolean;
  /** Cores each process group used during the run (`local cloud process`, function names, …). */
  cores: Record<string, number>;
  /** Cores of the machine. */
  machineCores: number;
  cloudPid?: number;
  stages?: StageShares;
  /** Deepest the notify queue was (visible + in flight), when it could be read. */
  notifyQueueMaxDepth?: number;
  /** The notify queue's backlog grew during the arrivals. */
  notifyQueueGrew?: boolean;
  emailsPerSecond: number;
  sesMaxSendRate?: number;
  /** Containers each function ran at most. */
  containers: Record<string, number>;
}

/** A process at or above this share of one core is saturated (one event loop, one thread of JS). */
export const SATURATED = 0.85;
const MACHINE = "machine (every process)";

const percent = (share: number) => `${Math.round(share * 100)} %`;

function topStages(stages: StageShares): string {
  return Object.entries(stages.stages)
    .filter(([, share]) => (share ?? 0) >= 0.05)
    .slice(0, 3)
    .map(([stage, share]) => `${stage} ${percent(share ?? 0)}`)
    .join(", ");
}

/** The first stage found at its limit, in the order a request meets them. */
function saturatedStage(inputs: BottleneckInputs): string | undefined {
  const cloud = inputs.cores["local cloud process"];
  const loopBusy = inputs.stages?.busy;
  if ((cloud ?? 0) >= SATURATED || (loopBusy ?? 0) >= SATURATED) {
    return (
      `the local cloud's process${inputs.cloudPid ? ` (pid ${inputs.cloudPid})` : ""}, whose one event loop ` +
      `serves API Gateway, EventBridge, the authorising proxies (IAM evaluation) and the stand-ins: ` +
      `${loopBusy !== undefined ? `busy ${percent(loopBusy)} of the time, ` : ""}${cloud ?? "?"} core` +
      (inputs.stages ? `; of its busy time: ${topStages(inputs.stages)}` : "")
    );
  }
  for (const [name, count] of Object.entries(inputs.containers)) {
    const cores = inputs.cores[name] ?? 0;
    if (cores / count >= SATURATED) return `the ${name} function: ${count} containers used ${cores} cores`;
  }
  if (inputs.sesMaxSendRate !== undefined && inputs.emailsPerSecond >= 0.9 * inputs.sesMaxSendRate) {
    return `SES pacing: notify's workers keep to sesMaxSendRate (${inputs.sesMaxSendRate}/s)`;
  }
  const machine = inputs.cores[MACHINE];
  if (machine !== undefined && machine >= SATURATED * inputs.machineCores) {
    const ours = Object.entries(inputs.cores)
      .filter(([group]) => group !== MACHINE)
      .reduce((sum, [, cores]) => sum + cores, 0);
    return `the machine's ${inputs.machineCores} cores: every process together used ${machine}, this run's ${Math.round(ours * 100) / 100}`;
  }
  if (inputs.notifyQueueGrew) {
    return `notify: its queue's backlog grew to ${inputs.notifyQueueMaxDepth} messages`;
  }
  return undefined;
}

export function nameBottleneck(inputs: BottleneckInputs): string {
  const saturated = saturatedStage(inputs);
  if (inputs.keptUp === false)
    return saturated ?? "no stage at its limit was measured, yet the run did not keep up";
  if (saturated) return `none yet (the run kept up), but at its limit: ${saturated}`;
  const busiest = Object.entries(inputs.cores)
    .filter(([group]) => group !== MACHINE)
    .sort(([, a], [, b]) => b - a)[0];
  return `none at this rate: every stage kept up${busiest ? ` (busiest: ${busiest[0]}, ${busiest[1]} core)` : ""}`;
}
