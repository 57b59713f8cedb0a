/**
 * The browser demo in real headless Chromium (Debian's, driven by playwright-core): the page comes
 * from the gate, its WebSocket goes to `connector-N.localhost` through nginx, it receives ticks, and
 * a move made in one page shows up in another.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { buildTestSite, launchChromium } from "../helpers/chromium";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";

interface DemoState {
  uid: string;
  status: string;
  ticks: number;
  tickRateHz: number;
  latencyMs: number;
  connectorId: string;
  server: string;
  players: Array<{ name: string; x: number; y: number }>;
}

const demoState = (page: Page) => page.evaluate(() => (globalThis as unknown as { pomonaDemo: DemoState }).pomonaDemo);

describe("browser demo through the gate and the nginx subdomain proxy (headless Chromium)", function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let browser: Browser;
  let siteDir: string;

  before(async function () {
    siteDir = await buildTestSite();
    cluster = await startTestCluster({ mode: "subdomain", connectors: 2, games: 1, siteDir });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await cluster?.dispose();
    if (siteDir) rmSync(siteDir, { recursive: true, force: true });
  });

  async function open(uid: string): Promise<{ page: Page; sockets: string[]; errors: string[] }> {
    const page = await browser.newPage();
    const sockets: string[] = [];
    const errors: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    const response = await page.goto(`http://localhost:${cluster.plan.options.gatePort}/?uid=${uid}`);
    assert.equal(response?.status(), 200);
    await page.waitForFunction(() => (globalThis as unknown as { pomonaDemo?: DemoState }).pomonaDemo?.status === "playing" && (globalThis as unknown as { pomonaDemo: DemoState }).pomonaDemo.server !== "", undefined, { timeout: 15_000 });
    return { page, sockets, errors };
  }

  it("loads from the gate, plays through connector-N.localhost, shows ticks and latency, and one page sees the other's move", async () => {
    const alice = await open("alice");
    const bob = await open("bob");
    const proxyPort = cluster.plan.options.proxyPort;
    for (const { sockets } of [alice, bob]) {
      assert.equal(sockets.length, 1);
      assert.match(sockets[0]!, new RegExp(`^ws://connector-[01]\\.localhost:${proxyPort}/\\?token=`), "the socket went through the nginx subdomain proxy");
    }

    // Ticks arrive at the server's rate, and the page shows the rate and the latency.
    await alice.page.waitForFunction(() => (globalThis as unknown as { pomonaDemo: DemoState }).pomonaDemo.tickRateHz >= 15, undefined, { timeout: 10_000 });
    await alice.page.waitForFunction(() => Number.isFinite((globalThis as unknown as { pomonaDemo: DemoState }).pomonaDemo.latencyMs), undefined, { timeout: 10_000 });
    await alice.page.waitForFunction(() => (globalThis as unknown as { pomonaDemo: DemoState }).pomonaDemo.ticks >= 20, undefined, { timeout: 10_000 });
    const state = await demoState(alice.page);
    assert.match((await alice.page.textContent("#tick-rate")) ?? "", /^\d+ Hz$/);
    assert.match((await alice.page.textContent("#latency")) ?? "", /^\d+ ms$/);
    assert.equal(await alice.page.textContent("#connector"), state.connectorId);

    // Alice presses → three times; Bob's page sees her three steps to the right.
    const seenByBob = async () => (await demoState(bob.page)).players.find((player) => player.name === "alice");
    await bob.page.waitForFunction(() => (globalThis as unknown as { pomonaDemo: DemoState }).pomonaDemo.players.some((player) => player.name === "alice"), undefined, { timeout: 5_000 });
    const before = (await seenByBob())!;
    await alice.page.bringToFront();
    for (let step = 0; step < 3; step++) await alice.page.keyboard.press("ArrowRight");
    await bob.page.waitForFunction(
      (x) => (globalThis as unknown as { pomonaDemo: DemoState }).pomonaDemo.players.find((player) => player.name === "alice")?.x === x,
      Math.min(100, before.x + 3),
      { timeout: 5_000 },
    );
    assert.equal((await seenByBob())!.y, before.y);
    // Both pages drew both players.
    assert.match((await bob.page.textContent("#player-list")) ?? "", /alice \(\d+, \d+\)/);
    assert.deepEqual([...alice.errors, ...bob.errors], [], "no errors in either page");
  });
});
