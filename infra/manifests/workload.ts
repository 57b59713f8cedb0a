/**
 * The shapes every Pomona server tier shares: a Node server container from the services image
 * (restricted, probed on its `http` port, preStop pause, writable /tmp only), its pod, a
 * surge-first Deployment, a public LoadBalancer Service that keeps the client's address, and the
 * private Service through which the scraper reaches a tier whose own port is public.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../config-schema";
import { containerSecurityContext, httpProbes, podSpec, preStopSleep, resources, type EnvVar, type PodOptions } from "../hardening";
import { LABELS, PORTS, UIDS } from "../names";
import type { TierContext } from "./context";

export interface ServerContainerOptions {
  name: string;
  image: pulumi.Input<string>;
  /** Under /app: `services/dist/...js`. */
  entryPoint: string;
  /** Named ports; `http` serves /healthz and /readyz, and /metrics unless a `metrics` port does. */
  ports: Record<string, number>;
  env: EnvVar[];
  resources: Resources;
  preStopSec: number;
}

export function serverContainer(options: ServerContainerOptions): k8s.types.input.core.v1.Container {
  return {
    name: options.name,
    image: options.image,
    command: ["node", options.entryPoint],
    ports: Object.entries(options.ports).map(([name, containerPort]) => ({ name, containerPort })),
    env: options.env,
    securityContext: containerSecurityContext(UIDS.services),
    resources: resources(options.resources),
    ...httpProbes({ port: "http" }),
    lifecycle: preStopSleep(options.preStopSec),
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
  };
}

/** The pod of a server tier: one server container, an emptyDir /tmp, the stack's pull secret. */
export function serverPodSpec(
  context: Pick<TierContext, "imagePullSecret">,
  container: k8s.types.input.core.v1.Container,
  options: Omit<PodOptions, "uid" | "containers" | "volumes" | "imagePullSecret">,
): k8s.types.input.core.v1.PodSpec {
  return podSpec({
    ...options,
    uid: UIDS.services,
    ...(context.imagePullSecret ? { imagePullSecret: context.imagePullSecret } : {}),
    containers: [container],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
  });
}

export interface DeploymentOptions {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  replicas: number;
  pod: k8s.types.input.core.v1.PodSpec;
  podAnnotations: Record<string, string>;
}

/** A new pod is ready before an old one goes (maxUnavailable 0, maxSurge 1). */
export function surgeFirstDeployment(options: DeploymentOptions): k8s.apps.v1.DeploymentArgs {
  return {
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: options.selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: { metadata: { labels: options.labels, annotations: options.podAnnotations }, spec: options.pod },
    },
  };
}

export interface LoadBalancerOptions {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  selector: Record<string, string>;
  port: { name: string; port: number; targetPort: string };
}

/** Public entry point; `externalTrafficPolicy: Local` keeps the player's address (per-IP limits, logs). */
export function publicLoadBalancer(options: LoadBalancerOptions): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels, annotations: options.annotations },
    spec: { type: "LoadBalancer", externalTrafficPolicy: "Local", selector: options.selector, ports: [options.port] },
  };
}

export interface MetricsServiceOptions {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
}

/**
 * The ServiceMonitor's way to the pods' `metrics` port (METRICS_PORT), apart from their public
 * Service. Headless: Prometheus scrapes every pod; nothing needs a virtual IP.
 */
export function privateMetricsService(options: MetricsServiceOptions): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: options.name, namespace: options.namespace, labels: { ...options.labels, [LABELS.metrics]: "true" } },
    spec: { clusterIP: "None", selector: options.selector, ports: [{ name: "metrics", port: PORTS.metrics, targetPort: "metrics" }] },
  };
}
