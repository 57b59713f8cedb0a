/**
 * Scenario 2's nginx: `connector-<N>.<domain>` → pod N of the connector StatefulSet. Its nginx.conf
 * is the output of the same `renderNginxConfig` the local cluster uses, fed a cluster-mode topology.
 *
 * Image: nginxinc/nginx-unprivileged. Its files belong to uid 101 and its nginx needs no root or
 * capability (it never binds below 1024), so runAsNonRoot with that uid matches the image as built;
 * the official nginx image expects to start as root and drop to `nginx`.
 */
import { createHash } from "node:crypto";
import type * as k8s from "@pulumi/kubernetes";
import { kubeDnsResolver, renderNginxConfig, type NginxTopologyInput } from "../../services/src/proxy";
import type { StackConfig } from "../config-schema";
import { containerSecurityContext, httpProbes, podDisruptionBudget, podSpec, resources } from "../hardening";
import { NAMES, objectLabels, PORTS, selectorLabels, UIDS } from "../names";
import { publicPort } from "./connector";
import type { TierContext } from "./context";
import { networkPolicy, tcp } from "./network-policy";
import { publicLoadBalancer, surgeFirstDeployment } from "./workload";

type Subdomain = Extract<StackConfig["frontDoor"], { mode: "subdomain" }>;

export interface ProxyManifestArgs extends Omit<TierContext, "image" | "serverEnv"> {
  frontDoor: Subdomain;
  proxy: StackConfig["proxy"];
  connectorReplicas: number;
  clusterDomain: string;
}

const labels = objectLabels("proxy");
const selector = selectorLabels("proxy");
/** nginx's `-p` prefix: an emptyDir holding the pid file and the temp directories (root FS stays read-only). */
const PREFIX = "/tmp/";
const CONF_DIR = "/etc/pomona/nginx";
const TLS_DIR = "/etc/pomona/tls";
export const NGINX_CONF_KEY = "nginx.conf";
const NGINX_ARGS = ["-e", "stderr", "-p", PREFIX, "-c", `${CONF_DIR}/${NGINX_CONF_KEY}`];

/** The Secret holding the wildcard certificate: the configured one, or the one cert-manager writes. */
export function proxyTlsSecretName(frontDoor: Subdomain): string | undefined {
  if (frontDoor.tls === undefined) return undefined;
  return frontDoor.tls.secretName ?? `${NAMES.proxy}-tls`;
}

/** The topology handed to the shared generator: the StatefulSet and headless Service names are literals. */
export function proxyTopology(args: ProxyManifestArgs): NginxTopologyInput {
  const tls = args.frontDoor.tls !== undefined;
  return {
    mode: "cluster",
    domain: args.frontDoor.domain,
    connectors: args.connectorReplicas,
    listenPort: tls ? PORTS.proxyHttps : PORTS.proxyHttp,
    heartbeatSec: args.heartbeatSec,
    headlessService: NAMES.connectorHeadlessService,
    namespace: args.namespace,
    statefulSetName: NAMES.connectorStatefulSet,
    clusterDomain: args.clusterDomain,
    connectorPort: PORTS.connector,
    resolvers: args.proxy.resolvers ?? [kubeDnsResolver(args.clusterDomain)],
    ...(args.proxy.maxConnectionsPerIp ? { maxConnectionsPerIp: args.proxy.maxConnectionsPerIp } : {}),
    ...(args.proxy.workerConnections ? { workerConnections: args.proxy.workerConnections } : {}),
    ...(tls ? { tls: { certificatePath: `${TLS_DIR}/tls.crt`, keyPath: `${TLS_DIR}/tls.key` } } : {}),
  };
}

export function buildProxyConfigMap(args: ProxyManifestArgs): k8s.core.v1.ConfigMapArgs {
  return {
    metadata: { name: NAMES.proxyConfig, namespace: args.namespace, labels },
    data: { [NGINX_CONF_KEY]: renderNginxConfig(proxyTopology(args)) },
  };
}

export function buildProxyDeployment(args: ProxyManifestArgs, nginxConf: string): k8s.apps.v1.DeploymentArgs {
  const tlsSecret = proxyTlsSecretName(args.frontDoor);
  const port = tlsSecret ? PORTS.proxyHttps : PORTS.proxyHttp;
  const { preStopSec, drainSec } = args.proxy;
  // Graceful quit keeps serving open WebSockets until they close or the grace period ends.
  const quit = `sleep ${preStopSec}; nginx -s quit ${NGINX_ARGS.join(" ")}; while [ -e ${PREFIX}nginx.pid ]; do sleep 1; done`;
  return surgeFirstDeployment({
    name: NAMES.proxy,
    namespace: args.namespace,
    labels,
    selector,
    replicas: args.proxy.replicas,
    // A changed map (connector replicas) rolls the proxy: old pods finish their sockets first.
    podAnnotations: { "pomona.dev/nginx-conf-sha256": createHash("sha256").update(nginxConf).digest("hex") },
    pod: podSpec({
      uid: UIDS.nginx,
      terminationGracePeriodSeconds: preStopSec + drainSec + 5,
      spreadSelector: selector,
      containers: [
        {
          name: "nginx",
          image: args.proxy.image,
          command: ["nginx"],
          args: NGINX_ARGS,
          ports: [{ name: "ws", containerPort: port }],
          securityContext: containerSecurityContext(UIDS.nginx),
          resources: resources(args.proxy.resources),
          // The generator's `location = /healthz` is answered by nginx itself, for any Host.
          ...httpProbes({ port: "ws", scheme: tlsSecret ? "HTTPS" : "HTTP", readinessPath: "/healthz", startupSeconds: 20 }),
          lifecycle: { preStop: { exec: { command: ["/bin/sh", "-c", quit] } } },
          volumeMounts: [
            { name: "conf", mountPath: CONF_DIR, readOnly: true },
            { name: "prefix", mountPath: PREFIX },
            ...(tlsSecret ? [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] : []),
          ],
        },
      ],
      volumes: [
        { name: "conf", configMap: { name: NAMES.proxyConfig } },
        { name: "prefix", emptyDir: { sizeLimit: "256Mi" } },
        ...(tlsSecret ? [{ name: "tls", secret: { secretName: tlsSecret } }] : []),
      ],
    }),
  });
}

/** The address wildcard DNS `*.<domain>` points at. */
export function buildProxyService(args: ProxyManifestArgs): k8s.core.v1.ServiceArgs {
  return publicLoadBalancer({
    name: NAMES.proxy,
    namespace: args.namespace,
    labels,
    annotations: args.frontDoor.serviceAnnotations,
    selector,
    port: { name: "ws", port: publicPort(args.frontDoor), targetPort: "ws" },
  });
}

/** cert-manager issues the wildcard certificate the proxy mounts (DNS-01: wildcards need it). */
export function buildProxyCertificate(args: ProxyManifestArgs): k8s.apiextensions.CustomResourceArgs | undefined {
  const certManager = args.frontDoor.tls?.certManager;
  if (certManager === undefined) return undefined;
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: NAMES.proxy, namespace: args.namespace, labels },
    spec: {
      secretName: proxyTlsSecretName(args.frontDoor),
      dnsNames: [`*.${args.frontDoor.domain}`],
      issuerRef: { name: certManager.issuer, kind: certManager.kind, group: "cert-manager.io" },
    },
  };
}

export function buildProxyPodDisruptionBudget(args: ProxyManifestArgs): k8s.policy.v1.PodDisruptionBudgetArgs {
  return podDisruptionBudget(NAMES.proxy, args.namespace, labels, selector);
}

/** Public: players reach nginx from anywhere. */
export function buildProxyNetworkPolicy(args: ProxyManifestArgs): k8s.networking.v1.NetworkPolicyArgs {
  const port = args.frontDoor.tls ? PORTS.proxyHttps : PORTS.proxyHttp;
  return networkPolicy({
    name: NAMES.proxy,
    namespace: args.namespace,
    component: "proxy",
    podSelector: selector,
    ingress: [{ ports: [port], from: ["anywhere"] }],
    // Names (its resolver finds connector-N by DNS) and the connectors' WebSocket port only.
    egress: [args.egress.dns, { ports: tcp(PORTS.connector), to: [{ tiers: ["connector"] }] }],
  });
}
