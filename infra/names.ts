/**
 * The literal names of the stack's own objects the cluster's DNS and the servers' contracts depend on.
 * One place, so the StatefulSet, its headless Service, the nginx map and the gate can never disagree
 * (Pulumi auto-naming would append a suffix: pulumi-kubernetes #1995).
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

/**
 * What the stack shares with the game-creator — labels, ports, uids, game names — lives in the cluster
 * model (services/src/cluster-model); the infra modules import it from here with the names above.
 */
export { gameName, gamePodLabels, LABELS, objectLabels, PORTS, selectorLabels, UIDS, WORKER_POD_LABELS, type Component } from "../services/src/cluster-model";
