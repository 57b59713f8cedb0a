/** Prometheus metrics of every server (docs/observability.md). */
export { createMetricsRegistry, METRIC_PREFIX } from "./registry";
export { counter, counterBy, exportCounters, gauge, gaugeBy, type SeriesSpec } from "./counter-export";
export { serveMetrics } from "./http";
export { MetricsServer } from "./metrics-server";
