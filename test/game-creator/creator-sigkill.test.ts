/**
 * A game-creator that dies without a word (SIGKILL: the OOM killer, `kill -9`) takes its local game
 * servers and workers with it: nothing of its games keeps running, holding ports and CPU, after it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildWorkerBundle } from "../../scripts/build-worker";
import { FixtureProcess } from "../helpers/child-process";
import { freePort } from "../helpers/ports";
import { RedisServer } from "../helpers/redis-server";
import { creatorApi, pidsOfGame } from "./creator-client";

const MAIN = path.resolve(__dirname, "../../services/src/roles/game-creator-main.ts");
const TOKEN = randomBytes(24).toString("base64url");

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("game-creator SIGKILLed: its local games and workers die with it", function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let creator: FixtureProcess;
  // Unique per run: processes are found machine-wide by their GAME_ID.
  const id = `killed-${process.pid}`;

  before(async function () {
    redis = await RedisServer.start();
    const port = await freePort();
    // The worker bundle the local cluster builds (a clean clone has no services/dist).
    const workerEntry = await buildWorkerBundle(mkdtempSync(path.join(os.tmpdir(), "pomona-worker-")));
    creator = FixtureProcess.start(MAIN, { REDIS_URL: redis.url, CREATOR_TOKEN: TOKEN, HOST: "127.0.0.1", PORT: String(port), BACKEND: "local", POMONA_NAMESPACE: "sigkill", WORKER_ENTRY: workerEntry });
    await creator.waitFor("ready", 30_000);
    const api = creatorApi(`http://127.0.0.1:${port}`, TOKEN);
    assert.equal((await api.create({ id, type: "grid", tickHz: 2 })).status, 201);
    await api.waitReady(id, 60_000);
    assert.equal((await api.submit(id, "ann", "function turn() { return { move: 'up' }; }")).status, 202);
  });

  after(async function () {
    await creator?.stop(5_000);
    await redis?.stop();
  });

  it("the game server, the worker's supervisor and its sandbox process are gone within 5 s", async function () {
    // The game server, the worker's supervisor, and its sandbox (unshare and the node it forked).
    const running = await until("the game and its worker running", 60_000, () => {
      const pids = pidsOfGame(id);
      return pids.length >= 4 ? pids : undefined;
    });
    await creator.kill();
    const started = Date.now();
    // Measured: gone 0.1–0.3 s after the kill (the kernel's parent-death signal, then each process's exit).
    await until(`processes ${running.join(", ")} of ${id} gone`, 5_000, () => (pidsOfGame(id).length === 0 ? true : undefined));
    console.log(`      ${running.length} processes of ${id} gone ${Date.now() - started} ms after the creator's SIGKILL`);
  });
});
