/**
 * The game-creator in the local cluster (`npm start`'s code, on free ports): games created through
 * the API become ready, their viewer WebSocket is reachable through the real nginx at /game-<id>,
 * and deleting one removes its processes and its route and nothing else.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { freePortRange } from "../helpers/ports";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { waitUntil } from "../helpers/wait";
import { creatorApi, pidsOfGame, Viewer } from "./creator-client";

describe("game-creator in the local cluster (real nginx, real processes)", function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let api: ReturnType<typeof creatorApi>;
  let proxy: string;
  const viewers: Viewer[] = [];

  before(async function () {
    const token = randomBytes(24).toString("base64url");
    cluster = await startTestCluster({ mode: "subdomain", connectors: 1, games: 1, gameCreator: true, creatorToken: token, creatorPort: await freePortRange(1) });
    api = creatorApi(cluster.plan.urls.gameCreator!, token);
    proxy = cluster.plan.urls.proxy!.replace("http://", "ws://");
  });

  after(async function () {
    for (const viewer of viewers) viewer.close();
    await cluster?.dispose();
  });

  const routesFile = () => fs.readFileSync(path.join(cluster.nginx!.prefix, "games.conf"), "utf8");

  it("creates 3 games; each becomes ready and its viewer at /game-<id> through nginx receives ticks; deleting one removes its processes and route only", async function () {
    const ids = ["alpha", "bravo", "charlie"];
    const started = Date.now();
    for (const id of ids) assert.equal((await api.create({ id, type: "arena", tickHz: 10 })).status, 201);
    const readyMs = await Promise.all(ids.map((id) => api.waitReady(id, 60_000)));
    console.log(`      3 games ready after ${readyMs.map((ms) => `${ms} ms`).join(", ")} (all within ${Date.now() - started} ms)`);

    for (const id of ids) {
      const viewer = new Viewer(`${proxy}/game-${id}`);
      viewers.push(viewer);
      await viewer.opened();
    }
    await waitUntil(() => viewers.every((v) => v.frames.length >= 5), 10_000, "5 ticks on every viewer");
    for (const [i, viewer] of viewers.entries()) {
      const ticks = viewer.frames.map((f) => f.tick);
      assert.ok(ticks.every((tick, j) => j === 0 || tick === ticks[j - 1] + 1), `consecutive ticks on ${ids[i]}: ${ticks.join(",")}`);
      assert.match(viewer.frames[0].server, new RegExp(`^game-${ids[i]}-1-`));
    }

    const pidsBefore = Object.fromEntries(ids.map((id) => [id, pidsOfGame(id)]));
    for (const id of ids) assert.equal(pidsBefore[id].length, 1, `one game-server process for ${id}`);
    assert.equal((await api.remove("bravo")).status, 202);
    await api.waitGone("bravo", 20_000);
    assert.deepEqual(pidsOfGame("bravo"), [], "bravo's processes are gone");
    assert.doesNotMatch(routesFile(), /game-bravo/);
    await waitUntil(async () => (await fetch(`${cluster.plan.urls.proxy}/game-bravo`)).status === 404, 5_000, "nginx answers 404 on /game-bravo");
    assert.notEqual(viewers[1].closed, undefined, "bravo's viewer was closed");

    const counts = [viewers[0].frames.length, viewers[2].frames.length];
    await waitUntil(() => viewers[0].frames.length > counts[0] + 5 && viewers[2].frames.length > counts[1] + 5, 5_000, "the others keep ticking");
    assert.equal(viewers[0].closed, undefined);
    assert.equal(viewers[2].closed, undefined);
    assert.deepEqual(pidsOfGame("alpha"), pidsBefore.alpha);
    assert.deepEqual(pidsOfGame("charlie"), pidsBefore.charlie);
    assert.match(routesFile(), /location = \/game-alpha /);
    assert.match(routesFile(), /location = \/game-charlie /);
  });
});
