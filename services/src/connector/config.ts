/**
 * The connector's one validated config object. Every duration carries its unit in its name;
 * every limit that keeps a client from hurting others is here with its default.
 */
import { z } from "zod";
import { DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_RESUME_TOKEN_TTL_MS, MAX_CONNECT_TOKEN_TTL_MS, MIN_TOKEN_SECRET_BYTES } from "../auth";
import { allowedOriginsSchema, checkOriginPolicy } from "../auth/origin-policy";
import { parseConfig } from "../config/validate";
import { checkIdleTimeout } from "../config/websocket-timeouts";
import { DEFAULT_MAX_CLIENT_BODY_BYTES, MAX_PACKAGE_BODY_BYTES, PACKAGE_HEADER_BYTES, ProtobufProtos, RouteDictionary } from "../protocol";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Who may open a WebSocket (docs/security.md). Absent: every client upgrades, as before.
 * `tokenSecrets` turns on connect-token checks; `allowedOrigins` turns on the Origin allowlist.
 */
export const connectorAuthSchema = z
  .object({
    /** HMAC secrets for connect tokens, each ≥ 32 bytes: the first is the gate's signing secret, any of them verifies (rotation). */
    tokenSecrets: z
      .array(
        z.string().refine((secret) => Buffer.byteLength(secret, "utf8") >= MIN_TOKEN_SECRET_BYTES, {
          message: `must be at least ${MIN_TOKEN_SECRET_BYTES} bytes (generate one with \`openssl rand -base64 48\`)`,
        }),
      )
      .min(1, "must list at least one secret; leave tokenSecrets out to accept clients without a token")
      .max(8, "at most 8 secrets (the current one and those being rotated out)")
      .optional(),
    /** Query parameter of the upgrade URL that carries the token (`wss://connector-3.example.com/?token=…`). */
    tokenQueryParam: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 _ . -")
      .default("token"),
    /** Tolerance on a token's exp/iat for clocks that disagree. */
    maxClockSkewMs: z.number().int().min(0).max(300_000).default(DEFAULT_MAX_CLOCK_SKEW_MS),
    /** Exact origins (`https://play.example.com`) a browser may connect from; absent = any origin. */
    allowedOrigins: allowedOriginsSchema,
    /** With an allowlist: whether a client that sends no Origin (native clients, bots) may connect. */
    allowMissingOrigin: z.boolean().default(true),
    /**
     * Accept a connect token issued for any connector: scenario 1, where a load balancer and not the
     * gate decides which connector a client reaches. Default false: a token opens only its connector.
     */
    acceptAnyConnector: z.boolean().default(false),
    /** Lifetime of the resume tokens handed to clients whose uid this connector holds (needs tokenSecrets). */
    resumeTokenTtlMs: z.number().int().min(10_000).max(MAX_CONNECT_TOKEN_TTL_MS).default(DEFAULT_RESUME_TOKEN_TTL_MS),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.acceptAnyConnector && value.tokenSecrets === undefined) {
      ctx.addIssue({ code: "custom", path: ["acceptAnyConnector"], message: "needs tokenSecrets (it relaxes which connector a token is good for)" });
    }
    if (value.tokenSecrets === undefined && value.allowedOrigins === undefined) {
      ctx.addIssue({ code: "custom", path: [], message: "checks nothing: give tokenSecrets and/or allowedOrigins, or leave auth out" });
    }
    checkOriginPolicy(value, ctx);
  });

export const connectorConfigSchema = z
  .object({
    /** This connector's server id (`connector-3`); prefixes every session id. */
    connectorId: z.string().min(1).max(128),
    host: z.string().min(1).default("0.0.0.0"),
    /** 0 picks a free port (tests); `listen()` resolves with the bound one. */
    port: z.number().int().min(0).max(65535),
    /** uWS route pattern clients upgrade on. */
    path: z.string().startsWith("/").default("/*"),
    /** Sent as `sys.heartbeat`; a client silent for 2× this is closed. Whole seconds (Pitaya clients parse an int). */
    heartbeatSec: z.number().int().min(1).max(300).default(10),
    /** Handshake and handshake-ack must both arrive within this after the socket opens. */
    handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** uWS idle timeout (no traffic either way), a backstop behind heartbeats; 0 disables. uWS needs 0 or ≥ 8. */
    idleTimeoutSec: z.number().int().min(0).max(960).default(120),
    /** Largest WebSocket message a client may send (uWS `maxPayloadLength`); bigger closes the socket at once. */
    maxPayloadBytes: z.number().int().min(64).max(MAX_PACKAGE_BODY_BYTES).default(DEFAULT_MAX_CLIENT_BODY_BYTES + PACKAGE_HEADER_BYTES),
    /** Largest body of one client package. */
    maxPackageBodyBytes: z.number().int().min(16).max(MAX_PACKAGE_BODY_BYTES).default(DEFAULT_MAX_CLIENT_BODY_BYTES),
    /** Packages in one client WebSocket message. */
    maxPackagesPerMessage: z.number().int().min(1).max(10_000).default(32),
    /** Bytes buffered for one slow client before it is closed (uWS `maxBackpressure` + `closeOnBackpressureLimit`). */
    maxBackpressureBytes: z.number().int().min(16 * KiB).max(256 * MiB).default(1 * MiB),
    /**
     * Longest run of tick fan-out socket writes before the event loop gets a turn (RPC reads, client
     * messages); a batch's writes are spread over as many runs as it needs (backend-to-client/tick-fanout.ts).
     */
    fanoutSliceMs: z.number().min(0.01).max(1000).default(2),
    /**
     * Tick batches of one game server that may wait behind the one being written. When the
     * connector cannot keep up, a newer batch supersedes the oldest waiting one: its joins and
     * leaves still apply, its messages are not sent (the freshest ticks go out, memory stays bounded).
     */
    maxWaitingTicksPerServer: z.number().int().min(1).max(1_000).default(2),
    /** Sustained client packages per second (token bucket refill). */
    rateLimitPackagesPerSec: z.number().min(1).max(1_000_000).default(200),
    /** Packages a client may send in a burst (token bucket size). */
    rateLimitBurstPackages: z.number().int().min(1).max(1_000_000).default(400),
    /**
     * Tighter limits for chosen routes (`{"chat.room.say": {perSec: 2, burst: 5}}`), per connection,
     * on requests and notifies alike; over it, the client is closed 1008 with a reason naming the route.
     */
    routeRateLimits: z
      .record(z.string(), z.object({ perSec: z.number().positive().max(1_000_000), burst: z.number().int().min(1).max(1_000_000) }).strict())
      .default({})
      .superRefine((limits, ctx) => {
        for (const route of Object.keys(limits)) {
          if (!/^[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*$/.test(route)) {
            ctx.addIssue({ code: "custom", path: [route], message: "must be a route like arena.room.move (<serverType>.<handler>.<method>)" });
          }
        }
      }),
    /** Requests of one client awaiting a backend answer; more get a 429 error response. */
    maxInFlightRequestsPerClient: z.number().int().min(1).max(100_000).default(64),
    /** Connect tokens and Origin allowlist, checked on upgrade (docs/security.md). Absent: no checks. */
    auth: connectorAuthSchema.optional(),
    /** Route dictionary sent as `sys.dict` in the handshake, and used to compress pushes. */
    routeDictionary: z.custom<RouteDictionary>((value) => value instanceof RouteDictionary, { message: "must be a RouteDictionary" }).optional(),
    /**
     * The games' Pomelo protobuf protos: offered in the handshake to clients that send
     * `sys.protoVersion`, whose bodies are then protobuf on every route with a proto (docs/protocol.md).
     */
    protos: z.custom<ProtobufProtos>((value) => value instanceof ProtobufProtos, { message: "must be ProtobufProtos (ProtobufProtos.fromSource)" }).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    checkIdleTimeout(value, ctx);
    if (value.maxPackageBodyBytes + PACKAGE_HEADER_BYTES > value.maxPayloadBytes) {
      ctx.addIssue({ code: "custom", path: ["maxPackageBodyBytes"], message: "plus the 4-byte package header must fit in maxPayloadBytes" });
    }
  });

export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
export type ConnectorConfig = z.output<typeof connectorConfigSchema>;
export type ConnectorAuthConfig = z.output<typeof connectorAuthSchema>;

export function parseConnectorConfig(input: ConnectorConfigInput): ConnectorConfig {
  return parseConfig("connector", connectorConfigSchema, input);
}
