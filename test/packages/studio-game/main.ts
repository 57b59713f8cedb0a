/** The tiny game's server process, as a studio image runs it: `node dist/main.js` with REDIS_URL, SERVER_ID, PORT. */
import { GameServer, numberOrUndefined, redisFromEnv, runServerProcess, type RunningServer } from "@pomona/server";
import { tiny } from "./game";

const env = process.env;

async function start(): Promise<RunningServer> {
  const server = new GameServer(tiny, {
    id: env.SERVER_ID ?? "tiny-1",
    host: "127.0.0.1",
    port: numberOrUndefined(env.PORT) ?? 0,
    discovery: { redis: redisFromEnv(env.REDIS_URL ?? "redis://127.0.0.1:6379"), namespace: env.POMONA_NAMESPACE ?? "default" },
  });
  const address = await server.start();
  return { ready: { id: server.config.id, port: address.port }, stats: () => ({ ...server.stats() }), stop: () => server.stop() };
}

runServerProcess("tiny", env.SERVER_ID ?? "tiny-1", start);
