/**
 * The literal names, ports and labels the cluster's DNS and the servers' contracts depend on. One
 * place, so the StatefulSet, its headless Service, the nginx map, the gate and the game-creator can
 * never disagree (Pulumi auto-naming would append a suffix: pulumi-kubernetes #1995).
 */

export const NAMES = {
  /** Pods are `connector-<N>`: the pod name is the connector's SERVER_ID and its public host label. */
  connectorStatefulSet: "connector",
  /** Governs the StatefulSet: `connector-<N>.connectors.<ns>.svc.<clusterDomain>` is what nginx proxies to. */
  connectorHeadlessService: "connectors",
  /** Scenario 1 only: one public address in front of every connector. */
  connectorLoadBalancer: "connector-public",
  /** Private Service of the connectors' metrics port, for the ServiceMonitor (never public). */
  connectorMetricsService: "connector-metrics",
  gate: "gate",
  /** Private Service of the gates' metrics port: the gate's own Service is a public LoadBalancer. */
  gateMetricsService: "gate-metrics",
  /** The gate's auth secrets (HS256 secrets, the studio webhook's secret), when its mode has any. */
  gateAuthSecret: "gate-auth",
  redis: "redis",
  /** The `default` (operator) password and the users config Redis includes: mounted in the Redis pod only. */
  redisAuthSecret: "redis-auth",
  redisConfig: "redis-config",
  proxy: "subdomain-proxy",
  proxyConfig: "subdomain-proxy-nginx",
  connectTokenSecret: "connect-tokens",
  gamesRoute: "games",
  gameCreator: "game-creator",
  gameCreatorSecret: "game-creator-token",
  serviceMonitor: "pomona",
  /** Ingress and egress: a pod no tier policy lists reaches nothing and is reached by nothing. */
  defaultDenyPolicy: "default-deny",
} as const;

/** One Secret per Redis role (`redis-auth-gate`, …) holding that role's ACL password: each tier references only its own. */
export const redisRoleSecret = (role: string): string => `redis-auth-${role}`;

/** Resource names of one game: Deployment and Service `game-<id>`, viewer path `/game-<id>`. */
export const gameName = (id: string): string => `game-${id}`;

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
  /** Per-player workers: POST /turn, GET /healthz (issue 6). */
  worker: 8000,
  redis: 6379,
  /** nginx runs as non-root, so it listens above 1024; the Service maps 80/443 onto these. */
  proxyHttp: 8080,
  proxyHttps: 8443,
} as const;

/** Numeric uids, so `runAsNonRoot` can be verified by the kubelet without reading /etc/passwd. */
export const UIDS = {
  /** `USER 10001` in services/Dockerfile. */
  services: 10001,
  /** The `nginx` user of nginxinc/nginx-unprivileged. */
  nginx: 101,
  /** The `redis` user of the official redis image. */
  redis: 999,
} as const;

export const LABELS = {
  partOf: "app.kubernetes.io/part-of",
  component: "app.kubernetes.io/component",
  managedBy: "app.kubernetes.io/managed-by",
  game: "pomona.dev/game",
  /**
   * On the Services the ServiceMonitor scrapes: each exposes exactly one of the ports it scrapes,
   * `metrics` (gate, connectors) or `http` (games, game-creator: /metrics beside their HTTP API).
   */
  metrics: "pomona.dev/metrics",
  /** On the Namespace: pomona:environment. The policy pack allows trust-uid only where it is `development`. */
  environment: "pomona.dev/environment",
} as const;

export type Component = "connector" | "gate" | "game" | "game-creator" | "redis" | "proxy" | "worker";

/** The labels that select a tier's pods (immutable in a Deployment/StatefulSet selector: keep them few). */
export function selectorLabels(component: Component, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABELS.partOf]: "pomona", [LABELS.component]: component, ...extra };
}

/** Labels on every object (selector labels plus who manages it). */
export function objectLabels(component: Component, extra: Record<string, string> = {}): Record<string, string> {
  return { ...selectorLabels(component, extra), [LABELS.managedBy]: "pulumi" };
}

/** The labels a game-creator must put on a game's pods so the NetworkPolicies cover them (issue 6). */
export const gamePodLabels = (id: string): Record<string, string> => selectorLabels("game", { [LABELS.game]: id });

/** The labels of per-player worker pods created at runtime (issue 6); the worker NetworkPolicy selects these. */
export const WORKER_POD_LABELS = selectorLabels("worker");
