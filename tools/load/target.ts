import * as path from "node:path";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import { attachedInstance, startedInstance, type LocalTarget } from "./localTarget";
import type { ProgressReporter } from "./progress";
import { regionOfStageUrl, type ApiTarget } from "./signedApi";
import { FAULT_STACK_CONFIG, FAULT_TIME_SCALE, LOAD_MAX_CONTAINERS, LOAD_STACK_CONFIG } from "./stackConfigs";

/**
 * Where a load run sends its requests. `local`: the local cloud running on the state folder
 * (`.local` by default, `npm start`'s), else one started for the run, fresh in `.local/load` (or
 * in the `--state` folder given), with the load (or fault) test stack configuration. A stage URL:
 * requests signed with the default AWS credential chain (environment, profile, SSO, container or
 * instance role), as the AWS SDK resolves it.
 */
export interface Target {
  label: string;
  api: ApiTarget;
  local?: LocalTarget;
  /** The configuration laid over the stack's, when the run started the cloud. */
  stackConfiguration?: Record<string, unknown>;
}

export async function openTarget(options: {
  target: string;
  stateDir?: string;
  withFaults: boolean;
  progress: ProgressReporter;
}): Promise<Target> {
  if (options.target !== "local") {
    const credentials = defaultProvider();
    return {
      label: options.target,
      api: {
        apiUrl: options.target.replace(/\/$/, ""),
        region: regionOfStageUrl(options.target),
        credentials: () => credentials(),
      },
    };
  }
  const attachTo = path.resolve(options.stateDir ?? path.join(REPO_ROOT, ".local"));
  const attached = attachedInstance(attachTo);
  if (attached) {
    if (options.withFaults)
      throw new Error(
        `--fault needs a local cloud of its own (faults are injected in its process), but one is running on ${attachTo} (process ${attached.pid}): stop it or give another --state folder`,
      );
    return {
      label: `the local cloud running on ${attachTo} (process ${attached.pid})`,
      api: attached.api,
      local: attached,
    };
  }
  const stateDir = path.resolve(options.stateDir ?? path.join(REPO_ROOT, ".local", "load"));
  const config = options.withFaults ? FAULT_STACK_CONFIG : LOAD_STACK_CONFIG;
  options.progress.note(`Starting the local cloud in ${stateDir} (dev stack, test configuration)...`);
  const local = await startedInstance({
    stack: "dev",
    stateDir,
    fresh: options.stateDir === undefined,
    config,
    timeScale: options.withFaults ? FAULT_TIME_SCALE : 1,
    maxContainers: LOAD_MAX_CONTAINERS,
  });
  return {
    label: `a local cloud started in ${stateDir} (process ${local.pid})`,
    api: local.api,
    local,
    stackConfiguration: { ...config, maxContainers: LOAD_MAX_CONTAINERS },
  };
}
