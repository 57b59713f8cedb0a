/**
 * Runs a gate as its own process.
 *
 *   tsx services/src/gate/gate-main.ts --redis redis://127.0.0.1:6379 --port 3000 \
 *     --token-secrets "$(openssl rand -base64 48)" --front-door subdomain --domain play.example.com
 *
 * Every flag has an environment variable: REDIS_URL (with REDIS_SENTINELS + REDIS_SENTINEL_MASTER for Sentinel), POMONA_NAMESPACE, GATE_ID, HOST (bind address),
 * ADVERTISE_HOST (address published in discovery), PORT, TOKEN_SECRETS (comma-separated, ≥ 32 bytes
 * each, the first signs), TOKEN_TTL_MS, FRONT_DOOR (subdomain | loadbalancer | direct), DOMAIN
 * (subdomain), PUBLIC_HOST (loadbalancer), PUBLIC_PORT, PUBLIC_TLS (true/false), ALLOWED_ORIGINS
 * (comma-separated exact origins), HEARTBEAT_SEC, STATS_INTERVAL_MS, SITE_DIR (the browser demo's
 * built files, served under `/`), METRICS_PORT (serve `/metrics` there instead of on the public PORT),
 * RATE_LIMIT_PER_SEC / RATE_LIMIT_BURST (entry queries per client address). Player identity:
 * AUTH_MODE (required: jwt | webhook | anonymous | trust-uid, the last for development only) and its
 * AUTH_* keys (docs/gate.md#player-identity; secrets come from a Secret, never a flag). Prints JSON lines on stdout:
 * `ready`, `stats`, `draining`, `drained`, `stopped`. SIGTERM drains (DRAIN_MS, 2000: /readyz answers
 * 503 at once while queries are still answered, so load balancers move away), SIGINT stops at once.
 */
import { parseCommandLine } from "../cli";
import { numberOrUndefined, runServerProcess, type RunningServer } from "../roles/server-process";
import { commaList, playerAuthFromEnv } from "./auth-env";
import { startGate } from "./gate-role";
import { redisFromEnv } from "../redis/env";

const CLI = {
  command: "node services/dist/src/gate/gate-main.js",
  summary: "A gate: Pomelo's gate.gateHandler.queryEntry and GET /entry, player identity by AUTH_MODE, the least-loaded live connector and a signed connect token (docs/gate.md). Every flag has an environment variable. Prints JSON lines: ready, stats, draining, drained, stopped; SIGTERM drains, SIGINT stops at once.",
  flags: {
    redis: { type: "string", value: "URL", env: "REDIS_URL", default: "redis://127.0.0.1:6379", help: "Redis for discovery (Sentinel: REDIS_SENTINELS + REDIS_SENTINEL_MASTER)" },
    namespace: { type: "string", value: "NS", env: "POMONA_NAMESPACE", help: "discovery namespace shared by the cluster's servers" },
    id: { type: "string", value: "ID", env: "GATE_ID", default: "gate-0", help: "this gate's id" },
    host: { type: "string", value: "ADDR", env: "HOST", default: "0.0.0.0", help: "bind address" },
    "advertise-host": { type: "string", value: "ADDR", env: "ADVERTISE_HOST", default: "127.0.0.1", help: "address published in discovery" },
    port: { type: "string", value: "P", env: "PORT", default: "3000", help: "HTTP and WebSocket port" },
    "token-secrets": { type: "string", value: "S1,S2", env: "TOKEN_SECRETS", help: "connect-token secrets, comma-separated, ≥ 32 bytes each, the first signs (prefer the variable: a flag shows in ps)" },
    "token-ttl-ms": { type: "string", value: "MS", env: "TOKEN_TTL_MS", help: "connect-token lifetime" },
    "front-door": { type: "string", value: "MODE", env: "FRONT_DOOR", default: "subdomain", help: "subdomain | loadbalancer | direct" },
    domain: { type: "string", value: "DOMAIN", env: "DOMAIN", help: "subdomain mode: connectors are connector-N.<domain>" },
    "public-host": { type: "string", value: "HOST", env: "PUBLIC_HOST", help: "loadbalancer mode: the address clients reach" },
    "public-port": { type: "string", value: "P", env: "PUBLIC_PORT", help: "the port clients reach" },
    "public-tls": { type: "string", value: "true|false", env: "PUBLIC_TLS", help: "clients connect with wss://" },
    "allowed-origins": { type: "string", value: "O1,O2", env: "ALLOWED_ORIGINS", help: "exact browser origins allowed, comma-separated" },
    "heartbeat-sec": { type: "string", value: "S", env: "HEARTBEAT_SEC", help: "heartbeat of gate WebSockets" },
    "stats-interval-ms": { type: "string", value: "MS", env: "STATS_INTERVAL_MS", help: "print a stats line this often (0: only on SIGUSR2)" },
    "site-dir": { type: "string", value: "DIR", env: "SITE_DIR", help: "the browser demo's built files, served under /" },
    "drain-ms": { type: "string", value: "MS", env: "DRAIN_MS", default: "2000", help: "on SIGTERM, /readyz answers 503 this long while queries are still answered" },
    "metrics-port": { type: "string", value: "P", env: "METRICS_PORT", help: "serve /metrics there instead of on the public port" },
    "rate-limit-per-sec": { type: "string", value: "N", env: "RATE_LIMIT_PER_SEC", help: "entry queries per client address per second" },
    "rate-limit-burst": { type: "string", value: "N", env: "RATE_LIMIT_BURST", help: "entry queries per client address in a burst" },
  },
  environment: [
    "AUTH_MODE  required: jwt | webhook | anonymous | trust-uid (the last for development only)",
    "AUTH_*     the mode's keys; secrets come from a Secret, never a flag (docs/gate.md#player-identity)",
  ],
  examples: ['AUTH_MODE=trust-uid TOKEN_SECRETS="$(openssl rand -base64 48)" npx tsx services/src/gate/gate-main.ts --redis redis://127.0.0.1:6379 --port 3000 --front-door direct'],
} as const;
const { values } = parseCommandLine(CLI);

const defined = <T extends object>(fields: T): Partial<T> => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;

function frontDoor(): unknown {
  const mode = values["front-door"];
  const publicPort = numberOrUndefined(values["public-port"]);
  const tls = values["public-tls"] === undefined || values["public-tls"] === "" ? undefined : values["public-tls"] === "true";
  // Unknown modes and missing fields are reported by the config schema, naming the key.
  if (mode === "loadbalancer") return defined({ mode, publicHost: values["public-host"], publicPort, tls });
  if (mode === "subdomain") return defined({ mode, domain: values.domain, publicPort, tls });
  return defined({ mode, tls });
}

async function start(): Promise<RunningServer> {
  const tokenSecrets = commaList(values["token-secrets"]);
  const allowedOrigins = commaList(values["allowed-origins"]);
  const role = await startGate({
    gate: {
      gateId: values.id,
      host: values.host,
      port: Number(values.port),
      frontDoor: frontDoor() as never,
      tokenSecrets: tokenSecrets ?? [],
      // Validated by the gate's schema, which names each bad key and its AUTH_* variable.
      auth: playerAuthFromEnv(process.env) as never,
      rateLimit: defined({ perSec: numberOrUndefined(values["rate-limit-per-sec"]), burst: numberOrUndefined(values["rate-limit-burst"]) }),
      ...defined({ tokenTtlMs: numberOrUndefined(values["token-ttl-ms"]), heartbeatSec: numberOrUndefined(values["heartbeat-sec"]) }),
      ...(allowedOrigins?.length ? { allowedOrigins } : {}),
    },
    discovery: { redis: redisFromEnv(values.redis), ...(values.namespace ? { namespace: values.namespace } : {}) },
    advertiseHost: values["advertise-host"],
    ...(values["site-dir"] ? { siteDir: values["site-dir"] } : {}),
    ...(values["metrics-port"] ? { metricsPort: Number(values["metrics-port"]) } : {}),
  });
  return {
    ready: { id: role.gate.config.gateId, port: role.port, frontDoor: role.gate.config.frontDoor.mode, authMode: role.gate.config.auth.mode },
    stats: () => ({ ...role.gate.counters, connectors: role.discovery.members(role.gate.config.connectorType).length, discovery: role.discovery.stats() }),
    drain: () => role.drain(Number(values["drain-ms"])),
    stop: () => role.stop(),
  };
}

runServerProcess("gate", values.id, start, numberOrUndefined(values["stats-interval-ms"]));
