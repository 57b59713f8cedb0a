/**
 * `npm run bench:workers`: issue 6's workers acceptance at full length on a fresh local cluster
 * (redis, a connector, the gate, nginx, the game-creator): a grid game, 20 well-behaved bots and the 6
 * misbehaving ones (BAD_BOTS of scripts/bench/workers-scenario.ts) for 30 s, watched
 * through nginx's /game-<id>. Prints a table and one JSON line.
 *
 *   npm run bench:workers -- [--seconds 30] [--good 20]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { integerFlag, parseCommandLine } from "../services/src/cli";
import { creatorApi, Viewer } from "./local-cluster/creator-client";
import { startLocalCluster } from "./local-cluster/cluster";
import { planLocalCluster } from "./local-cluster/plan";
import { freePortRange } from "./local-cluster/ports";
import { BAD_BOTS, runWorkersScenario } from "./bench/workers-scenario";

const CLI = {
  command: "npm run bench:workers --",
  summary: "A grid game through the game-creator on a fresh local cluster: well-behaved bots plus misbehaving ones in sandboxed workers, watched through nginx's /game-<id>. Prints a table and one JSON line (docs/workers.md).",
  flags: {
    seconds: { type: "string", value: "S", default: "30", help: "seconds of play" },
    good: { type: "string", value: "N", default: "20", help: "well-behaved bots" },
  },
  examples: ["npm run bench:workers -- --seconds 10 --good 5"],
} as const;
const { values } = parseCommandLine(CLI);
const SECONDS = integerFlag(CLI, "seconds", values.seconds, 1, 3_600);
const GOOD_BOTS = integerFlag(CLI, "good", values.good, 1, 200);

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "pomona-bench-workers-"));
  const token = randomBytes(24).toString("base64url");
  const plan = planLocalCluster({
    mode: "subdomain",
    connectors: 1,
    games: 1,
    gameCreator: true,
    creatorToken: token,
    tokenSecret: randomBytes(48).toString("base64url"),
    redisPassword: randomBytes(24).toString("base64url"),
    workDir,
    gatePort: await freePortRange(1),
    connectorPort: await freePortRange(1),
    gamePort: await freePortRange(1),
    gameHttpPort: await freePortRange(1),
    chatPort: await freePortRange(1),
    chatHttpPort: await freePortRange(1),
    proxyPort: await freePortRange(1),
    redisPort: await freePortRange(1),
    creatorPort: await freePortRange(1),
  });
  const cluster = await startLocalCluster(plan, { log: null });
  const viewers: Viewer[] = [];
  try {
    const api = creatorApi(plan.urls.gameCreator!, token);
    const proxy = plan.urls.proxy!.replace("http://", "ws://");
    const result = await runWorkersScenario({
      api,
      gameId: "bench",
      seconds: SECONDS,
      goodBots: GOOD_BOTS,
      openViewer: async (id) => {
        const viewer = new Viewer(`${proxy}/game-${id}`);
        viewers.push(viewer);
        await viewer.opened();
        return viewer;
      },
    });
    console.log(`workers ready (all ${result.goodBots + Object.keys(BAD_BOTS).length} in the game) ${result.workersReadyMs} ms after submitting their code`);
    console.log(`${result.seconds} s of play: ${result.frames} viewer frames (${result.framesPerSec}/s), good bots still playing ${result.goodBotsStillPlaying}/${result.goodBots}, ${result.movesPerGoodBot} moves each in ${result.ticks} ticks`);
    console.log(`tick interval p50 ${result.tickIntervalP50Ms} ms, p99 ${result.tickIntervalP99Ms} ms (period 100 ms); onTick work p99 ${result.tickWorkP99Ms} ms; viewer frame gap p99 ${result.viewerGapP99Ms} ms`);
    for (const [player, reason] of Object.entries(result.stopped)) console.log(`stopped ${player.padEnd(10)} ${reason}`);
    console.log(JSON.stringify({ bench: "workers", ...result }));
  } finally {
    for (const viewer of viewers) viewer.close();
    await cluster.stop(3_000);
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
