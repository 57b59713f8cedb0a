/**
 * The gate's one validated config object (docs/gate.md). Every duration carries its unit in its name.
 */
import { z } from "zod";
import { MAX_CONNECT_TOKEN_TTL_MS, MIN_TOKEN_SECRET_BYTES } from "../auth";
import { allowedOriginsSchema, checkOriginPolicy } from "../auth/origin-policy";
import { playerAuthSchema } from "../auth/identity";
import { parseConfig } from "../config/validate";
import { checkIdleTimeout } from "../config/websocket-timeouts";

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const hostname = (what: string) => z.string().regex(HOSTNAME, `must be a DNS name or IPv4 address (${what}), no scheme, port or path`);
const port = z.number().int().min(1).max(65535);

/**
 * Scenario 1: every client is sent to one public address (the LoadBalancer in front of all
 * connectors). The token still names the connector the gate chose; see docs/gate.md.
 */
const loadBalancerSchema = z
  .object({
    mode: z.literal("loadbalancer"),
    publicHost: hostname("the load balancer's public name"),
    /** Default 443 with tls, 80 without. */
    publicPort: port.optional(),
    tls: z.boolean().default(false),
  })
  .strict();

/** Scenario 2: `connector-N.<domain>` through the nginx subdomain proxy (wildcard DNS). */
const subdomainSchema = z
  .object({
    mode: z.literal("subdomain"),
    domain: hostname("the wildcard domain, e.g. play.example.com"),
    /** Default 443 with tls, 80 without. */
    publicPort: port.optional(),
    tls: z.boolean().default(false),
    /** Host label before the ordinal: `connector-` gives `connector-3.<domain>` (the nginx map's names). */
    hostPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, "lowercase letters, digits and '-'").default("connector-"),
  })
  .strict();

/** No proxy (local development, tests): the connector's own discovery host and port. */
const directSchema = z
  .object({
    mode: z.literal("direct"),
    tls: z.boolean().default(false),
  })
  .strict();

export const frontDoorSchema = z.discriminatedUnion("mode", [loadBalancerSchema, subdomainSchema, directSchema]);

export const gateConfigSchema = z
  .object({
    /** This gate's server id (registered in discovery as type `gate`). */
    gateId: z.string().min(1).max(128).default("gate-0"),
    host: z.string().min(1).default("0.0.0.0"),
    /** 0 picks a free port (tests); `listen()` resolves with the bound one. */
    port: z.number().int().min(0).max(65535),
    /** Discovery type of the servers handed out. */
    connectorType: z.string().min(1).max(64).default("connector"),
    frontDoor: frontDoorSchema,
    /** HMAC secrets shared with the connectors, each ≥ 32 bytes; the first signs. */
    tokenSecrets: z
      .array(
        z.string().refine((secret) => Buffer.byteLength(secret, "utf8") >= MIN_TOKEN_SECRET_BYTES, {
          message: `must be at least ${MIN_TOKEN_SECRET_BYTES} bytes (generate one with \`openssl rand -base64 48\`)`,
        }),
      )
      .min(1, "must list at least one secret (the gate signs every connect token)")
      .max(8, "at most 8 secrets (the current one and those being rotated out)"),
    /** Who a player is: jwt, webhook, anonymous, or trust-uid (development only). docs/gate.md#player-identity. */
    auth: playerAuthSchema,
    /** Entry queries (`/entry` and queryEntry) per client address: `burst` at once, `perSec` after that (429 past it). */
    rateLimit: z
      .object({
        perSec: z.number().positive().max(100_000).default(5),
        burst: z.number().int().min(1).max(1_000_000).default(20),
        /** Addresses remembered at once (least recently seen forgotten first): bounds the limiter's memory. */
        maxAddresses: z.number().int().min(1).max(10_000_000).default(100_000),
      })
      .strict()
      .default({ perSec: 5, burst: 20, maxAddresses: 100_000 }),
    /** Lifetime of a connect token: long enough to connect, short enough that a leaked one is soon useless. */
    tokenTtlMs: z.number().int().min(1_000).max(MAX_CONNECT_TOKEN_TTL_MS).default(60_000),
    /** Exact origins a browser may use the gate from; absent = any origin. */
    allowedOrigins: allowedOriginsSchema,
    /** With an allowlist: whether a client that sends no Origin (native clients, bots) may use the gate. */
    allowMissingOrigin: z.boolean().default(true),
    /** Sent as `sys.heartbeat`; a WebSocket client silent for 2× this is closed. Whole seconds. */
    heartbeatSec: z.number().int().min(1).max(300).default(10),
    /** Handshake and ack must both arrive within this after the socket opens. */
    handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** uWS idle timeout, a backstop behind heartbeats; 0 or ≥ 8 and > 2 × heartbeatSec. */
    idleTimeoutSec: z.number().int().min(0).max(960).default(60),
    /** Largest WebSocket message a gate client may send: a query is tiny. */
    maxPayloadBytes: z.number().int().min(64).max(64 * 1024).default(4 * 1024),
    /** Packages in one client WebSocket message. */
    maxPackagesPerMessage: z.number().int().min(1).max(1_000).default(8),
    /** Queries one WebSocket may make; more closes it (a gate connection is for one or a few lookups). */
    maxQueriesPerConnection: z.number().int().min(1).max(10_000).default(16),
  })
  .strict()
  .superRefine((value, ctx) => {
    checkIdleTimeout(value, ctx);
    checkOriginPolicy(value, ctx);
  });

export type GateConfigInput = z.input<typeof gateConfigSchema>;
export type GateConfig = z.output<typeof gateConfigSchema>;
export type FrontDoorInput = z.input<typeof frontDoorSchema>;
export type FrontDoor = z.output<typeof frontDoorSchema>;

/** Throws a ConfigError naming every bad key (`gate.tokenSecrets.0: must be at least 32 bytes …`). */
export function parseGateConfig(input: unknown): GateConfig {
  return parseConfig("gate", gateConfigSchema, input);
}
