/**
 * Issue 6's workers acceptance, shortened for the suite (`npm run bench:workers` runs it for 30 s):
 * a grid game created through the game-creator of a local cluster; 20 bots submitted through the API
 * play it, each in its own worker process; four more misbehave and are stopped by the sandbox with a
 * reason while the others keep playing and the tick rate holds. Watched through nginx's /game-<id>.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { BAD_BOTS, runWorkersScenario } from "../../scripts/bench/workers-scenario";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { freePortRange } from "../helpers/ports";
import { creatorApi, pidsOfGame, rssMb, Viewer } from "../game-creator/creator-client";

const SECONDS = Number(process.env.WORKERS_TEST_SECONDS ?? 10);
const GOOD_BOTS = 20;

describe("workers: bots submitted through the game-creator play a grid game (local cluster, real processes)", function () {
  this.timeout(120_000 + SECONDS * 1000);
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

  it(`${GOOD_BOTS} bots play for ${SECONDS} s; an endless loop, unbounded allocation, require('fs') and fetch are stopped with their reasons; the tick rate holds`, async function () {
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
      `      workers in the game ${result.workersReadyMs} ms after submitting; ${result.frames} frames (${result.framesPerSec}/s); tick interval p50 ${result.tickIntervalP50Ms} ms p99 ${result.tickIntervalP99Ms} ms; onTick p99 ${result.tickWorkP99Ms} ms; viewer gap p99 ${result.viewerGapP99Ms} ms; ${processes.length} processes, ${memory.total} MB RSS (${memory.each} MB each)`,
    );
    for (const [player, bot] of Object.entries(BAD_BOTS)) assert.match(result.stopped[player] ?? "(still playing)", bot.reason, `${player}: ${JSON.stringify(result.stopped)}`);
    assert.deepEqual(Object.keys(result.stopped).sort(), Object.keys(BAD_BOTS).sort(), `only the misbehaving bots were stopped: ${JSON.stringify(result.stopped)}`);
    assert.equal(result.goodBotsStillPlaying, GOOD_BOTS, "every good bot kept moving to the end");
    assert.ok(result.movesPerGoodBot >= SECONDS * 10 * 0.8, `good bots moved ${result.movesPerGoodBot} times in ${SECONDS * 10} ticks`);
    assert.ok(result.framesPerSec >= 9.5, `viewer frames per second ${result.framesPerSec}`);
    assert.ok(result.tickIntervalP99Ms < 130, `tick interval p99 ${result.tickIntervalP99Ms} ms at 10 Hz`);
    assert.equal(processes.length, 1 + GOOD_BOTS + Object.keys(BAD_BOTS).length, "one game server and one process per worker");
  });
});
