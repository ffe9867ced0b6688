import { Session, type Profiler } from "node:inspector";

/**
 * Starts V8's sampling profiler in this process, one sample every `intervalMicros`; the returned
 * function stops it and gives the profile.
 */
export async function startSamplingProfiler(
  intervalMicros: number,
): Promise<() => Promise<Profiler.Profile>> {
  const session = new Session();
  session.connect();
  const post = <R>(method: string, params?: object) =>
    new Promise<R>((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as R))),
    );
  try {
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: intervalMicros });
    await post("Profiler.start");
  } catch (error) {
    session.disconnect();
    throw error;
  }
  return async () => {
    try {
      return (await post<{ profile: Profiler.Profile }>("Profiler.stop")).profile;
    } finally {
      session.disconnect();
    }
  };
}
