import { startLocalServices, type LocalServices } from "../../local/localServices";

/**
 * One set of local services per test process, started by the first spec that asks for it and
 * stopped by the root hook in rootHooks.ts. Its AWS environment is applied to process.env so
 * in-process handlers reach it through the SDK's standard AWS_ENDPOINT_URL_* variables.
 */
let started: Promise<LocalServices> | undefined;

export function useLocalServices(): Promise<LocalServices> {
  if (!started) {
    started = startLocalServices().then((services) => {
      Object.assign(process.env, services.awsEnvironment());
      return services;
    });
  }
  return started;
}

export async function stopSharedServices(): Promise<void> {
  if (!started) return;
  const services = await started;
  started = undefined;
  await services.stop();
}
