/**
 * Viewer mode of the demo page in headless Chromium: `/?view=<id>` from the gate opens the game's
 * viewer WebSocket through nginx at /game-<id> and draws each tick, including a bot the sandbox
 * stopped (with its reason).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { BAD_BOTS, GOOD_BOT } from "../../scripts/bench/workers-scenario";
import { creatorApi } from "../../scripts/local-cluster/creator-client";
import type { PomonaClient } from "../../services/src/client";
import { buildTestSite, launchChromium } from "../helpers/chromium";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { freePortRange } from "../helpers/ports";
import { waitUntil } from "../helpers/wait";

interface ViewerState {
  status: string;
  frames: number;
  tickRateHz: number;
  server: string;
  replicas: string[];
  arenaPlayers: number;
  bots: Array<{ player: string; status: string; reason?: string }>;
}

describe("demo page in viewer mode (headless Chromium, through nginx)", function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let browser: Browser;
  let siteDir: string;
  let token: string;

  before(async function () {
    siteDir = await buildTestSite();
    token = randomBytes(24).toString("base64url");
    cluster = await startTestCluster({ mode: "subdomain", connectors: 1, games: 1, siteDir, gameCreator: true, creatorToken: token, creatorPort: await freePortRange(1), startGames: [{ id: "duo", type: "arena", replicas: 2 }] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await cluster?.dispose();
    if (siteDir) rmSync(siteDir, { recursive: true, force: true });
  });

  it("/?view=<id> watches a grid game created through the API: ticks at the game's rate, its bots, a stopped bot's reason", async function () {
    const api = creatorApi(cluster.plan.urls.gameCreator!, token);
    assert.equal((await api.create({ id: "watched", type: "grid" })).status, 201);
    await api.waitReady("watched", 60_000);
    for (const player of ["ann", "bob"]) await api.submit("watched", player, GOOD_BOT);
    await api.submit("watched", "mallory", BAD_BOTS["bad-fs"].code);

    const page = await browser.newPage();
    const sockets: string[] = [];
    const errors: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    page.on("pageerror", (error) => errors.push(error.message));
    const proxyPort = cluster.plan.options.proxyPort;
    await page.goto(`http://localhost:${cluster.plan.options.gatePort}/?view=watched&viewer=ws://localhost:${proxyPort}`);
    const state = () => page.evaluate(() => (globalThis as unknown as { pomonaViewer: ViewerState }).pomonaViewer);
    await waitUntil(async () => {
      const s = await state();
      return s.tickRateHz >= 8 && s.bots.length === 3 && s.bots.some((b) => b.status === "stopped");
    }, 60_000, "viewer shows 3 bots at the tick rate, one stopped", 200);
    const seen = await state();
    assert.equal(seen.status, "watching");
    assert.deepEqual(sockets, [`ws://localhost:${proxyPort}/game-watched`]);
    assert.match(seen.bots.find((b) => b.player === "mallory")!.reason!, /sandbox violation: require\("fs"\)/);
    assert.match(await page.textContent("#player-list") ?? "", /mallory: 0 — stopped: sandbox violation/);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: path.join(os.tmpdir(), "pomona-viewer.png") });
    await page.close();
  });

  it("/?view=duo watches both replicas of npm start's two-replica arena: both listed, every duo player drawn", async function () {
    const players: PomonaClient[] = [];
    try {
      const duoPlayers = new Map<string, number>();
      for (let i = 1; i <= 24 && duoPlayers.size < 2; i++) {
        const player = cluster.client(`watched-${i}`);
        players.push(player);
        await player.connect();
        const { server } = await player.request<{ server: string }>("arena.room.join", { name: `watched-${i}` });
        if (server.startsWith("game-duo-")) duoPlayers.set(server, (duoPlayers.get(server) ?? 0) + 1);
      }
      assert.equal(duoPlayers.size, 2, "players reached both replicas of duo");
      const page = await browser.newPage();
      await page.goto(`http://localhost:${cluster.plan.options.gatePort}/?view=duo&viewer=ws://localhost:${cluster.plan.options.proxyPort}`);
      const total = [...duoPlayers.values()].reduce((a, b) => a + b, 0);
      const state = () => page.evaluate(() => (globalThis as unknown as { pomonaViewer: ViewerState }).pomonaViewer);
      // The state and the status line are drawn on the page's own schedule: wait for both.
      const serverLine = /^game-duo-[12]-\w+ \(\+ 1 other replica\(s\) in view\)$/;
      await waitUntil(async () => {
        const s = await state();
        return s.replicas.length === 2 && s.arenaPlayers === total && serverLine.test((await page.textContent("#server")) ?? "");
      }, 30_000, `the page shows both replicas, ${total} players and the replica it reached`, 200);
      const seen = await state();
      assert.deepEqual([...seen.replicas].sort(), [...duoPlayers.keys()].sort());
      await page.screenshot({ path: path.join(os.tmpdir(), "pomona-viewer-duo.png") });
      await page.close();
    } finally {
      for (const player of players) player.close();
    }
  });
});
