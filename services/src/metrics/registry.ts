/**
 * One Prometheus registry per server process: labelled with its role and id, with Node's default
 * metrics (CPU, memory, GC, event-loop delay). Roles add their own series (connector-metrics.ts …).
 */
import { collectDefaultMetrics, Registry } from "./prom-client";

export const METRIC_PREFIX = "pomona_";

export function createMetricsRegistry(role: string, serverId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role, server: serverId });
  // Event-loop delay sampled every 10 ms: the one number that says a server is falling behind.
  collectDefaultMetrics(registry, METRIC_PREFIX, 10);
  return registry;
}
