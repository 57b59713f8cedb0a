/**
 * NetworkPolicy builders: each tier lists who may reach it, on which port, and whom it may reach
 * (egress: DNS, Redis, its peers). With the namespace's default-deny policy (ingress and egress),
 * everything not listed is refused. An address block never includes the cloud metadata address.
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

/** Where a pod may connect: pods of some tiers here, pods of another namespace by labels, or address blocks. */
export type Destination = { tiers: Component[] } | { pods: { namespace: string; labels: Record<string, string> } } | { cidrs: string[] };

export interface EgressRule {
  ports: Array<{ port: number; protocol: "TCP" | "UDP" }>;
  to: Destination[];
}

/** The cloud instance-metadata address (credentials of the node on most clouds): excepted from every address block that holds it. */
export const METADATA_ADDRESS = "169.254.169.254";

const ipv4 = (address: string): number => address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);

/** True when `cidr` (IPv4) contains `address`. */
export function cidrContains(cidr: string, address: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4(base) / size) * size;
  return ipv4(address) >= start && ipv4(address) < start + size;
}

function destinations(destination: Destination): Peer[] {
  if ("tiers" in destination) return peers(destination);
  if ("pods" in destination) {
    return [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": destination.pods.namespace } }, podSelector: { matchLabels: destination.pods.labels } }];
  }
  return destination.cidrs.map((cidr) => ({ ipBlock: { cidr, ...(cidrContains(cidr, METADATA_ADDRESS) ? { except: [`${METADATA_ADDRESS}/32`] } : {}) } }));
}

/** DNS (UDP and TCP 53) to the cluster's resolver pods only. */
export function dnsEgress(dns: { namespace: string; podLabels: Record<string, string> }): EgressRule {
  return {
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
    to: [{ pods: { namespace: dns.namespace, labels: dns.podLabels } }],
  };
}

export const tcp = (...ports: number[]): EgressRule["ports"] => ports.map((port) => ({ port, protocol: "TCP" as const }));

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
  /** Whom the pods may connect to; omitted or empty: no connection at all (Redis, player workers). */
  egress?: EgressRule[];
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
  const egress = (options.egress ?? []).map((rule) => ({ ports: rule.ports, to: rule.to.flatMap(destinations) }));
  return {
    metadata: { name: options.name, namespace: options.namespace, labels: selectorLabels(options.component) },
    spec: { podSelector: { matchLabels: options.podSelector }, policyTypes: ["Ingress", "Egress"], ingress, egress },
  };
}
