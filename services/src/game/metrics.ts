/** A game server's Prometheus series (docs/observability.md), read from its counters at scrape time plus two histograms fed each tick. */
import { Histogram, type Registry } from "../metrics/prom-client";
import { counter, counterBy, exportCounters, gauge, gaugeBy, METRIC_PREFIX } from "../metrics";
import type { GameServerStats } from "./game-server";

export interface GameTickMetrics {
  /** One tick's work (onTick + batch building + sends), ms. */
  observeTick(durationMs: number): void;
  /** Entries (broadcasts + direct) of one connector's batch. */
  observeBatch(entries: number): void;
}

export function registerGameMetrics(registry: Registry, stats: () => GameServerStats): GameTickMetrics {
  const prefix = `${METRIC_PREFIX}game_`;
  exportCounters(registry, prefix, stats, {
    sessions: gauge("Sessions this server serves"),
    requests: counter("Client requests handled"),
    notifies: counter("Client notifies handled"),
    remoteCalls: counter("Remote calls from other servers"),
    badInput: counter("Requests refused by an input schema or not JSON"),
    unknownRoutes: counter("Requests for a route the game does not have"),
    handlerErrors: counter("Handlers that threw something other than a GameError"),
    tickErrors: counter("onTick throws"),
    broadcasts: counter("Channel broadcasts"),
    directMessages: counter("Per-player pushes"),
    sessionsMoved: counter("Sessions replaced by a newer session of their uid (resume)"),
    sessionsOrphaned: counter("Sessions closed because their connector left and they did not resume"),
    ticks: counter("Ticks run"),
    overruns: counter("Ticks whose work took longer than one period"),
    realigns: counter("Times the tick timeline was realigned"),
    skippedPeriods: counter("Tick periods dropped by realigns"),
    batchesSent: counterBy("connector", "Tick batches sent per connector"),
    batchesDropped: counterBy("connector", "Tick batches dropped per connector (no link, maxQueuedTicks still waiting, or backpressure)"),
    linkQueuedBytes: gaugeBy("connector", "Bytes queued on each connector's link, not yet taken by the kernel"),
  });
  const tick = new Histogram({
    name: `${prefix}tick_duration_seconds`,
    help: "Work time of one tick",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const batch = new Histogram({
    name: `${prefix}batch_entries`,
    help: "Broadcasts plus per-player entries in one connector's tick batch",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
    registers: [registry],
  });
  return {
    observeTick: (durationMs) => tick.observe(durationMs / 1000),
    observeBatch: (entries) => batch.observe(entries),
  };
}
