/**
 * Runs an arena game server as its own process.
 *
 *   tsx services/games/arena/main.ts --redis redis://127.0.0.1:6379 --id arena-1 --host 127.0.0.1 --port 4100
 *
 * Every flag has an environment variable: REDIS_URL (with REDIS_SENTINELS + REDIS_SENTINEL_MASTER for Sentinel), SERVER_ID, HOST (published address), LISTEN_HOST
 * (bind address; default HOST), PORT, TICK_HZ,
 * POMONA_NAMESPACE, POMONA_ROUTES (comma-separated route dictionary, the same on every server),
 * STATS_INTERVAL_MS, HTTP_PORT (probes `/healthz` `/readyz`, `/metrics`; absent: no HTTP server),
 * HTTP_HOST (default: HOST), GAME_ID (with HTTP_PORT: the viewer WebSocket `/game-<GAME_ID>`), DRAIN_TIMEOUT_MS (20000: on SIGTERM the server takes no new players
 * and keeps its own until they leave or this passes, then deregisters so connectors move the rest). Prints one JSON line per event on stdout: `ready` (id, host, port,
 * tickHz), `stats` (every STATS_INTERVAL_MS, and on SIGUSR2) and `stopped`; SIGTERM or SIGINT
 * stops gracefully (deregisters at once).
 */
import { parseArgs } from "node:util";
import { GameServer } from "../../src/game";
import { redisFromEnv } from "../../src/redis/env";
import { numberOrUndefined, printEvent, runServerProcess, type RunningServer } from "../../src/roles/server-process";
import { arena } from "./game";

const { values } = parseArgs({
  options: {
    redis: { type: "string", default: process.env.REDIS_URL },
    id: { type: "string", default: process.env.SERVER_ID ?? "arena-1" },
    host: { type: "string", default: process.env.HOST ?? "127.0.0.1" },
    "listen-host": { type: "string", default: process.env.LISTEN_HOST },
    port: { type: "string", default: process.env.PORT ?? "0" },
    "tick-hz": { type: "string", default: process.env.TICK_HZ },
    namespace: { type: "string", default: process.env.POMONA_NAMESPACE },
    routes: { type: "string", default: process.env.POMONA_ROUTES },
    "stats-interval-ms": { type: "string", default: process.env.STATS_INTERVAL_MS },
    "http-port": { type: "string", default: process.env.HTTP_PORT },
    "http-host": { type: "string", default: process.env.HTTP_HOST },
    "drain-timeout-ms": { type: "string", default: process.env.DRAIN_TIMEOUT_MS ?? "20000" },
    "game-id": { type: "string", default: process.env.GAME_ID },
  },
});

async function start(): Promise<RunningServer> {
  const server = new GameServer(arena, {
    id: values.id,
    host: values.host,
    port: Number(values.port),
    ...(values["listen-host"] ? { listenHost: values["listen-host"] } : {}),
    ...(values["tick-hz"] ? { tickHz: Number(values["tick-hz"]) } : {}),
    ...(values.routes ? { routes: values.routes.split(",").filter(Boolean) } : {}),
    ...(values["http-port"] ? { httpPort: Number(values["http-port"]) } : {}),
    ...(values["http-host"] ? { httpHost: values["http-host"] } : {}),
    ...(values["game-id"] ? { gameId: values["game-id"] } : {}),
    ...(process.env.GAME_SETTINGS ? { settings: process.env.GAME_SETTINGS } : {}),
    ...(values.redis ? { discovery: { redis: redisFromEnv(values.redis), ...(values.namespace ? { namespace: values.namespace } : {}) } } : {}),
  });
  const address = await server.start();
  // Another live process holds this id: exit and let the supervisor sort it out.
  void server.identityLost.then(async (reason) => {
    printEvent("identity-lost", { reason });
    await server.stop().catch(() => undefined);
    process.exit(1);
  });
  return {
    ready: { id: server.config.id, host: server.config.host, port: address.port, tickHz: server.tickHz, ...(server.http ? { httpPort: server.http.port } : {}) },
    stats: () => ({ ...server.stats() }),
    drain: () => server.drain(Number(values["drain-timeout-ms"])),
    stop: () => server.stop(),
  };
}

runServerProcess("arena", values.id!, start, numberOrUndefined(values["stats-interval-ms"]));
