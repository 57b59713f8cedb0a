/**
 * A prometheus-operator ServiceMonitor for every Service labelled `pomona.dev/metrics`. Each of
 * those exposes exactly one of the ports scraped here, so every pod is scraped once, where it
 * serves /metrics: `metrics` (gate and connector METRICS_PORT 9100, off their public ports) or
 * `http` (games 8080, game-creator 8090, whose /metrics sits beside their HTTP API).
 */
import type * as k8s from "@pulumi/kubernetes";
import { LABELS, NAMES } from "../names";

/** Port names the ServiceMonitor scrapes; an endpoint finds no target on a Service without its port. */
const SCRAPED_PORTS = ["metrics", "http"] as const;

export function buildServiceMonitor(namespace: string, extraLabels: Record<string, string>): k8s.apiextensions.CustomResourceArgs {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: NAMES.serviceMonitor, namespace, labels: { [LABELS.partOf]: "pomona", [LABELS.managedBy]: "pulumi", ...extraLabels } },
    spec: {
      selector: { matchLabels: { [LABELS.partOf]: "pomona", [LABELS.metrics]: "true" } },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: SCRAPED_PORTS.map((port) => ({ port, path: "/metrics", interval: "15s" })),
    },
  };
}
