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
import { parseArgs } from "node:util";
import { numberOrUndefined, runServerProcess, type RunningServer } from "../roles/server-process";
import { commaList, playerAuthFromEnv } from "./auth-env";
import { startGate } from "./gate-role";
import { redisFromEnv } from "../redis/env";

const { values } = parseArgs({
  options: {
    redis: { type: "string", default: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
    namespace: { type: "string", default: process.env.POMONA_NAMESPACE },
    id: { type: "string", default: process.env.GATE_ID ?? "gate-0" },
    host: { type: "string", default: process.env.HOST ?? "0.0.0.0" },
    "advertise-host": { type: "string", default: process.env.ADVERTISE_HOST ?? "127.0.0.1" },
    port: { type: "string", default: process.env.PORT ?? "3000" },
    "token-secrets": { type: "string", default: process.env.TOKEN_SECRETS },
    "token-ttl-ms": { type: "string", default: process.env.TOKEN_TTL_MS },
    "front-door": { type: "string", default: process.env.FRONT_DOOR ?? "subdomain" },
    domain: { type: "string", default: process.env.DOMAIN },
    "public-host": { type: "string", default: process.env.PUBLIC_HOST },
    "public-port": { type: "string", default: process.env.PUBLIC_PORT },
    "public-tls": { type: "string", default: process.env.PUBLIC_TLS },
    "allowed-origins": { type: "string", default: process.env.ALLOWED_ORIGINS },
    "heartbeat-sec": { type: "string", default: process.env.HEARTBEAT_SEC },
    "stats-interval-ms": { type: "string", default: process.env.STATS_INTERVAL_MS },
    "site-dir": { type: "string", default: process.env.SITE_DIR },
    "drain-ms": { type: "string", default: process.env.DRAIN_MS ?? "2000" },
    "metrics-port": { type: "string", default: process.env.METRICS_PORT },
    "rate-limit-per-sec": { type: "string", default: process.env.RATE_LIMIT_PER_SEC },
    "rate-limit-burst": { type: "string", default: process.env.RATE_LIMIT_BURST },
  },
});

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
      gateId: values.id!,
      host: values.host!,
      port: Number(values.port),
      frontDoor: frontDoor() as never,
      tokenSecrets: tokenSecrets ?? [],
      // Validated by the gate's schema, which names each bad key and its AUTH_* variable.
      auth: playerAuthFromEnv(process.env) as never,
      rateLimit: defined({ perSec: numberOrUndefined(values["rate-limit-per-sec"]), burst: numberOrUndefined(values["rate-limit-burst"]) }),
      ...defined({ tokenTtlMs: numberOrUndefined(values["token-ttl-ms"]), heartbeatSec: numberOrUndefined(values["heartbeat-sec"]) }),
      ...(allowedOrigins?.length ? { allowedOrigins } : {}),
    },
    discovery: { redis: redisFromEnv(values.redis!), ...(values.namespace ? { namespace: values.namespace } : {}) },
    advertiseHost: values["advertise-host"]!,
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

runServerProcess("gate", values.id!, start, numberOrUndefined(values["stats-interval-ms"]));
