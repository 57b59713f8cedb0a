/**
 * Event-loop lag, the way toobusy-js measures it: a timer due every `intervalMs` fires late by as
 * much as the loop was blocked. `lagMs()` is the larger of the smoothed lag of past samples and
 * how late the pending sample already is, so a loop blocked right now reads as busy at once,
 * before the late timer has even run.
 */
import { performance } from "node:perf_hooks";

export class LagMonitor {
  private smoothedMs = 0;
  private dueAt = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Starts sampling at once; the timer never keeps the process alive. */
  constructor(private readonly intervalMs = 50) {
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  lagMs(now = performance.now()): number {
    return Math.max(this.smoothedMs, this.timer === undefined ? 0 : now - this.dueAt);
  }

  private schedule(): void {
    this.dueAt = performance.now() + this.intervalMs;
    this.timer = setTimeout(() => {
      const sampleMs = Math.max(0, performance.now() - this.dueAt);
      // Two thirds of the past, one of the present: one late timer shows, noise fades.
      this.smoothedMs = (this.smoothedMs * 2 + sampleMs) / 3;
      this.schedule();
    }, this.intervalMs);
    this.timer.unref();
  }
}
