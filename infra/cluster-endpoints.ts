/**
 * Where a cluster answers, derived from its config, pure: the viewer URLs with the scheme the route
 * really serves (ws:// without TLS), the gate's URL, the creator's in-cluster URL, and the DNS records
 * an operator creates once the cloud has assigned the LoadBalancer addresses.
 */
import type { PomonaConfig, ViewerConfig } from "./config-schema";
import { NAMES, PORTS, gameName } from "./names";

export interface DnsRecord {
  readonly name: string;
  /** A for an IPv4 address, CNAME for a load balancer's host name; CNAME while the target is unknown. */
  readonly type: "A" | "CNAME";
  /** The address to point at; undefined until the cloud assigns it, or when it is not this stack's (ingress controller, Gateway). */
  readonly value: string | undefined;
  /** What the record must point at, in words. */
  readonly pointsAt: string;
}

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

function viewerHost(viewer: ViewerConfig): string {
  return viewer.kind === "ingress" ? viewer.host : viewer.hostnames[0]!;
}

function viewerScheme(viewer: ViewerConfig): "ws" | "wss" {
  return (viewer.kind === "ingress" ? viewer.tlsSecretName !== undefined : viewer.tls) ? "wss" : "ws";
}

/** The viewer WebSocket of one game: `wss://<host>/game-<id>`, or ws:// where the route has no TLS. */
export function viewerUrl(viewer: ViewerConfig, id: string): string {
  return `${viewerScheme(viewer)}://${viewerHost(viewer)}/${gameName(id)}`;
}

/** The gate's base URL: its public name, else the LoadBalancer's address; https when the load balancer terminates TLS on 443. */
export function gateUrl(gate: PomonaConfig["gate"], address: string | undefined): string | undefined {
  const host = gate.publicHost ?? address;
  if (host === undefined) return undefined;
  const tls = gate.servicePort === 443;
  return `${tls ? "https" : "http"}://${host}${gate.servicePort === (tls ? 443 : 80) ? "" : `:${gate.servicePort}`}`;
}

/** The creator's API inside the cluster (never public: operators port-forward to it). */
export function creatorUrl(config: PomonaConfig): string {
  return `http://${NAMES.gameCreator}.${config.namespace}.svc.${config.clusterDomain}:${PORTS.gameCreator}`;
}

const record = (name: string, value: string | undefined, pointsAt: string): DnsRecord => ({ name, type: value !== undefined && IPV4.test(value) ? "A" : "CNAME", value, pointsAt });

/** Every name players' clients and browsers resolve, and what it must point at. */
export function dnsRecords(config: PomonaConfig, addresses: { gate?: string | undefined; proxy?: string | undefined; connectors?: string | undefined }): DnsRecord[] {
  const records: DnsRecord[] = [];
  if (config.gate.publicHost !== undefined) records.push(record(config.gate.publicHost, addresses.gate, `the gate's LoadBalancer (Service ${NAMES.gate})`));
  const frontDoor = config.frontDoor;
  if (frontDoor.mode === "subdomain") records.push(record(`*.${frontDoor.domain}`, addresses.proxy, `the subdomain proxy's LoadBalancer (Service ${NAMES.proxy})`));
  else records.push(record(frontDoor.publicHost, addresses.connectors, `the connectors' LoadBalancer (Service ${NAMES.connectorLoadBalancer})`));
  const viewer = config.viewer;
  if (viewer?.kind === "ingress") records.push(record(viewer.host, undefined, `your ingress controller's address (IngressClass ${viewer.className})`));
  if (viewer?.kind === "gateway") {
    const gateways = viewer.parentRefs.map((ref) => `${ref.namespace ?? config.namespace}/${ref.name}`).join(", ");
    for (const host of viewer.hostnames) records.push(record(host, undefined, `the Gateway's address (${gateways})`));
  }
  return records;
}
