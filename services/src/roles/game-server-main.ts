/**
 * Runs a game server process for `game` (the arena, the chat: each game's main.ts is one call).
 *
 *   tsx services/games/arena/main.ts --redis redis://127.0.0.1:6379 --id arena-1 --host 127.0.0.1 --port 4100
 *
 * Every flag has an environment variable: REDIS_URL (with REDIS_SENTINELS + REDIS_SENTINEL_MASTER for Sentinel), SERVER_ID, HOST (published address), LISTEN_HOST
 * (bind address; default HOST), PORT, TICK_HZ,
 * POMONA_NAMESPACE, POMONA_ROUTES (comma-separated route dictionary, the same on every server),
 * STATS_INTERVAL_MS, HTTP_PORT (probes `/healthz` `/readyz`, `/metrics`; absent: no HTTP server),
 * HTTP_HOST (default: HOST), GAME_ID (with HTTP_PORT: the viewer WebSocket `/game-<GAME_ID>`), DRAIN_TIMEOUT_MS (20000: on SIGTERM the server takes no new players
 * and keeps its own until they leave or this passes, then deregisters so connectors move the rest),
 * REMOTE_TIMEOUT_MS (deadline of a `ctx.rpc` call that names none; default 2000), GAME_SETTINGS (JSON, the game's `ctx.settings`). Prints one JSON line per event on stdout: `ready` (id, host, port,
 * tickHz), `stats` (every STATS_INTERVAL_MS, and on SIGUSR2) and `stopped`; SIGTERM or SIGINT
 * stops gracefully (deregisters at once).
 */
import { parseCommandLine } from "../cli";
import { GameServer, type GameDefinition } from "../game";
import { redisFromEnv } from "../redis/env";
import { numberOrUndefined, printEvent, runServerProcess, type RunningServer } from "./server-process";

export function runGameServerMain(game: GameDefinition<any, any>, defaultId: string): void {
  const type = game.serverType;
  const { values } = parseCommandLine({
    command: `node services/dist/games/${type}/main.js`,
    summary: `A ${type} game server. Every flag has an environment variable. Prints JSON lines: ready, stats, draining, drained, stopped; SIGTERM drains, SIGINT stops at once.`,
    flags: {
      redis: { type: "string", value: "URL", env: "REDIS_URL", help: "Redis for discovery (absent: no discovery; Sentinel: REDIS_SENTINELS + REDIS_SENTINEL_MASTER)" },
      id: { type: "string", value: "ID", env: "SERVER_ID", default: defaultId, help: "this server's id" },
      host: { type: "string", value: "ADDR", env: "HOST", default: "127.0.0.1", help: "address published in discovery" },
      "listen-host": { type: "string", value: "ADDR", env: "LISTEN_HOST", help: "bind address (default: --host)" },
      port: { type: "string", value: "P", env: "PORT", default: "0", help: "RPC port (0: any free port)" },
      "tick-hz": { type: "string", value: "HZ", env: "TICK_HZ", help: "ticks per second (default: the game's)" },
      namespace: { type: "string", value: "NS", env: "POMONA_NAMESPACE", help: "discovery namespace shared by the cluster's servers" },
      routes: { type: "string", value: "R1,R2", env: "POMONA_ROUTES", help: "route dictionary, comma-separated, the same on every server" },
      "stats-interval-ms": { type: "string", value: "MS", env: "STATS_INTERVAL_MS", help: "print a stats line this often (0: only on SIGUSR2)" },
      "http-port": { type: "string", value: "P", env: "HTTP_PORT", help: "probes /healthz /readyz, /metrics and the viewer WebSocket (absent: no HTTP server)" },
      "http-host": { type: "string", value: "ADDR", env: "HTTP_HOST", help: "HTTP bind address (default: --host)" },
      "drain-timeout-ms": { type: "string", value: "MS", env: "DRAIN_TIMEOUT_MS", default: "20000", help: "SIGTERM: no new players; wait this long for players to leave, then deregister" },
      "game-id": { type: "string", value: "ID", env: "GAME_ID", help: "with --http-port: the viewer WebSocket /game-<id>" },
      "remote-timeout-ms": { type: "string", value: "MS", env: "REMOTE_TIMEOUT_MS", help: "deadline of a ctx.rpc call that names none (default 2000)" },
    },
    examples: [`npx tsx services/games/${type}/main.ts --redis redis://127.0.0.1:6379 --id ${defaultId} --host 127.0.0.1 --port 4100`],
  } as const);

  async function start(): Promise<RunningServer> {
    const server = new GameServer(game, {
      id: values.id,
      host: values.host,
      port: Number(values.port),
      ...(values["listen-host"] ? { listenHost: values["listen-host"] } : {}),
      ...(values["tick-hz"] ? { tickHz: Number(values["tick-hz"]) } : {}),
      ...(values.routes ? { routes: values.routes.split(",").filter(Boolean) } : {}),
      ...(values["http-port"] ? { httpPort: Number(values["http-port"]) } : {}),
      ...(values["http-host"] ? { httpHost: values["http-host"] } : {}),
      ...(values["game-id"] ? { gameId: values["game-id"] } : {}),
      ...(values["remote-timeout-ms"] ? { remoteTimeoutMs: Number(values["remote-timeout-ms"]) } : {}),
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

  runServerProcess(type, values.id, start, numberOrUndefined(values["stats-interval-ms"]));
}
