import { DEFAULTS } from "../../components/settings";
import { loadStackConfig, projectName } from "../../local/pulumi/pulumiMocks";

/**
 * A component setting as a stack runs it: the test configuration laid over the stack's (when the
 * run started the cloud), else `Pulumi.<stack>.yaml`, else the component's default.
 */
export function stackSetting<K extends keyof typeof DEFAULTS>(
  stack: string,
  key: K,
  overrides: Record<string, unknown> = {},
): (typeof DEFAULTS)[K] {
  if (overrides[key] !== undefined) return overrides[key] as (typeof DEFAULTS)[K];
  const configured = loadStackConfig(stack).config[`${projectName()}:${key}`];
  if (configured === undefined) return DEFAULTS[key];
  return (typeof DEFAULTS[key] === "string" ? configured : JSON.parse(configured)) as (typeof DEFAULTS)[K];
}
