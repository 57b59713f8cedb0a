/**
 * The fixed-rate tick. Tick n is due at `originMs + n × periodMs` on an absolute timeline, so a
 * late timer makes the next wait shorter instead of pushing every later tick back (no drift,
 * unlike setInterval). When the loop falls far behind (a long GC pause, a frozen process) it
 * realigns the timeline to now rather than firing the missed ticks back to back.
 *
 * `planNextTick` is the whole scheduling decision, pure, so it is tested without timers.
 */
import { performance } from "node:perf_hooks";

export interface TickPlanInput {
  /** Where tick 0 sits on the clock, ms. */
  readonly originMs: number;
  readonly periodMs: number;
  /** The number of the tick to schedule next. */
  readonly nextTick: number;
  /** Clock reading after the previous tick finished, ms. */
  readonly nowMs: number;
  /** Lateness, in periods, beyond which the timeline is realigned instead of caught up. */
  readonly maxLagTicks: number;
}

export interface TickPlan {
  /** Wait this long before running `nextTick` (0: run at once). */
  readonly delayMs: number;
  /** The timeline to keep using: unchanged, or moved so that `nextTick` is due now. */
  readonly originMs: number;
  /** Whole periods dropped from the timeline by a realign (0 when none). */
  readonly skippedPeriods: number;
}

export function planNextTick({ originMs, periodMs, nextTick, nowMs, maxLagTicks }: TickPlanInput): TickPlan {
  const dueMs = originMs + nextTick * periodMs;
  const lagMs = nowMs - dueMs;
  if (lagMs <= 0) return { delayMs: dueMs - nowMs, originMs, skippedPeriods: 0 };
  if (lagMs <= maxLagTicks * periodMs) return { delayMs: 0, originMs, skippedPeriods: 0 };
  return { delayMs: 0, originMs: nowMs - nextTick * periodMs, skippedPeriods: Math.floor(lagMs / periodMs) };
}

/** A tick whose own work took longer than one period. */
export function isOverrun(startedMs: number, endedMs: number, periodMs: number): boolean {
  return endedMs - startedMs > periodMs;
}

export interface TickLoopOptions {
  /** Ticks per second. */
  readonly hz: number;
  /** See TickPlanInput.maxLagTicks. */
  readonly maxLagTicks: number;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
  /** Timer (tests pass a fake one); returns a canceller. */
  readonly schedule?: (run: () => void, delayMs: number) => () => void;
}

export interface TickLoopStats {
  /** Ticks run. */
  ticks: number;
  /** Ticks whose work took longer than one period. */
  overruns: number;
  /** Times the timeline was realigned instead of catching up. */
  realigns: number;
  /** Periods dropped by realigns. */
  skippedPeriods: number;
  /** Work time of the last tick and the longest so far, ms. */
  lastTickMs: number;
  maxTickMs: number;
}

const timerSchedule = (run: () => void, delayMs: number): (() => void) => {
  const timer = setTimeout(run, delayMs);
  return () => clearTimeout(timer);
};

/**
 * Runs `onTick(tick)` for tick 1, 2, 3… at `hz`. Tick numbers never skip: a realign drops time,
 * not numbers. `onTick` must not throw (the owner catches); it runs synchronously.
 */
export class TickLoop {
  readonly periodMs: number;
  readonly stats: TickLoopStats = { ticks: 0, overruns: 0, realigns: 0, skippedPeriods: 0, lastTickMs: 0, maxTickMs: 0 };
  private readonly now: () => number;
  private readonly schedule: (run: () => void, delayMs: number) => () => void;
  private originMs = 0;
  private nextTick = 1;
  private cancel: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly options: TickLoopOptions,
    private readonly onTick: (tick: number) => void,
  ) {
    this.periodMs = 1000 / options.hz;
    this.now = options.now ?? (() => performance.now());
    this.schedule = options.schedule ?? timerSchedule;
  }

  /** The number the next tick will run with (the current one while inside `onTick`). */
  get currentTick(): number {
    return this.nextTick;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // Tick 1 is due one period from now.
    this.originMs = this.now() - (this.nextTick - 1) * this.periodMs;
    this.scheduleNext();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
  }

  private scheduleNext(): void {
    const plan = planNextTick({ originMs: this.originMs, periodMs: this.periodMs, nextTick: this.nextTick, nowMs: this.now(), maxLagTicks: this.options.maxLagTicks });
    if (plan.skippedPeriods > 0) {
      this.stats.realigns++;
      this.stats.skippedPeriods += plan.skippedPeriods;
    }
    this.originMs = plan.originMs;
    this.cancel = this.schedule(this.run, plan.delayMs);
  }

  private readonly run = (): void => {
    if (!this.running) return;
    const startedMs = this.now();
    try {
      this.onTick(this.nextTick);
    } finally {
      const endedMs = this.now();
      const workMs = endedMs - startedMs;
      this.stats.ticks++;
      this.stats.lastTickMs = workMs;
      if (workMs > this.stats.maxTickMs) this.stats.maxTickMs = workMs;
      if (isOverrun(startedMs, endedMs, this.periodMs)) this.stats.overruns++;
      this.nextTick++;
      if (this.running) this.scheduleNext();
    }
  };
}
