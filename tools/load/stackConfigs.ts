/**
 * The test stack configurations laid over Pulumi.dev.yaml when `npm run load` starts the local
 * cloud itself (an attached instance keeps its own). Each value is a setting of the component
 * (README, "Arguments"); none exists only locally.
 */

/** A plain load run. */
export const LOAD_STACK_CONFIG = {
  // Dev's stage throttle (10 requests/s, burst 20) would answer 429 above 10/s: raised far above
  // what the local cloud serves, so that the stage's throttle never decides a run's result.
  apiThrottlingRateLimit: 1000,
  apiThrottlingBurstLimit: 2000,
  // Prod's SES quota (dev's is 1/s, the sandbox's): notify's concurrency 10, each worker 5 sends/s.
  sesMaxSendRate: 50,
  // Prod's log level: dev's DEBUG writes about twice the log lines.
  logLevel: "INFO",
};

/** Execution environments per function: notify's maximum concurrency at 50 sends/s is 10. */
export const LOAD_MAX_CONTAINERS = 10;

/**
 * Fault scenarios (`--fault`, test/e2e/faults.spec.ts): notify's timeout is 5 s, so a record a
 * killed or failed invocation leaves on the queue comes back after 31 s (6 × timeout + the 1 s
 * batching window) and its lease lasts 10 s; a record is dead-lettered after 2 receives; SES
 * sends 14/s, the SES emulator having no sandbox. EventBridge's and Lambda's retry waits run
 * `FAULT_TIME_SCALE` times faster.
 */
export const FAULT_STACK_CONFIG = {
  ...LOAD_STACK_CONFIG,
  functionTimeoutSeconds: { notify: 5 },
  notifyMaxReceiveCount: 2,
  sesMaxSendRate: 14,
};

export const FAULT_TIME_SCALE = 60;
