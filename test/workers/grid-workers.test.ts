/**
 * Issue 6's workers acceptance, shortened for the suite (`npm run bench:workers` runs it for 30 s):
 * a grid game created through the game-creator of a local cluster; 20 bots submitted through the API
 * play it, each in its own worker (a supervisor and its sandbox process); six more misbehave — among
 * them issue 11's escapes: import() past a source filter with the constructor escape, a string
 * flattened past the process's memory — and are stopped with a reason while the others keep playing
 * and the tick rate holds. Watched through nginx's /game-<id>.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { BAD_BOTS, JOIN_TIMEOUT_MS, runWorkersScenario } from "../../scripts/bench/workers-scenario";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { freePortRange } from "../helpers/ports";
import { creatorApi, pidsOfGame, rssMb, Viewer } from "../game-creator/creator-client";

const SECONDS = Number(process.env.WORKERS_TEST_SECONDS ?? 10);
const GOOD_BOTS = 20;
/**
 * The worst 100-tick window's p99 tick interval at 10 Hz, and the share of the window's ticks in
 * which a good bot changed square. Measured with this scenario on 2 cores: p99 104, 118, 126, 141 ms
 * (4 runs, 24 workers, before issue 11); 149 ms and 240 ms (26 workers, load average 20 and 30 from
 * other sessions' suites); moves 0.86 and 0.65 of the ticks in those two runs. Bounds above the worst.
 */
const TICK_INTERVAL_P99_BOUND_MS = 300;
const MOVES_PER_TICK_BOUND = 0.5;
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
};

describe("workers: bots submitted through the game-creator play a grid game (local cluster, real processes)", function () {
  this.timeout(120_000 + JOIN_TIMEOUT_MS + SECONDS * 1000);
  let cluster: TestCluster;
  const viewers: Viewer[] = [];

  before(async function () {
    const token = randomBytes(24).toString("base64url");
    cluster = await startTestCluster({ mode: "subdomain", connectors: 1, games: 1, gameCreator: true, creatorToken: token, creatorPort: await freePortRange(1) });
    (this as unknown as { token: string }).token = token;
  });

  after(async function () {
    for (const viewer of viewers) viewer.close();
    await cluster?.dispose();
  });

  it(`${GOOD_BOTS} bots play for ${SECONDS} s; an endless loop, unbounded allocation, require('fs'), fetch, import() with the constructor escape and a native allocation are stopped with their reasons; the tick rate holds`, async function () {
    const api = creatorApi(cluster.plan.urls.gameCreator!, (this as unknown as { token: string }).token);
    const proxy = cluster.plan.urls.proxy!.replace("http://", "ws://");
    const result = await runWorkersScenario({
      api,
      gameId: "bots",
      seconds: SECONDS,
      goodBots: GOOD_BOTS,
      openViewer: async (id) => {
        const viewer = new Viewer(`${proxy}/game-${id}`);
        viewers.push(viewer);
        await viewer.opened();
        return viewer;
      },
    });
    const processes = pidsOfGame("bots");
    const memory = rssMb(processes);
    console.log(
      `      workers in the game ${result.workersReadyMs} ms after submitting; ${result.frames} frames (${result.framesPerSec}/s); tick interval p50 ${result.tickIntervalP50Ms} ms p99 ${result.tickIntervalP99Ms} ms; onTick p99 ${result.tickWorkP99Ms} ms; viewer gap p99 ${result.viewerGapP99Ms} ms; ${processes.length} processes, ${memory.total} MB RSS (${memory.each} MB each); ${result.movesPerGoodBot} moves per good bot in ${result.ticks} ticks`,
    );
    for (const [player, bot] of Object.entries(BAD_BOTS)) assert.match(result.stopped[player] ?? "(still playing)", bot.reason, `${player}: ${JSON.stringify(result.stopped)}`);
    assert.deepEqual(Object.keys(result.stopped).sort(), Object.keys(BAD_BOTS).sort(), `only the misbehaving bots were stopped: ${JSON.stringify(result.stopped)}`);
    assert.equal(result.goodBotsStillPlaying, GOOD_BOTS, "every good bot kept moving, and the server kept applying its turns, to the end");
    assert.deepEqual(result.reincarnated, [], "no avatar was created again during the run: the server lost no player's state");
    assert.ok(result.movesPerGoodBot >= result.ticks * MOVES_PER_TICK_BOUND, `good bots moved ${result.movesPerGoodBot} squares in the window's ${result.ticks} ticks`);
    assert.ok(result.framesPerSec >= 9.5, `viewer frames per second ${result.framesPerSec}`);
    assert.ok(result.tickIntervalP99Ms < TICK_INTERVAL_P99_BOUND_MS, `tick interval p99 ${result.tickIntervalP99Ms} ms at 10 Hz`);
    const supervisors = processes.filter((pid) => commandOf(pid).includes("worker-main.js"));
    assert.equal(processes.filter((pid) => commandOf(pid).includes("games/grid/main")).length, 1, "one game server");
    assert.equal(supervisors.length, GOOD_BOTS + Object.keys(BAD_BOTS).length, "one supervisor per worker, the one whose sandbox process died included");
  });
});
