/**
 * Spaces one worker's sends at least `intervalMs` apart. The component runs at most N notify workers
 * at once (the event source mapping's maximum concurrency) and gives each an interval of at least
 * N / sesMaxSendRate seconds, so that all of them together stay within the SES sending rate.
 * The clock and the sleep are given, so tests need not wait.
 */
export function createSendPacer(options: {
  intervalMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}) {
  let lastSendAt: number | undefined;
  return {
    /** Resolves when the next send may go. */
    async wait(): Promise<void> {
      if (lastSendAt !== undefined) {
        const delay = lastSendAt + options.intervalMs - options.now();
        if (delay > 0) await options.sleep(delay);
      }
      lastSendAt = options.now();
    },
  };
}
export type SendPacer = ReturnType<typeof createSendPacer>;
