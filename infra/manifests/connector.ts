/**
 * The connector tier: a StatefulSet whose pod names (`connector-<N>`) are the connectors' ids and
 * public host labels, its headless Service (one DNS name per pod, for nginx), in load-balancer
 * mode one public LoadBalancer Service in front of every connector, and the private Service of
 * their metrics port.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { FrontDoorConfig, StackConfig } from "../config-schema";
import { fieldEnv, metricsAnnotations, plainEnv, podDisruptionBudget, secretEnv } from "../hardening";
import { NAMES, objectLabels, PORTS, selectorLabels } from "../names";
import type { TierContext } from "./context";
import { networkPolicy, tcp, type Source } from "./network-policy";
import { privateMetricsService, publicLoadBalancer, serverContainer, serverPodSpec } from "./workload";
import { nodeArgsFor } from "../../services/src/cluster-model";

export interface ConnectorManifestArgs extends TierContext {
  connector: StackConfig["connector"];
  frontDoor: FrontDoorConfig;
  allowedOrigins?: string[];
}

const labels = objectLabels("connector");
const selector = selectorLabels("connector");

/** The port players use: explicit, else 443 with TLS and 80 without. */
export function publicPort(frontDoor: FrontDoorConfig): number {
  const tls = frontDoor.mode === "subdomain" ? frontDoor.tls !== undefined : frontDoor.tls;
  return frontDoor.publicPort ?? (tls ? 443 : 80);
}

/** What players dial, published by each connector; the connector puts its ordinal in for `{ordinal}`. */
export function connectorPublicUrl(frontDoor: FrontDoorConfig): string {
  const tls = frontDoor.mode === "subdomain" ? frontDoor.tls !== undefined : frontDoor.tls;
  const port = publicPort(frontDoor);
  const host = frontDoor.mode === "subdomain" ? `connector-{ordinal}.${frontDoor.domain}` : frontDoor.publicHost;
  return `${tls ? "wss" : "ws"}://${host}${port === (tls ? 443 : 80) ? "" : `:${port}`}/`;
}

/** SIGTERM comes after the preStop pause; the drain must finish before the kubelet's SIGKILL. */
export function connectorGracePeriodSec(connector: StackConfig["connector"]): number {
  return connector.preStopSec + connector.drainTimeoutSec + 10;
}

export function buildConnectorStatefulSet(args: ConnectorManifestArgs): k8s.apps.v1.StatefulSetArgs {
  const { connector, frontDoor } = args;
  const container = serverContainer({
    name: "connector",
    image: args.image,
    entryPoint: "services/dist/src/roles/connector-main.js",
    nodeArgs: nodeArgsFor("connector"),
    ports: { http: PORTS.connector, metrics: PORTS.metrics },
    env: [
      // `connector-<N>`: the trailing ordinal is the connector's number, the name its discovery id.
      fieldEnv("SERVER_ID", "metadata.name"),
      fieldEnv("ADVERTISE_HOST", "status.podIP"),
      ...plainEnv({
        HOST: "0.0.0.0",
        PORT: PORTS.connector,
        // /metrics there only: players (nginx, or a public LoadBalancer) reach PORT.
        METRICS_PORT: PORTS.metrics,
        HEARTBEAT_SEC: args.heartbeatSec,
        DRAIN_TIMEOUT_MS: connector.drainTimeoutSec * 1000,
        // Scenario 1: the load balancer picks the connector, so a token must be valid on any of them.
        TOKEN_AUDIENCE: frontDoor.mode === "loadbalancer" ? "any" : "connector",
        PUBLIC_URL: connectorPublicUrl(frontDoor),
        ALLOWED_ORIGINS: args.allowedOrigins?.join(","),
      }),
      secretEnv("TOKEN_SECRETS", NAMES.connectTokenSecret, "secrets"),
      ...args.serverEnv.connector,
    ],
    resources: connector.resources,
    preStopSec: connector.preStopSec,
  });
  return {
    metadata: { name: NAMES.connectorStatefulSet, namespace: args.namespace, labels },
    spec: {
      // Must name the headless Service, or pods get no DNS name and nginx cannot reach them.
      serviceName: NAMES.connectorHeadlessService,
      replicas: connector.replicas,
      // Ordinals are independent connectors: start and stop them all at once.
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations: metricsAnnotations(PORTS.metrics) },
        spec: serverPodSpec(args, container, { terminationGracePeriodSeconds: connectorGracePeriodSec(connector), spreadSelector: selector }),
      },
    },
  };
}

/**
 * Gives every pod `connector-<N>.connectors.<ns>.svc.<domain>`. Not-ready pods stay published so a
 * draining connector's name still resolves while its players move.
 */
export function buildConnectorHeadlessService(args: ConnectorManifestArgs): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: NAMES.connectorHeadlessService, namespace: args.namespace, labels },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector,
      ports: [{ name: "http", port: PORTS.connector, targetPort: "http" }],
    },
  };
}

/** Scenario 1: one public address; the open WebSocket pins the player to the connector it reached. */
export function buildConnectorLoadBalancer(args: ConnectorManifestArgs): k8s.core.v1.ServiceArgs | undefined {
  if (args.frontDoor.mode !== "loadbalancer") return undefined;
  return publicLoadBalancer({
    name: NAMES.connectorLoadBalancer,
    namespace: args.namespace,
    labels,
    annotations: args.frontDoor.serviceAnnotations,
    selector,
    port: { name: "ws", port: publicPort(args.frontDoor), targetPort: "http" },
  });
}

export function buildConnectorMetricsService(args: ConnectorManifestArgs): k8s.core.v1.ServiceArgs {
  return privateMetricsService({ name: NAMES.connectorMetricsService, namespace: args.namespace, labels, selector });
}

export function buildConnectorPodDisruptionBudget(args: ConnectorManifestArgs): k8s.policy.v1.PodDisruptionBudgetArgs {
  return podDisruptionBudget(NAMES.connectorStatefulSet, args.namespace, labels, selector);
}

/** The client port: only nginx in subdomain mode, anyone in load-balancer mode; the metrics port: only the scrapers. */
export function buildConnectorNetworkPolicy(args: ConnectorManifestArgs): k8s.networking.v1.NetworkPolicyArgs {
  const players: Source[] = args.frontDoor.mode === "loadbalancer" ? ["anywhere"] : [{ tiers: ["proxy"] }];
  return networkPolicy({
    name: NAMES.connectorStatefulSet,
    namespace: args.namespace,
    component: "connector",
    podSelector: selector,
    ingress: [
      { ports: [PORTS.connector], from: players },
      { ports: [PORTS.metrics], from: [{ namespaces: args.scrapeNamespaces }] },
    ],
    // Names, Redis, and the game servers' RPC port (connectors dial the game pods).
    egress: [args.egress.dns, args.egress.redis, { ports: tcp(PORTS.gameRpc), to: [{ tiers: ["game"] }] }],
  });
}
