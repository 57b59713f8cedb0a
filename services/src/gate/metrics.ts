/** The gate's Prometheus series (docs/observability.md), read from its counters at scrape time. */
import type { Registry } from "prom-client";
import { counter, counterBy, exportCounters, gauge, METRIC_PREFIX } from "../metrics";
import type { GateCounters } from "./gate-server";

export function registerGateMetrics(registry: Registry, counters: () => GateCounters): void {
  exportCounters(registry, `${METRIC_PREFIX}gate_`, counters, {
    queries: counterBy("outcome", "Entry queries by outcome (ok, badUid, badQuery, badResume, unauthenticated, authUnavailable, rateLimited, noConnector, resumed)"),
    http: counter("Entry queries over HTTP"),
    ws: counter("Entry queries over Pomelo WebSocket"),
    originRejected: counter("Requests and upgrades refused for their Origin"),
    unknownRoutes: counter("Pomelo requests for a route other than queryEntry"),
    clients: gauge("Open gate WebSockets"),
    connections: counter("Gate WebSockets opened"),
    closes: counterBy("kind", "Gate WebSockets closed by the gate, by reason"),
  });
}
