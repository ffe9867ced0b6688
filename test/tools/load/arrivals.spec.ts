import { expect } from "chai";
import { runArrivals } from "../../../tools/load/arrivals";

/** A clock the test moves, and the timers set on it. */
function manualClock(start = 1_000_000) {
  let now = start;
  const timers: { at: number; callback: () => void }[] = [];
  return {
    now: () => now,
    setTimer: (callback: () => void, delayMs: number) => {
      timers.push({ at: now + delayMs, callback });
    },
    /** Moves the clock to `to`, firing each timer due on the way at its own time. */
    advanceTo(to: number) {
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > to) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.callback();
      }
      now = to;
    },
    /** Moves the clock without firing anything: the event loop was held up. */
    jumpTo(to: number) {
      now = to;
    },
    pending: () => timers.length,
  };
}

describe("tools: npm run load's arrivals (an open model)", () => {
  it("fires rate × duration arrivals, the i-th due at start + i / rate", async () => {
    const clock = manualClock();
    const fired: [number, number][] = [];
    const done = runArrivals({
      rate: 4,
      count: 8,
      arrive: (index, scheduledAt) => fired.push([index, scheduledAt]),
      now: clock.now,
      setTimer: clock.setTimer,
    });
    clock.advanceTo(1_000_000 + 2_000);
    expect(await done).to.deep.equal({ fired: 8, maxLagMs: 0 });
    expect(fired).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].map((index) => [index, 1_000_000 + index * 250]));
  });

  it("keeps arriving on schedule while no request has been answered", async () => {
    const clock = manualClock();
    const unanswered: Promise<never>[] = [];
    const done = runArrivals({
      rate: 10,
      count: 20,
      arrive: () => unanswered.push(new Promise<never>(() => undefined)),
      now: clock.now,
      setTimer: clock.setTimer,
    });
    clock.advanceTo(1_000_000 + 1_000);
    expect(unanswered).to.have.length(11);
    clock.advanceTo(1_000_000 + 1_900);
    expect((await done).fired).to.equal(20);
  });

  it("fires every arrival already due at once, each with its scheduled time, after the loop was held up", async () => {
    const clock = manualClock();
    const fired: number[] = [];
    const done = runArrivals({
      rate: 10,
      count: 10,
      arrive: (_, scheduledAt) => fired.push(scheduledAt),
      now: clock.now,
      setTimer: clock.setTimer,
    });
    expect(fired).to.deep.equal([1_000_000]);
    clock.jumpTo(1_000_000 + 550);
    clock.advanceTo(1_000_000 + 550);
    expect(fired).to.deep.equal([0, 100, 200, 300, 400, 500].map((offset) => 1_000_000 + offset));
    clock.advanceTo(1_000_000 + 900);
    expect((await done).maxLagMs).to.equal(450);
  });

  it("stops arriving when aborted", async () => {
    const clock = manualClock();
    const controller = new AbortController();
    const done = runArrivals({
      rate: 10,
      count: 100,
      arrive: () => undefined,
      now: clock.now,
      setTimer: clock.setTimer,
      signal: controller.signal,
    });
    clock.advanceTo(1_000_000 + 250);
    controller.abort();
    clock.advanceTo(1_000_000 + 10_000);
    expect((await done).fired).to.equal(3);
    expect(clock.pending()).to.equal(0);
  });
});
