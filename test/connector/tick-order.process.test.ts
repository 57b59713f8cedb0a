import assert from "node:assert/strict";
import path from "node:path";
import { Message, Package, type PomeloPackage } from "pomelo-protocol";
import WebSocket from "ws";
import { FixtureProcess } from "../helpers/child-process";
import { TestClient } from "../helpers/pomelo-client";
import { freePort } from "../helpers/ports";
import { RedisServer } from "../helpers/redis-server";
import { waitUntil } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "../..");
const PACKAGE_TYPE = { handshake: 1, handshakeAck: 2, data: 4 } as const;
const MESSAGE_TYPE = { request: 0, push: 3 } as const;

/** The pushes of one WebSocket message as [route, tick], in order. */
type Frame = Array<[route: string, tick: number]>;

/** A client on NetEase's reference codec alone: it joins the bench room and records each message's pushes. */
async function referenceClient(port: number): Promise<{ frames: Frame[]; close(): void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  const frames: Frame[] = [];
  let joined = false;
  socket.on("message", (data: Buffer) => {
    const decoded = Package.decode(data) as PomeloPackage | PomeloPackage[];
    const frame: Frame = [];
    for (const pkg of Array.isArray(decoded) ? decoded : [decoded]) {
      if (pkg.type === PACKAGE_TYPE.handshake) {
        socket.send(Package.encode(PACKAGE_TYPE.handshakeAck));
        socket.send(Package.encode(PACKAGE_TYPE.data, Message.encode(1, MESSAGE_TYPE.request, 0, "bench.room.join", Buffer.from("{}"))));
      } else if (pkg.type === PACKAGE_TYPE.data) {
        const message = Message.decode(pkg.body!);
        if (message.type === MESSAGE_TYPE.push) frame.push([String(message.route), (JSON.parse(message.body!.toString("utf8")) as { k: number }).k]);
        else joined = true;
      }
    }
    if (frame.length > 0) frames.push(frame);
  });
  await new Promise((resolve) => socket.once("open", resolve));
  socket.send(Package.encode(PACKAGE_TYPE.handshake, Buffer.from(JSON.stringify({ sys: { type: "js-websocket", version: "0.0.1" }, user: {} }))));
  await waitUntil(() => joined, 5_000, "reference client joined");
  return { frames, close: () => socket.terminate() };
}

/** Every message holds the state then the player's own push of one tick, and ticks follow each other without a gap. */
function assertOneMessagePerTick(frames: readonly Frame[], who: string): void {
  assert.ok(frames.length >= 10, `${who}: ${frames.length} ticks received`);
  frames.forEach((frame, index) => {
    const tick = frame[0]![1];
    assert.deepEqual(frame, [["onState", tick], ["onMine", tick]], `${who}: message ${index}`);
    if (index > 0) assert.equal(tick, frames[index - 1]![0]![1] + 1, `${who}: tick after ${frames[index - 1]![0]![1]}`);
  });
}

describe("tick fan-out through real processes: a game server broadcasting and pushing to each player, one connector", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let game: FixtureProcess;
  let connector: FixtureProcess;
  let port: number;

  before(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, POMONA_NAMESPACE: "ordertest", HOST: "127.0.0.1" };
    game = FixtureProcess.start(path.join(ROOT, "services/games/bench/main.ts"), { ...env, SERVER_ID: "bench-1", PORT: String(await freePort()), BENCH_WORKLOAD: "mixed", TICK_HZ: "20" });
    await game.waitFor("ready", 20_000);
    port = await freePort();
    connector = FixtureProcess.start(path.join(ROOT, "services/src/roles/connector-main.ts"), { ...env, SERVER_ID: "connector-0", PORT: String(port) });
    await connector.waitFor("ready", 20_000);
  });
  after(async () => {
    await connector?.kill();
    await game?.kill();
    await redis?.dispose();
  });

  it("every player gets one WebSocket message per tick holding the broadcast then its own push, in tick order; pomelo-protocol decodes it", async () => {
    const players = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const client = await TestClient.ready(port);
        // Pushes grouped by the WebSocket message that carried them (TestClient decodes one message at a time).
        const byMessage = new Map<number, Frame>();
        client.recordPushes = false;
        client.onPush = (route, body) => {
          const index = client.messages.length - 1;
          const frame = byMessage.get(index) ?? [];
          frame.push([route, (body as { k: number }).k]);
          byMessage.set(index, frame);
        };
        assert.deepEqual(await client.request("bench.room.join"), { code: 200 });
        return { client, frames: () => [...byMessage.values()] };
      }),
    );
    const reference = await referenceClient(port);
    await waitUntil(() => reference.frames.length >= 20 && players.every((p) => p.frames().length >= 20), 15_000, "20 ticks everywhere");
    reference.close();
    for (const player of players) player.client.close();
    assertOneMessagePerTick(reference.frames, "pomelo-protocol client");
    players.forEach((player, index) => assertOneMessagePerTick(player.frames(), `player ${index}`));
  });
});
