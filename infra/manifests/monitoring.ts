/**
 * A prometheus-operator ServiceMonitor for every Service labelled `pomona.dev/metrics`: each serves
 * /metrics on its port named `http` (connector 3010, gate 3000, games 8080, game-creator 8090).
 */
import type * as k8s from "@pulumi/kubernetes";
import { LABELS, NAMES } from "../names";

export function buildServiceMonitor(namespace: string, extraLabels: Record<string, string>): k8s.apiextensions.CustomResourceArgs {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: NAMES.serviceMonitor, namespace, labels: { [LABELS.partOf]: "pomona", [LABELS.managedBy]: "pulumi", ...extraLabels } },
    spec: {
      selector: { matchLabels: { [LABELS.partOf]: "pomona", [LABELS.metrics]: "true" } },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
    },
  };
}
