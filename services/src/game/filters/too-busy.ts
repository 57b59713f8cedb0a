/**
 * Refuses work while the event loop lags (Pomelo's `toobusy` filter): with the loop late by more
 * than `maxLagMs`, a request is answered SERVER_BUSY before its handler (or any inner filter)
 * runs, so an overloaded server sheds load instead of answering everyone late.
 */
import { GameError, type HandlerFilter } from "../api";
import { LagMonitor } from "./lag-monitor";

export interface TooBusyOptions {
  /** Lag above which requests are refused. Default 70 ms (toobusy-js's default). */
  readonly maxLagMs?: number;
  /** How often the lag is sampled. Default 50 ms. */
  readonly sampleIntervalMs?: number;
}

export function tooBusy(options: TooBusyOptions = {}): HandlerFilter & { readonly monitor: LagMonitor } {
  const maxLagMs = options.maxLagMs ?? 70;
  const monitor = new LagMonitor(options.sampleIntervalMs ?? 50);
  return {
    name: "tooBusy",
    monitor,
    before() {
      const lagMs = monitor.lagMs();
      if (lagMs > maxLagMs) throw new GameError("SERVER_BUSY", `the server is too busy (event loop ${Math.round(lagMs)} ms late); retry shortly`);
    },
  };
}
