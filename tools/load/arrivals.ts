/**
 * An open-model arrival process: request `i` is due at `start + i / rate`, whether or not earlier
 * requests have been answered. A closed loop (a fixed pool of connections or virtual users, each
 * waiting for its answer before sending again) slows its arrivals when the system slows, which
 * hides the queueing a real producer meets; here nothing waits for an answer. A timer wakes at the
 * next due time; when the event loop was held up, every request already due fires at once, each
 * with its scheduled time, so that latency is measured from when the request should have left
 * (no coordinated omission).
 */
export interface ArrivalOptions {
  /** Requests per second. */
  rate: number;
  /** How many requests in all. */
  count: number;
  /** Called for each arrival with its index and the time it was due; never awaited. */
  arrive(index: number, scheduledAt: number): void;
  now?: () => number;
  setTimer?: (callback: () => void, delayMs: number) => unknown;
  /** Stops further arrivals (Ctrl-C). */
  signal?: AbortSignal;
}

export interface ArrivalSummary {
  /** Arrivals fired (less than `count` only when stopped). */
  fired: number;
  /** How late arrivals fired behind their schedule, at most, in milliseconds. */
  maxLagMs: number;
}

export function runArrivals(options: ArrivalOptions): Promise<ArrivalSummary> {
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const setTimer = options.setTimer ?? ((callback, delayMs) => setTimeout(callback, delayMs));
  const interval = 1000 / options.rate;
  const start = now();
  let next = 0;
  let maxLagMs = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const current = now();
      while (next < options.count && !options.signal?.aborted && start + next * interval <= current) {
        const scheduledAt = start + next * interval;
        maxLagMs = Math.max(maxLagMs, current - scheduledAt);
        options.arrive(next, scheduledAt);
        next += 1;
      }
      if (next >= options.count || options.signal?.aborted) {
        resolve({ fired: next, maxLagMs });
        return;
      }
      setTimer(tick, Math.max(0, start + next * interval - now()));
    };
    tick();
  });
}
