/**
 * Runs a grid game server: the game, the table of its ready workers (Redis, published by the
 * game-creator) and the client that calls them each turn.
 *
 *   GAME_ID=g1 REDIS_URL=redis://… HTTP_PORT=8080 tsx services/games/grid/main.ts
 *
 * Env: as the arena (SERVER_ID, HOST, PORT, HTTP_PORT, HTTP_HOST, TICK_HZ, REDIS_URL,
 * POMONA_NAMESPACE, POMONA_ROUTES, STATS_INTERVAL_MS), plus GAME_ID (required: its workers and its
 * viewer path `/game-<id>`) and TURN_TIMEOUT_MS (how long a turn's HTTP call may take; default 80 %
 * of a tick). Its `stats` lines carry the tick's own work and interval percentiles.
 */
import { GameServer, createRedisClient, numberOrUndefined, parseCommandLine, printEvent, runServerProcess, type RunningServer, TurnClient, WorkerDirectory } from "@pomona/server";
import { createGridGame, percentile } from "./game";

parseCommandLine({
  command: "node services/dist/games/grid/main.js",
  summary: "A grid game server (AI:MMO style): the game, its ready workers from the game-creator's table in Redis, and the client that calls them each turn (docs/workers.md). Configured by environment only.",
  flags: {},
  environment: [
    "GAME_ID, REDIS_URL  required: its workers and its viewer path /game-<id>",
    "TURN_TIMEOUT_MS     how long a turn's HTTP call may take (default 80 % of a tick)",
    "as the arena: SERVER_ID HOST PORT HTTP_PORT HTTP_HOST TICK_HZ (10) POMONA_NAMESPACE POMONA_ROUTES STATS_INTERVAL_MS",
  ],
  examples: ["GAME_ID=g1 REDIS_URL=redis://127.0.0.1:6379 HTTP_PORT=8080 npx tsx services/games/grid/main.ts"],
});

const env = process.env;

async function start(): Promise<RunningServer> {
  const gameId = env.GAME_ID;
  const redisUrl = env.REDIS_URL;
  if (!gameId || !redisUrl) throw new Error("GAME_ID and REDIS_URL are required: a grid game reads its workers from the game-creator's table in Redis");
  const namespace = env.POMONA_NAMESPACE ?? "default";
  const tickHz = numberOrUndefined(env.TICK_HZ) ?? 10;
  const redis = createRedisClient({ url: redisUrl });
  const subscriber = createRedisClient({ url: redisUrl });
  await Promise.all([redis.connect(), subscriber.connect()]);
  const directory = new WorkerDirectory({ redis, subscriber, namespace, gameId });
  await directory.start();
  const turns = new TurnClient(numberOrUndefined(env.TURN_TIMEOUT_MS) ?? Math.floor((1000 / tickHz) * 0.8));
  const game = createGridGame(directory, turns);
  const server = new GameServer(game, {
    id: env.SERVER_ID ?? `game-${gameId}`,
    host: env.HOST ?? "127.0.0.1",
    port: Number(env.PORT ?? "0"),
    tickHz,
    gameId,
    ...(env.GAME_SETTINGS ? { settings: env.GAME_SETTINGS } : {}),
    ...(env.POMONA_ROUTES ? { routes: env.POMONA_ROUTES.split(",").filter(Boolean) } : {}),
    ...(env.HTTP_PORT ? { httpPort: Number(env.HTTP_PORT) } : {}),
    ...(env.HTTP_HOST ? { httpHost: env.HTTP_HOST } : {}),
    discovery: { redis: { url: redisUrl }, namespace },
  });
  const address = await server.start();
  void server.identityLost.then(async (reason) => {
    printEvent("identity-lost", { reason });
    await server.stop().catch(() => undefined);
    process.exit(1);
  });
  const times = server.runtime.state.times;
  return {
    ready: { id: server.config.id, host: server.config.host, port: address.port, tickHz: server.tickHz, gameId, ...(server.http ? { httpPort: server.http.port } : {}) },
    stats: () => ({
      ...server.stats(),
      viewers: server.viewers?.counters.viewers ?? 0,
      turns: { ...turns.counters },
      tickWorkP50Ms: percentile(times.workMs, 50),
      tickWorkP99Ms: percentile(times.workMs, 99),
      tickIntervalP50Ms: percentile(times.intervalMs, 50),
      tickIntervalP99Ms: percentile(times.intervalMs, 99),
      tickIntervalMaxMs: percentile(times.intervalMs, 100),
      avatars: [...server.runtime.state.world.avatars.values()].map((a) => ({ player: a.player, status: a.status, reason: a.reason, score: a.score, moves: a.moves })),
    }),
    stop: async () => {
      directory.stop();
      turns.close();
      await server.stop();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}

runServerProcess("grid", env.SERVER_ID ?? `game-${env.GAME_ID ?? "grid"}`, start, numberOrUndefined(env.STATS_INTERVAL_MS));
