/**
 * Runs a connector as its own process.
 *
 *   tsx services/src/roles/connector-main.ts --redis redis://127.0.0.1:6379 --id connector-0 --port 3010
 *
 * Every flag has an environment variable: REDIS_URL (with REDIS_SENTINELS + REDIS_SENTINEL_MASTER for Sentinel), SERVER_ID, HOST (bind address), ADVERTISE_HOST
 * (address published in discovery, the pod IP), PORT, POMONA_NAMESPACE, HEARTBEAT_SEC, POMONA_ROUTES
 * (comma-separated route dictionary, the same list the game servers use), POMONA_PROTOS (the games'
 * Pomelo protobuf protos as JSON `{"server": {…}, "client": {…}}`, offered to clients that handshake
 * with `sys.protoVersion`; docs/protocol.md), REQUEST_TIMEOUT_MS,
 * STATS_INTERVAL_MS, TOKEN_SECRETS (comma-separated, ≥ 32 bytes each: clients must then present a
 * signed connect token), ALLOWED_ORIGINS (comma-separated exact origins for browsers), TOKEN_AUDIENCE
 * (`connector`: a token opens only the connector it names, the default; `any`: behind a load
 * balancer, any connector accepts it), CONNECTOR_ORDINAL (N of `connector-N.<domain>`; default the
 * trailing number of the id, as a StatefulSet pod name gives it), PUBLIC_URL (published for tools;
 * `{ordinal}` is replaced, e.g. `wss://connector-{ordinal}.play.example.com/`), DRAIN_TIMEOUT_MS
 * (20000) and DRAIN_SPREAD_MS (3000): on SIGTERM every client is asked to resume elsewhere, spread
 * over the spread, and the process exits 0 once they are gone or the timeout passed — keep the pod's
 * terminationGracePeriodSeconds above it. SIGINT stops at once. ROUTE_RATE_LIMITS: per-route limits
 * per connection, `route=perSec/burst` comma-separated (`chat.room.say=2/5,arena.room.move=30/60`).
 * MAX_BACKPRESSURE_BYTES: bytes buffered for a client that stops reading before it is dropped (1 MiB).
 * MAX_WAITING_TICKS_PER_SERVER: tick batches of one game server that may wait behind the one being
 * written (2); past it the oldest waiting one keeps its joins and leaves and loses its messages.
 * METRICS_PORT: serve `/metrics` there instead of on PORT (in a cluster, where PORT is public). Prints JSON lines on stdout: `ready`,
 * `stats`, `draining`, `drained`, `stopped`.
 */
import { parseCommandLine } from "../cli";
import { connectorOrdinal } from "../gate/entry";
import { RouteDictionary, type ProtobufProtos } from "../protocol";
import { declareProtos } from "../protocol/protobuf/declare-protos";
import { redisFromEnv } from "../redis/env";
import { startConnectorRole } from "./connector-role";
import { numberOrUndefined, runServerProcess, type RunningServer } from "./server-process";

const CLI = {
  command: "node services/dist/src/roles/connector-main.js",
  summary: "A connector: client WebSockets speaking Pomelo's protocol, sessions, sticky routing to game servers, tick-batch fan-out (docs/connector.md). Every flag has an environment variable. Prints JSON lines: ready, stats, draining, drained, stopped; SIGTERM asks every client to resume elsewhere, then exits; SIGINT stops at once.",
  flags: {
    redis: { type: "string", value: "URL", env: "REDIS_URL", default: "redis://127.0.0.1:6379", help: "Redis for discovery and sessions (Sentinel: REDIS_SENTINELS + REDIS_SENTINEL_MASTER)" },
    id: { type: "string", value: "ID", env: "SERVER_ID", default: "connector-0", help: "this connector's id; its trailing number is its ordinal" },
    host: { type: "string", value: "ADDR", env: "HOST", default: "0.0.0.0", help: "bind address" },
    "advertise-host": { type: "string", value: "ADDR", env: "ADVERTISE_HOST", default: "127.0.0.1", help: "address published in discovery (the pod IP)" },
    port: { type: "string", value: "P", env: "PORT", default: "3010", help: "client WebSocket port (also /healthz, /readyz, /metrics)" },
    namespace: { type: "string", value: "NS", env: "POMONA_NAMESPACE", help: "discovery namespace shared by the cluster's servers" },
    "heartbeat-sec": { type: "string", value: "S", env: "HEARTBEAT_SEC", help: "Pomelo heartbeat interval offered in the handshake" },
    routes: { type: "string", value: "R1,R2", env: "POMONA_ROUTES", help: "route dictionary, comma-separated, the same list the game servers use" },
    protos: { type: "string", value: "JSON", env: "POMONA_PROTOS", help: "Pomelo protobuf protos {server, client} of the game routes, offered to clients that ask (docs/protocol.md)" },
    "request-timeout-ms": { type: "string", value: "MS", env: "REQUEST_TIMEOUT_MS", help: "a forwarded request's timeout" },
    "stats-interval-ms": { type: "string", value: "MS", env: "STATS_INTERVAL_MS", help: "print a stats line this often (0: only on SIGUSR2)" },
    "token-secrets": { type: "string", value: "S1,S2", env: "TOKEN_SECRETS", help: "clients must present a connect token signed with one of these (≥ 32 bytes each; prefer the variable: a flag shows in ps)" },
    "allowed-origins": { type: "string", value: "O1,O2", env: "ALLOWED_ORIGINS", help: "exact browser origins allowed, comma-separated" },
    "token-audience": { type: "string", value: "connector|any", env: "TOKEN_AUDIENCE", default: "connector", help: "connector: a token opens only the connector it names; any: behind a load balancer" },
    ordinal: { type: "string", value: "N", env: "CONNECTOR_ORDINAL", help: "N of connector-N.<domain> (default: the id's trailing number)" },
    "public-url": { type: "string", value: "URL", env: "PUBLIC_URL", help: "published for tools; {ordinal} is replaced, e.g. wss://connector-{ordinal}.play.example.com/" },
    "route-rate-limits": { type: "string", value: "LIMITS", env: "ROUTE_RATE_LIMITS", help: "per-route limits per connection, route=perSec/burst comma-separated, e.g. chat.room.say=2/5" },
    "max-backpressure-bytes": { type: "string", value: "BYTES", env: "MAX_BACKPRESSURE_BYTES", help: "bytes buffered for a client that stops reading before it is dropped (1 MiB)" },
    "max-waiting-ticks-per-server": { type: "string", value: "N", env: "MAX_WAITING_TICKS_PER_SERVER", help: "tick batches of one game server that may wait; past it the oldest loses its messages, keeps its joins and leaves (2)" },
    "metrics-port": { type: "string", value: "P", env: "METRICS_PORT", help: "serve /metrics there instead of on PORT" },
    "drain-timeout-ms": { type: "string", value: "MS", env: "DRAIN_TIMEOUT_MS", default: "20000", help: "SIGTERM: the longest wait for clients to move elsewhere" },
    "drain-spread-ms": { type: "string", value: "MS", env: "DRAIN_SPREAD_MS", default: "3000", help: "SIGTERM: clients are asked to move over this long" },
  },
  examples: ["npx tsx services/src/roles/connector-main.ts --redis redis://127.0.0.1:6379 --id connector-0 --port 3010"],
} as const;
const { values } = parseCommandLine(CLI);

/** `chat.room.say=2/5,arena.room.move=30/60` → {route: {perSec, burst}}; a malformed entry names the variable. */
function routeRateLimits(text: string | undefined): Record<string, { perSec: number; burst: number }> | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const limits: Record<string, { perSec: number; burst: number }> = {};
  for (const entry of text.split(",").map((item) => item.trim()).filter(Boolean)) {
    const match = /^([^=\s]+)=(\d+(?:\.\d+)?)\/(\d+)$/.exec(entry);
    if (match === null) throw new Error(`--route-rate-limits / ROUTE_RATE_LIMITS: "${entry}" must look like route=perSec/burst, e.g. chat.room.say=2/5`);
    limits[match[1]!] = { perSec: Number(match[2]), burst: Number(match[3]) };
  }
  return limits;
}

/** `{"server": {…}, "client": {…}}` in Pomelo's JSON proto format; an error names the variable and the key. */
function protosFromText(text: string | undefined): ProtobufProtos | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let source: unknown;
  try {
    source = JSON.parse(text);
  } catch (error) {
    throw new Error(`--protos / POMONA_PROTOS: must be JSON {"server": {…}, "client": {…}} (${(error as Error).message})`);
  }
  return declareProtos(source as object, "POMONA_PROTOS");
}

/** N of `connector-N`: the flag, else the id's trailing number (StatefulSet pod names end in their ordinal) — the gate's own rule. */
function ordinalOf(id: string, flag: string | undefined): number | undefined {
  if (flag === undefined || flag === "") return connectorOrdinal({ id, metadata: {} });
  const ordinal = connectorOrdinal({ id, metadata: { ordinal: flag } });
  if (ordinal === undefined) throw new Error(`--ordinal / CONNECTOR_ORDINAL: must be a non-negative integer, got "${flag}"`);
  return ordinal;
}

async function start(): Promise<RunningServer> {
  const heartbeatSec = numberOrUndefined(values["heartbeat-sec"]);
  const requestTimeoutMs = numberOrUndefined(values["request-timeout-ms"]);
  const routes = values.routes?.split(",").filter(Boolean);
  const protos = protosFromText(values.protos);
  const tokenSecrets = values["token-secrets"]?.split(",").filter(Boolean);
  const allowedOrigins = values["allowed-origins"]?.split(",").filter(Boolean);
  const audience = values["token-audience"];
  if (audience !== "connector" && audience !== "any") throw new Error(`--token-audience / TOKEN_AUDIENCE: must be "connector" or "any", got "${audience}"`);
  const auth = {
    ...(tokenSecrets?.length ? { tokenSecrets } : {}),
    ...(allowedOrigins?.length ? { allowedOrigins } : {}),
    ...(audience === "any" ? { acceptAnyConnector: true } : {}),
  };
  const ordinal = ordinalOf(values.id, values.ordinal);
  const routeLimits = routeRateLimits(values["route-rate-limits"]);
  const maxBackpressureBytes = numberOrUndefined(values["max-backpressure-bytes"]);
  const maxWaitingTicksPerServer = numberOrUndefined(values["max-waiting-ticks-per-server"]);
  const publicUrl = values["public-url"] ? values["public-url"].replaceAll("{ordinal}", String(ordinal ?? "")) : undefined;
  const role = await startConnectorRole({
    connector: {
      connectorId: values.id,
      host: values.host,
      port: Number(values.port),
      ...(heartbeatSec === undefined ? {} : { heartbeatSec }),
      ...(routes?.length ? { routeDictionary: RouteDictionary.fromRoutes(routes) } : {}),
      ...(protos === undefined ? {} : { protos }),
      ...(Object.keys(auth).length ? { auth } : {}),
      ...(routeLimits === undefined ? {} : { routeRateLimits: routeLimits }),
      ...(maxBackpressureBytes === undefined ? {} : { maxBackpressureBytes }),
      ...(maxWaitingTicksPerServer === undefined ? {} : { maxWaitingTicksPerServer }),
    },
    discovery: { redis: redisFromEnv(values.redis), ...(values.namespace ? { namespace: values.namespace } : {}) },
    advertiseHost: values["advertise-host"],
    frontDoor: { ...(ordinal === undefined ? {} : { ordinal }), ...(publicUrl === undefined ? {} : { publicUrl }) },
    ...(values["metrics-port"] ? { metricsPort: Number(values["metrics-port"]) } : {}),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });
  // SIGUSR1 is Node's inspector signal; a benchmark resets the fan-out histogram with SIGWINCH.
  process.on("SIGWINCH", () => {
    role.connector.fanout.reset();
    role.connector.fanoutSlices.reset();
  });
  return {
    ready: { id: values.id, port: role.port, ...(ordinal === undefined ? {} : { ordinal }) },
    stats: () => ({
      ...role.connector.counters,
      fanout: role.connector.fanout.summary(),
      fanoutSlices: role.connector.fanoutSlices.summary(),
      sessions: role.connector.sessions.size,
      router: role.router.stats,
      uids: role.uids.stats,
      discovery: role.discovery.stats(),
    }),
    drain: () => role.drain({ timeoutMs: Number(values["drain-timeout-ms"]), spreadMs: Number(values["drain-spread-ms"]) }),
    stop: () => role.stop(),
  };
}

runServerProcess("connector", values.id, start, numberOrUndefined(values["stats-interval-ms"]));
