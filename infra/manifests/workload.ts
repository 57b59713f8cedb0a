/**
 * The shapes every Pomona server tier shares: the server container, its pod and the surge-first
 * Deployment (the cluster model's, which games use too), a public LoadBalancer Service that keeps the
 * client's address, and the private Service through which the scraper reaches a tier whose own port
 * is public.
 */
import type * as k8s from "@pulumi/kubernetes";
import { LABELS, PORTS } from "../names";

export { serverContainer, serverPodSpec, surgeFirstDeployment, type DeploymentOptions, type ServerContainerOptions } from "../../services/src/cluster-model";

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
