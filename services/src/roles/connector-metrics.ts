/**
 * A connector's Prometheus series (docs/observability.md): its counters, the router's and the uid
 * directory's, discovery's, read at scrape time; and three histograms fed as things happen —
 * request latency by route, backend call latency by server, fan-out time per batch.
 */
import { Histogram, type Registry } from "../metrics/prom-client";
import type { ConnectorCounters } from "../connector";
import type { ConnectorObserver } from "../connector/connector";
import type { DiscoveryStats } from "../discovery";
import { counter, counterBy, exportCounters, gauge, METRIC_PREFIX } from "../metrics";
import type { StickyRouterStats } from "../routing/sticky-router";

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ConnectorMetricSources {
  readonly counters: () => ConnectorCounters;
  readonly router: () => StickyRouterStats;
  readonly uids: () => Record<string, number>;
  readonly discovery: () => DiscoveryStats;
  /** Routes worth a label of their own (the route dictionary); others are counted as "other", so clients cannot blow up cardinality. */
  readonly knownRoute: (route: string) => boolean;
}

export interface ConnectorMetrics {
  readonly observer: ConnectorObserver;
  readonly observeCall: (serverId: string, durationMs: number, outcome: string) => void;
}

export function registerConnectorMetrics(registry: Registry, sources: ConnectorMetricSources): ConnectorMetrics {
  const prefix = `${METRIC_PREFIX}connector_`;
  exportCounters(registry, prefix, sources.counters, {
    clients: gauge("Open client WebSockets"),
    sessions: gauge("Sessions on this connector"),
    handshakes: counter("Completed Pomelo handshakes"),
    messagesIn: counter("WebSocket messages received from clients"),
    messagesOut: counter("Direct WebSocket messages sent to clients"),
    packagesIn: counter("Pomelo packages received"),
    requests: counter("Client requests"),
    notifies: counter("Client notifies"),
    responsesDropped: counter("Answers that found their client gone"),
    closes: counterBy("kind", "Client connections closed, by reason"),
    backpressureCloses: counter("Clients dropped because they stopped reading"),
    batchesApplied: counter("Tick batches fanned out"),
    batchesSuperseded: counter("Tick batches whose messages a newer batch of the same game server superseded while they waited"),
    broadcasts: counter("Topic publishes from tick batches"),
    fanoutMessages: counter("Messages written to sockets by tick batches"),
    unknownSessionsSkipped: counter("Batch entries for sessions not on this connector"),
    upgradesRejected: counterBy("reason", "Upgrades refused before a socket existed (token, Origin)"),
    upgradesAuthenticated: counter("Upgrades with a valid connect token"),
    protobufClients: counter("Handshakes that asked for protobuf bodies"),
    protobufEncodeFailures: counter("Responses and pushes that did not fit their route's protobuf message (dropped or sent empty)"),
  });
  exportCounters(registry, `${prefix}routing_`, sources.router, {
    bindings: counter("Sessions bound to a backend server"),
    rebinds: counter("Sessions moved to another server after theirs died"),
    ended: counter("Sessions ended because their server died (policy end)"),
    restored: counter("Bindings restored by resume"),
    restoreStale: counter("Saved bindings whose server had gone by the resume"),
    failures: counterBy("code", "Backend failures answered to clients, by code"),
  });
  exportCounters(registry, `${prefix}uid_`, sources.uids, {
    claims: counter("uid claims in Redis"),
    displaced: counter("Sessions displaced by a login elsewhere"),
    kicksReceived: counter("Kick orders received from other connectors"),
    degraded: counter("Logins that went ahead without Redis"),
  });
  exportCounters(registry, `${METRIC_PREFIX}discovery_`, sources.discovery, {
    members: gauge("Servers in this process's discovery view"),
    redisErrors: counter("Redis errors seen by discovery"),
    resyncs: counter("Full resyncs of the view"),
    resyncFailures: counter("Resyncs that failed (Redis down)"),
    wipesDetected: counter("Times Redis had lost the registry"),
  });

  const requests = new Histogram({
    name: `${prefix}request_duration_seconds`,
    help: "Client request to answer, for requests forwarded to a backend",
    labelNames: ["route", "outcome"],
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  const calls = new Histogram({
    name: `${METRIC_PREFIX}rpc_call_duration_seconds`,
    help: "Backend RPC call latency by server and outcome",
    labelNames: ["peer", "outcome"],
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  const fanout = new Histogram({
    name: `${prefix}fanout_duration_seconds`,
    help: "Time to apply one tick batch (publishes and direct sends)",
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  return {
    observer: {
      request: (route, durationMs, outcome) => requests.observe({ route: sources.knownRoute(route) ? route : "other", outcome }, durationMs / 1000),
      fanout: (durationMs) => fanout.observe(durationMs / 1000),
    },
    observeCall: (serverId, durationMs, outcome) => calls.observe({ peer: serverId, outcome }, durationMs / 1000),
  };
}
