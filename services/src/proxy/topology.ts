/**
 * The validated description of the subdomain proxy that `renderNginxConfig` turns into nginx.conf:
 * which connectors exist, where each one listens, and the limits in front of them. Every string that
 * ends up in nginx.conf is checked here, so no input can inject a directive.
 */
import { z } from "zod";
import { parseConfig } from "../config/validate";

/** Public hosts are `connector-<i>.<domain>`; the gate hands out the same names. */
export const CONNECTOR_HOST_PREFIX = "connector-";
export const MAX_CONNECTORS = 1000;

const DNS_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
const DNS_1123_LABEL = new RegExp(`^${DNS_LABEL}$`);
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_BRACKETED = /^\[[0-9a-fA-F:.]+\]$/;
/** Characters nginx reads as one bare token: no whitespace, quotes, `;`, braces, `$`, `#` or backslash. */
const CONF_PATH = /^[A-Za-z0-9_./@+:=,-]+$/;

const PATH_FIX = "must be a file path without spaces, quotes or any of ; { } $ # \\ (relative paths are under nginx's -p prefix)";

const port = z.number().int().min(1).max(65535);
const dnsLabel = (what: string) => z.string().max(63).regex(DNS_1123_LABEL, `must be a lowercase DNS-1123 label (${what}), like "pomona-connectors"`);
const confPath = z.string().min(1).max(4096).regex(CONF_PATH, PATH_FIX);

/** At most 230 characters, so `connector-999.<domain>` stays within DNS's 253. */
const domain = z
  .string()
  .max(230)
  .regex(
    DNS_NAME,
    'must be a lowercase DNS name such as "play.example.com" or "localhost": letters a-z, digits, "-" and dots only; no wildcard, no uppercase, no trailing dot (the proxy adds "connector-N." itself)',
  );

/** `127.0.0.1`, `[::1]` or a DNS name, each with an optional `:port`. */
const resolverAddress = z.string().refine(
  (value) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(value);
    if (match === null) return false;
    const [, host = "", portText] = match;
    if (portText !== undefined && (Number(portText) < 1 || Number(portText) > 65535)) return false;
    return IPV6_BRACKETED.test(host) || IPV4.test(host) || DNS_NAME.test(host);
  },
  { message: 'must be an IP address ("10.96.0.10", "[fd00::a]") or a lowercase DNS name, with an optional ":port"' },
);

const tlsSchema = z
  .object({
    /** PEM certificate chain (a wildcard certificate for `*.<domain>`). */
    certificatePath: confPath,
    /** PEM private key of the certificate. */
    keyPath: confPath,
  })
  .strict();

const pathsSchema = z
  .object({
    /** Master process id; `nginx -s reload -p <prefix> -c <conf>` reads it. */
    pid: confPath.default("nginx.pid"),
    /** `stderr` (the default: the supervisor collects it) or a file. */
    errorLog: confPath.default("stderr"),
    errorLogLevel: z.enum(["debug", "info", "notice", "warn", "error", "crit"]).default("warn"),
    /** `off` (the default) or a file such as `/dev/stdout`. */
    accessLog: confPath.default("off"),
    /** Holds the five http temp directories (`<tempDir>/proxy_temp`, …), so nothing outside it is written. nginx creates only the last level: this directory must exist; the default is the prefix itself. */
    tempDir: confPath.default("."),
  })
  .strict();

const commonFields = {
  /** Public parent domain: connector i is reached as `connector-<i>.<domain>`. */
  domain,
  /** Connector replicas (StatefulSet replicas in a cluster); one map entry each. */
  connectors: z.number().int().min(1, "must be at least 1 (one map entry per connector)").max(MAX_CONNECTORS),
  /** The port players connect to. */
  listenPort: port,
  /** Address to bind; cluster default: every IPv4 interface, local default: 127.0.0.1. */
  listenAddress: z
    .string()
    .refine((value) => IPV4.test(value) || IPV6_BRACKETED.test(value), { message: 'must be an IPv4 address or a bracketed IPv6 address ("[::1]")' })
    .optional(),
  /** The connectors' `heartbeatSec`; idle WebSockets carry a heartbeat at least this often. */
  heartbeatSec: z.number().int().min(1).max(300).default(10),
  /** proxy_read_timeout / proxy_send_timeout / send_timeout; must exceed 2 × heartbeatSec. Default 3 × heartbeatSec. */
  proxyTimeoutSec: z.number().int().min(1).max(3600).optional(),
  /** TCP connect to a connector. */
  proxyConnectTimeoutSec: z.number().int().min(1).max(60).default(5),
  /** TLS on the listen port; omitted: plain ws://. */
  tls: tlsSchema.optional(),
  /** Concurrent connections from one client address (limit_conn); more get 429. */
  maxConnectionsPerIp: z.number().int().min(1).max(1_000_000).default(512),
  /** Slowloris guards: time to send the request headers / body, and idle HTTP keep-alive. */
  clientHeaderTimeoutSec: z.number().int().min(1).max(300).default(10),
  clientBodyTimeoutSec: z.number().int().min(1).max(300).default(10),
  keepaliveTimeoutSec: z.number().int().min(0).max(300).default(15),
  /** Size of each of the 4 large header buffers (request line and one header must fit). */
  largeClientHeaderBufferKiB: z.number().int().min(1).max(64).default(8),
  workerProcesses: z.union([z.literal("auto"), z.number().int().min(1).max(256)]).default("auto"),
  /** Per worker; every proxied WebSocket uses two (client side and connector side). */
  workerConnections: z.number().int().min(64).max(1_000_000).default(4096),
  paths: pathsSchema.default({ pid: "nginx.pid", errorLog: "stderr", errorLogLevel: "warn", accessLog: "off", tempDir: "." }),
  /** A file of `/game-<id>` viewer locations (renderGameRoutes) included in the server block, so adding a game rewrites only it and reloads; absent: no include. */
  gameRoutesInclude: confPath.optional(),
};

function timeoutAboveHeartbeat(value: { heartbeatSec: number; proxyTimeoutSec?: number | undefined }, ctx: z.RefinementCtx): void {
  if (value.proxyTimeoutSec !== undefined && value.proxyTimeoutSec <= 2 * value.heartbeatSec) {
    ctx.addIssue({
      code: "custom",
      path: ["proxyTimeoutSec"],
      message: `must be above 2 × heartbeatSec (${2 * value.heartbeatSec} s), or nginx cuts healthy idle players; raise it or omit it for 3 × heartbeatSec`,
    });
  }
}

/** The cluster's own DNS Service (kube-dns, also CoreDNS's Service name) in the cluster's DNS domain. */
export const kubeDnsResolver = (clusterDomain: string): string => `kube-dns.kube-system.svc.${clusterDomain}`;

const clusterTopologySchema = z
  .object({
    mode: z.literal("cluster"),
    ...commonFields,
    /** The connector StatefulSet's headless Service (`serviceName`), which gives each pod a DNS name. */
    headlessService: dnsLabel("the headless Service name"),
    namespace: dnsLabel("the Kubernetes namespace"),
    /** Pods are `<statefulSetName>-<i>`. */
    statefulSetName: dnsLabel("the StatefulSet name").default("connector"),
    clusterDomain: domain.default("cluster.local"),
    /** The connectors' WebSocket port. */
    connectorPort: port,
    /** DNS servers nginx asks for pod addresses at request time (pods change IP when they restart). */
    resolvers: z.array(resolverAddress).min(1, "needs at least one DNS server").default([kubeDnsResolver("cluster.local")]),
    /** How long nginx caches a pod's address, overriding the record's TTL. */
    resolverValidSec: z.number().int().min(1).max(3600).default(10),
    resolverTimeoutSec: z.number().int().min(1).max(60).default(5),
    /** Also look up AAAA records (dual-stack clusters). */
    resolverIpv6: z.boolean().default(false),
  })
  .strict()
  .superRefine(timeoutAboveHeartbeat);

const localTopologySchema = z
  .object({
    mode: z.literal("local"),
    ...commonFields,
    /** Where connector i listens on this machine: `connectorPorts[i]`. */
    connectorPorts: z.array(port).min(1),
    connectorHost: z
      .string()
      .refine((value) => IPV4.test(value), { message: 'must be an IPv4 address such as "127.0.0.1"' })
      .default("127.0.0.1"),
  })
  .strict()
  .superRefine((value, ctx) => {
    timeoutAboveHeartbeat(value, ctx);
    if (value.connectorPorts.length !== value.connectors) {
      ctx.addIssue({
        code: "custom",
        path: ["connectorPorts"],
        message: `has ${value.connectorPorts.length} ports but connectors is ${value.connectors}; give exactly one port per connector`,
      });
    }
  });

export const nginxTopologySchema = z.discriminatedUnion("mode", [clusterTopologySchema, localTopologySchema], {
  error: 'must be "cluster" (Kubernetes pod DNS names) or "local" (loopback ports)',
});

export type NginxTopologyInput = z.input<typeof nginxTopologySchema>;
export type NginxTopology = z.output<typeof nginxTopologySchema>;
export type ClusterTopology = z.output<typeof clusterTopologySchema>;
export type LocalTopology = z.output<typeof localTopologySchema>;

/** Validates a topology; a bad one throws ConfigError naming each key and its fix. */
export function parseNginxTopology(input: unknown): NginxTopology {
  return parseConfig("nginx", nginxTopologySchema, input);
}
