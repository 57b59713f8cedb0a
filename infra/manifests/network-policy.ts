/**
 * NetworkPolicy builders: each tier lists who may reach it, on which port. With the namespace's
 * default-deny policy, everything not listed is refused.
 */
import type * as k8s from "@pulumi/kubernetes";
import { LABELS, selectorLabels, type Component } from "../names";

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** Who may connect: pods of some tiers of this namespace, pods of other namespaces, or anyone. */
export type Source = { tiers: Component[] } | { namespaces: string[] } | "anywhere";

export interface IngressRule {
  ports: number[];
  from: Source[];
}

function peers(source: Exclude<Source, "anywhere">): Peer[] {
  if ("tiers" in source) {
    return [{ podSelector: { matchLabels: { [LABELS.partOf]: "pomona" }, matchExpressions: [{ key: LABELS.component, operator: "In", values: [...source.tiers] }] } }];
  }
  return source.namespaces.map((namespace) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } }));
}

export interface PolicyOptions {
  name: string;
  namespace: string;
  component: Component;
  podSelector: Record<string, string>;
  ingress: IngressRule[];
  /** true: the pods may open no connection at all (Redis, player workers). */
  denyEgress?: boolean;
}

export function networkPolicy(options: PolicyOptions): k8s.networking.v1.NetworkPolicyArgs {
  const ingress = options.ingress
    .map((rule) => {
      const ports = rule.ports.map((port) => ({ protocol: "TCP", port }));
      if (rule.from.includes("anywhere")) return { ports };
      const from = rule.from.flatMap((source) => (source === "anywhere" ? [] : peers(source)));
      return from.length > 0 ? { ports, from } : undefined;
    })
    .filter((rule) => rule !== undefined);
  return {
    metadata: { name: options.name, namespace: options.namespace, labels: selectorLabels(options.component) },
    spec: {
      podSelector: { matchLabels: options.podSelector },
      policyTypes: options.denyEgress ? ["Ingress", "Egress"] : ["Ingress"],
      ingress,
      ...(options.denyEgress ? { egress: [] } : {}),
    },
  };
}
