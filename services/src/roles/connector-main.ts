/**
 * Runs a connector as its own process.
 *
 *   tsx services/src/roles/connector-main.ts --redis redis://127.0.0.1:6379 --id connector-0 --port 3010
 *
 * Every flag has an environment variable: REDIS_URL, SERVER_ID, HOST (bind address), ADVERTISE_HOST
 * (address published in discovery, the pod IP), PORT, POMONA_NAMESPACE, HEARTBEAT_SEC, POMONA_ROUTES
 * (comma-separated route dictionary, the same list the game servers use), REQUEST_TIMEOUT_MS,
 * STATS_INTERVAL_MS, TOKEN_SECRETS (comma-separated, ≥ 32 bytes each: clients must then present a
 * signed connect token), ALLOWED_ORIGINS (comma-separated exact origins for browsers). Prints JSON lines on stdout: `ready`, `stats`, `stopped`; SIGTERM or SIGINT
 * stops gracefully.
 */
import { parseArgs } from "node:util";
import { RouteDictionary } from "../protocol";
import { startConnectorRole } from "./connector-role";
import { numberOrUndefined, runServerProcess, type RunningServer } from "./server-process";

const { values } = parseArgs({
  options: {
    redis: { type: "string", default: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
    id: { type: "string", default: process.env.SERVER_ID ?? "connector-0" },
    host: { type: "string", default: process.env.HOST ?? "0.0.0.0" },
    "advertise-host": { type: "string", default: process.env.ADVERTISE_HOST ?? "127.0.0.1" },
    port: { type: "string", default: process.env.PORT ?? "3010" },
    namespace: { type: "string", default: process.env.POMONA_NAMESPACE },
    "heartbeat-sec": { type: "string", default: process.env.HEARTBEAT_SEC },
    routes: { type: "string", default: process.env.POMONA_ROUTES },
    "request-timeout-ms": { type: "string", default: process.env.REQUEST_TIMEOUT_MS },
    "stats-interval-ms": { type: "string", default: process.env.STATS_INTERVAL_MS },
    "token-secrets": { type: "string", default: process.env.TOKEN_SECRETS },
    "allowed-origins": { type: "string", default: process.env.ALLOWED_ORIGINS },
  },
});

async function start(): Promise<RunningServer> {
  const heartbeatSec = numberOrUndefined(values["heartbeat-sec"]);
  const requestTimeoutMs = numberOrUndefined(values["request-timeout-ms"]);
  const routes = values.routes?.split(",").filter(Boolean);
  const tokenSecrets = values["token-secrets"]?.split(",").filter(Boolean);
  const allowedOrigins = values["allowed-origins"]?.split(",").filter(Boolean);
  const auth = {
    ...(tokenSecrets?.length ? { tokenSecrets } : {}),
    ...(allowedOrigins?.length ? { allowedOrigins } : {}),
  };
  const role = await startConnectorRole({
    connector: {
      connectorId: values.id!,
      host: values.host!,
      port: Number(values.port),
      ...(heartbeatSec === undefined ? {} : { heartbeatSec }),
      ...(routes?.length ? { routeDictionary: RouteDictionary.fromRoutes(routes) } : {}),
      ...(Object.keys(auth).length ? { auth } : {}),
    },
    discovery: { redis: { url: values.redis! }, ...(values.namespace ? { namespace: values.namespace } : {}) },
    advertiseHost: values["advertise-host"]!,
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });
  // SIGUSR1 is Node's inspector signal; a benchmark resets the fan-out histogram with SIGWINCH.
  process.on("SIGWINCH", () => role.connector.fanout.reset());
  return {
    ready: { id: values.id, port: role.port },
    stats: () => ({
      ...role.connector.counters,
      fanout: role.connector.fanout.summary(),
      sessions: role.connector.sessions.size,
      router: role.router.stats,
      uids: role.uids.stats,
      discovery: role.discovery.stats(),
    }),
    stop: () => role.stop(),
  };
}

runServerProcess("connector", start, numberOrUndefined(values["stats-interval-ms"]));
