/**
 * Runs the benchmark game server as its own process, as the image runs every game
 * (`node services/dist/games/bench/main.js`).
 *
 * Flags and variables: --redis REDIS_URL, --id SERVER_ID, --host HOST, --port PORT, --namespace
 * POMONA_NAMESPACE, --tick-hz TICK_HZ (20), --workload BENCH_WORKLOAD (broadcast | per-player |
 * mixed), --players BENCH_STATE_PLAYERS (10: entries in the state broadcast). Prints `ready`, and
 * `stats` on SIGUSR2.
 */
import { parseArgs } from "node:util";
import { GameServer, runServerProcess, type RunningServer } from "@pomona/server";
import { BENCH_WORKLOADS, benchGame, type BenchWorkload } from "./game";

const { values } = parseArgs({
  options: {
    redis: { type: "string", default: process.env.REDIS_URL },
    id: { type: "string", default: process.env.SERVER_ID ?? "bench-1" },
    host: { type: "string", default: process.env.HOST ?? "127.0.0.1" },
    port: { type: "string", default: process.env.PORT ?? "0" },
    namespace: { type: "string", default: process.env.POMONA_NAMESPACE },
    "tick-hz": { type: "string", default: process.env.TICK_HZ ?? "20" },
    workload: { type: "string", default: process.env.BENCH_WORKLOAD ?? "broadcast" },
    players: { type: "string", default: process.env.BENCH_STATE_PLAYERS ?? "10" },
  },
});

async function start(): Promise<RunningServer> {
  const workload = values.workload as BenchWorkload;
  if (!BENCH_WORKLOADS.includes(workload)) throw new Error(`--workload / BENCH_WORKLOAD: one of ${BENCH_WORKLOADS.join(", ")}, got "${values.workload}"`);
  const server = new GameServer(benchGame(workload, Number(values.players), Number(values["tick-hz"])), {
    id: values.id,
    host: values.host,
    port: Number(values.port),
    ...(values.redis ? { discovery: { redis: { url: values.redis }, ...(values.namespace ? { namespace: values.namespace } : {}) } } : {}),
  });
  const address = await server.start();
  return {
    ready: { id: server.config.id, host: server.config.host, port: address.port, tickHz: server.tickHz, workload },
    stats: () => ({ ...server.stats() }),
    stop: () => server.stop(),
  };
}

runServerProcess("bench", values.id!, start);
