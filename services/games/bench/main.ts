/**
 * Runs the benchmark game server as its own process, as the image runs every game
 * (`node services/dist/games/bench/main.js`).
 *
 * Flags and variables: --redis REDIS_URL, --id SERVER_ID, --host HOST, --port PORT, --namespace
 * POMONA_NAMESPACE, --tick-hz TICK_HZ (20), --workload BENCH_WORKLOAD (broadcast | per-player |
 * mixed), --players BENCH_STATE_PLAYERS (10: entries in the state broadcast). Prints `ready`, and
 * `stats` on SIGUSR2.
 */
import { GameServer, parseCommandLine, runServerProcess, type RunningServer } from "@pomona/server";
import { BENCH_WORKLOADS, benchGame, type BenchWorkload } from "./game";

const CLI = {
  command: "node services/dist/games/bench/main.js",
  summary: "The game server `npm run bench:broadcast` runs: each tick a state broadcast, a message per player, or both. Every flag has an environment variable. Prints ready, and stats on SIGUSR2.",
  flags: {
    redis: { type: "string", value: "URL", env: "REDIS_URL", help: "Redis for discovery (absent: no discovery)" },
    id: { type: "string", value: "ID", env: "SERVER_ID", default: "bench-1", help: "this server's id" },
    host: { type: "string", value: "ADDR", env: "HOST", default: "127.0.0.1", help: "address published in discovery" },
    port: { type: "string", value: "P", env: "PORT", default: "0", help: "RPC port (0: any free port)" },
    namespace: { type: "string", value: "NS", env: "POMONA_NAMESPACE", help: "discovery namespace" },
    "tick-hz": { type: "string", value: "HZ", env: "TICK_HZ", default: "20", help: "ticks per second" },
    workload: { type: "string", value: "NAME", env: "BENCH_WORKLOAD", default: "broadcast", help: "broadcast | per-player | mixed" },
    players: { type: "string", value: "N", env: "BENCH_STATE_PLAYERS", default: "10", help: "entries in the state broadcast" },
  },
  examples: ["npx tsx services/games/bench/main.ts --redis redis://127.0.0.1:6379 --port 4100 --workload mixed"],
} as const;
const { values } = parseCommandLine(CLI);

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

runServerProcess("bench", values.id, start);
