import assert from "node:assert/strict";
import { isOverrun, planNextTick, TickLoop } from "../../services/src/game";

/** A clock and timer the test moves by hand: a scheduled run fires when the clock reaches it. */
class FakeTime {
  nowMs = 1000;
  private pending: { atMs: number; run: () => void } | undefined;
  readonly delays: number[] = [];

  readonly now = () => this.nowMs;
  readonly schedule = (run: () => void, delayMs: number) => {
    this.delays.push(delayMs);
    const entry = { atMs: this.nowMs + delayMs, run };
    this.pending = entry;
    return () => {
      if (this.pending === entry) this.pending = undefined;
    };
  };

  /** Fires the pending timer `lateMs` after it was due. */
  fire(lateMs = 0): void {
    const entry = this.pending!;
    this.pending = undefined;
    this.nowMs = Math.max(this.nowMs, entry.atMs + lateMs);
    entry.run();
  }
}

describe("tick loop scheduling math", () => {
  it("waits until the next tick's slot on the absolute timeline", () => {
    const plan = planNextTick({ originMs: 0, periodMs: 50, nextTick: 3, nowMs: 120, maxLagTicks: 5 });
    assert.deepEqual(plan, { delayMs: 30, originMs: 0, skippedPeriods: 0 });
  });

  it("corrects drift: a tick that fired late shortens the next wait instead of shifting every later tick", () => {
    // Tick 2 was due at 100 but ran at 108 and took 2 ms: tick 3 is still due at 150.
    const plan = planNextTick({ originMs: 0, periodMs: 50, nextTick: 3, nowMs: 110, maxLagTicks: 5 });
    assert.equal(plan.delayMs, 40);
    assert.equal(plan.originMs, 0);
  });

  it("runs a slightly late tick at once and keeps the timeline (catch-up within maxLagTicks)", () => {
    const plan = planNextTick({ originMs: 0, periodMs: 50, nextTick: 3, nowMs: 260, maxLagTicks: 5 });
    assert.deepEqual(plan, { delayMs: 0, originMs: 0, skippedPeriods: 0 });
  });

  it("realigns instead of a catch-up storm when more than maxLagTicks behind, and says how many periods it dropped", () => {
    // Tick 3 was due at 150; it is 1000: 850 ms = 17 periods late.
    const plan = planNextTick({ originMs: 0, periodMs: 50, nextTick: 3, nowMs: 1000, maxLagTicks: 5 });
    assert.equal(plan.delayMs, 0);
    assert.equal(plan.skippedPeriods, 17);
    // The new timeline puts tick 3 at now, tick 4 one period later.
    assert.equal(plan.originMs + 3 * 50, 1000);
    const next = planNextTick({ originMs: plan.originMs, periodMs: 50, nextTick: 4, nowMs: 1001, maxLagTicks: 5 });
    assert.equal(next.delayMs, 49);
  });

  it("counts a tick as an overrun only when its own work took longer than one period", () => {
    assert.equal(isOverrun(0, 50, 50), false);
    assert.equal(isOverrun(0, 50.5, 50), true);
  });
});

describe("tick loop driven by a fake clock", () => {
  it("numbers ticks 1, 2, 3… and keeps the 20 Hz timeline although every timer fires 3 ms late", () => {
    const time = new FakeTime();
    const ticks: Array<[number, number]> = [];
    const loop = new TickLoop({ hz: 20, maxLagTicks: 5, now: time.now, schedule: time.schedule }, (tick) => ticks.push([tick, time.nowMs]));
    loop.start();
    for (let i = 0; i < 100; i++) time.fire(3);
    loop.stop();
    assert.deepEqual(ticks.map(([tick]) => tick), Array.from({ length: 100 }, (_, i) => i + 1));
    // Tick n runs at origin + n × 50 + 3: no accumulated drift after 100 ticks.
    assert.equal(ticks[99]![1], 1000 + 100 * 50 + 3);
    assert.ok(time.delays.slice(1).every((delay) => delay === 47), `delays ${time.delays.slice(0, 5)}`);
    assert.equal(loop.stats.ticks, 100);
    assert.equal(loop.stats.overruns, 0);
    assert.equal(loop.stats.realigns, 0);
  });

  it("counts overruns, catches up a short lag with immediate ticks, and realigns after a long stall", () => {
    const time = new FakeTime();
    let workMs = 0;
    const loop = new TickLoop({ hz: 20, maxLagTicks: 5, now: time.now, schedule: time.schedule }, () => {
      time.nowMs += workMs;
    });
    loop.start();
    time.fire();
    workMs = 120; // two ticks of 120 ms work in a 50 ms period
    time.fire();
    time.fire();
    workMs = 1;
    assert.equal(loop.stats.overruns, 2);
    // 140 ms behind (< 5 periods): the next tick is scheduled at once, no realign.
    assert.equal(time.delays.at(-1), 0);
    assert.equal(loop.stats.realigns, 0);
    time.fire();
    time.fire(); // still catching up
    // A 2-second stall (e.g. the process was frozen).
    time.fire(2000);
    assert.equal(loop.stats.realigns, 1);
    assert.ok(loop.stats.skippedPeriods >= 39, `skipped ${loop.stats.skippedPeriods}`);
    // The realigned tick runs at once; the one after it waits a normal period again.
    assert.equal(time.delays.at(-1), 0);
    time.fire();
    assert.equal(time.delays.at(-1), 49);
    loop.stop();
    assert.equal(loop.stats.ticks, 7);
  });

  it("ticks at the configured rate on real timers, within a few percent", async function () {
    this.timeout(5000);
    const ticks: number[] = [];
    const loop = new TickLoop({ hz: 50, maxLagTicks: 5 }, (tick) => ticks.push(tick));
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    loop.stop();
    assert.ok(ticks.length >= 48 && ticks.length <= 51, `${ticks.length} ticks in 1 s at 50 Hz`);
    assert.deepEqual(ticks, Array.from({ length: ticks.length }, (_, i) => i + 1));
  });
});
