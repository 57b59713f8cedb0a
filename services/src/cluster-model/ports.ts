/** The ports the servers listen on and the manifests expose: one table, so no two can disagree. */
export const PORTS = {
  /** WebSocket, /healthz and /readyz: public in load-balancer mode. */
  connector: 3010,
  /** /entry, Pomelo queryEntry, /healthz, /readyz and the demo page: public. */
  gate: 3000,
  /** Gate and connector `/metrics` (METRICS_PORT), off their public ports: only scrapers reach it. */
  metrics: 9100,
  /** Internal RPC; connectors dial the game pod's IP directly. */
  gameRpc: 4100,
  /** /healthz, /readyz, /metrics and the viewer WebSocket `/game-<id>`. */
  gameHttp: 8080,
  gameCreator: 8090,
  /** Per-player workers: POST /turn, GET /healthz. */
  worker: 8000,
  redis: 6379,
  /** nginx runs as non-root, so it listens above 1024; the Service maps 80/443 onto these. */
  proxyHttp: 8080,
  proxyHttps: 8443,
} as const;
