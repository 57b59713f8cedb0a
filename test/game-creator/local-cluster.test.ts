/**
 * The game-creator in the local cluster (`npm start`'s code, on free ports): games created through
 * the API become ready, their viewer WebSocket is reachable through the real nginx at /game-<id>,
 * and deleting one removes its processes and its route and nothing else.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { assertNoAclDenial } from "../helpers/acl-log";
import { freePortRange } from "../helpers/ports";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { waitUntil } from "../helpers/wait";
import { creatorApi, pidsOfGame, rssMb, Viewer } from "./creator-client";

const CONCURRENT_GAMES = Number(process.env.CONCURRENT_GAMES ?? 50);

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
    await assertNoAclDenial(cluster.plan.redis.url);
  });

  it("answers bad input with a 4xx and a reason, and creates nothing", async function () {
    const before = (await api.list()).body.games.map((g: { id: string }) => g.id);
    const cases: Array<[string, Promise<{ status: number; body: any }>, number, RegExp]> = [
      ["unknown type", api.create({ id: "x1", type: "chess" }), 400, /unknown game type "chess"; known types: arena, grid/],
      ["bad id characters", api.create({ id: "Bad_Id!", type: "arena" }), 400, /DNS-1123 label/],
      ["id too long", api.create({ id: "a".repeat(31), type: "arena" }), 400, /at most 30 characters/],
      ["duplicate id", api.create({ id: "alpha", type: "arena" }), 409, /already exists/],
      ["unknown field", api.create({ id: "x2", type: "arena", image: "evil" }), 400, /Unrecognized key/i],
      ["too many replicas", api.create({ id: "x3", type: "grid", replicas: 2 }), 400, /at most 1 replica/],
      ["not JSON", api.call("POST", "/games", "{nope", { "Content-Type": "application/json" }), 400, /not valid JSON/],
      ["huge body", api.call("POST", "/games", JSON.stringify({ id: "x4", type: "arena", settings: { big: "x".repeat(300_000) } })), 413, /at most \d+ bytes/],
      ["missing auth", fetch(`${cluster.plan.urls.gameCreator}/games`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"id":"x5","type":"arena"}' }).then(async (r) => ({ status: r.status, body: await r.json() })), 401, /missing Authorization/],
      ["wrong token", creatorApi(cluster.plan.urls.gameCreator!, "wrong-token-wrong-token").create({ id: "x6", type: "arena" }), 401, /invalid bearer token/],
      ["code for a game without workers", api.submit("alpha", "p1", "function turn(){}"), 400, /no per-player workers/],
      ["code too big", api.submit("alpha", "p1", "x".repeat(70_000)), 400, /at most 65536 bytes/],
      ["unknown game", api.get("nope"), 404, /no game "nope"/],
    ];
    for (const [what, reply, status, reason] of cases) {
      const { status: got, body } = await reply;
      assert.equal(got, status, `${what}: ${JSON.stringify(body)}`);
      assert.match(String(body.reason), reason, what);
    }
    const after = (await api.list()).body.games.map((g: { id: string }) => g.id);
    assert.deepEqual(after, before, "no game was created");
    for (const id of ["x1", "x2", "x3", "x4", "x5", "x6"]) assert.deepEqual(pidsOfGame(id), [], `no process for ${id}`);
  });

  it(`creates ${CONCURRENT_GAMES} games concurrently: all ready, one route each, no orphan after deleting them`, async function () {
    const ids = Array.from({ length: CONCURRENT_GAMES }, (_, i) => `many-${i}`);
    const started = Date.now();
    const created = await Promise.all(ids.map((id) => api.create({ id, type: "arena", tickHz: 2 })));
    assert.deepEqual(created.filter((reply) => reply.status !== 201), [], "every create answered 201");
    const readyMs = await Promise.all(ids.map((id) => api.waitReady(id, 150_000)));
    const allReadyMs = Date.now() - started;
    const routes = routesFile().match(/location = \/game-[a-z0-9-]+ /g) ?? [];
    assert.equal(new Set(routes).size, routes.length, "no duplicate route");
    for (const id of ids) assert.equal(routes.filter((line) => line === `location = /game-${id} `).length, 1, `one route for ${id}`);
    const pids = ids.flatMap((id) => pidsOfGame(id));
    assert.equal(pids.length, CONCURRENT_GAMES, "one process per game");
    const memory = rssMb(pids);
    const sample = await Promise.all(ids.slice(0, 5).map(async (id) => (await fetch(`${cluster.plan.urls.proxy}/game-${id}`)).json() as Promise<{ game: string }>));
    assert.deepEqual(sample.map((s) => s.game), ids.slice(0, 5));
    console.log(`      ${CONCURRENT_GAMES} games ready in ${allReadyMs} ms (p50 ${percentile(readyMs, 50)} ms, max ${Math.max(...readyMs)} ms); game servers' RSS ${memory.total} MB total, ${memory.each} MB each`);

    const deleting = Date.now();
    await Promise.all(ids.map((id) => api.remove(id)));
    await Promise.all(ids.map((id) => api.waitGone(id, 60_000)));
    console.log(`      ${CONCURRENT_GAMES} games deleted in ${Date.now() - deleting} ms`);
    for (const id of ids) assert.deepEqual(pidsOfGame(id), [], `no orphan process of ${id}`);
    assert.doesNotMatch(routesFile(), /game-many-/, "no orphan route");
  });
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
