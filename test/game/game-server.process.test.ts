import assert from "node:assert/strict";
import path from "node:path";
import { BackendMethod, channelTopic, directEntries } from "../../services/src/cluster/contract";
import { ServiceDiscovery, type ServerInfo } from "../../services/src/discovery";
import { decodeMessage, decodePackages, MessageType } from "../../services/src/protocol";
import { RemoteError } from "../../services/src/rpc";
import { FixtureProcess } from "../helpers/child-process";
import { FakeConnector } from "../helpers/fake-connector";
import { freePort } from "../helpers/ports";
import { RedisServer } from "../helpers/redis-server";
import { sleep, waitUntil } from "../helpers/wait";

const MAIN = path.resolve(__dirname, "../../services/games/arena/main.ts");
const NAMESPACE = "gametest";
const TOPIC = channelTopic("arena-1", "room");

interface PlayerState {
  id: string;
  x: number;
  y: number;
}

/** Every push in a packages buffer: [route, JSON body]. */
function pushes(packages: Buffer): Array<[string, any]> {
  return decodePackages(packages).map((pkg) => {
    const message = decodeMessage(pkg.body);
    assert.equal(message.type, MessageType.Push);
    return [message.type === MessageType.Push ? message.route : "", JSON.parse(message.body.toString("utf8"))];
  });
}

describe("arena game server as a real process, driven by connectors over real RPC", function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let game: FixtureProcess;
  let watcher: ServiceDiscovery;
  let server: ServerInfo;
  const c0 = new FakeConnector("connector-0");
  const c1 = new FakeConnector("connector-1");
  const [alice, bob] = [c0.session("c0-alice"), c0.session("c0-bob")];
  const carol = c1.session("c1-carol");

  before(async () => {
    redis = await RedisServer.start();
    const port = await freePort();
    game = FixtureProcess.start(MAIN, {
      REDIS_URL: redis.url,
      SERVER_ID: "arena-1",
      HOST: "127.0.0.1",
      PORT: String(port),
      POMONA_NAMESPACE: NAMESPACE,
      DRAIN_TIMEOUT_MS: "2000",
    });
    const ready = await game.waitFor("ready", 15_000);
    assert.equal(ready.port, port);
    watcher = new ServiceDiscovery({ redis: { url: redis.url }, namespace: NAMESPACE, resyncIntervalMs: 100 });
    await watcher.start();
    await waitUntil(() => watcher.get("arena-1") !== undefined, 5000, "arena-1 registered in discovery");
    server = watcher.get("arena-1")!;
  });

  after(async () => {
    c0.rpc.close();
    c1.rpc.close();
    await watcher?.stop();
    await game?.kill();
    await redis?.stop();
  });

  it("registers in discovery under its server type with the RPC address it listens on", () => {
    assert.equal(server.type, "arena");
    assert.equal(server.host, "127.0.0.1");
    assert.equal(server.load, 0);
  });

  it("answers arena.room.join for players of two connectors and reports them as load", async () => {
    for (const [connector, session, name] of [[c0, alice, "alice"], [c0, bob, "bob"], [c1, carol, "carol"]] as const) {
      const joined = await connector.request(server, session, "arena.room.join", { name });
      assert.equal(joined.code, 200);
      assert.equal(joined.id, session.id);
    }
    await waitUntil(() => watcher.get("arena-1")?.load === 3, 5000, "load 3 published");
  });

  it("refuses a malformed move with a RemoteError whose remoteCode is BAD_INPUT and a message safe for the client", async () => {
    const error = await c0.request(server, alice, "arena.room.move", { seq: 1, dir: "sideways" }).then(
      () => assert.fail("expected BAD_INPUT"),
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof RemoteError);
    assert.equal(error.remoteCode, "BAD_INPUT");
    assert.match(error.remoteMessage, /^invalid input for arena\.room\.move: dir: /);
  });

  it("sends each connector exactly one batch per tick, ticks in order with no gaps; the broadcast shows every player and onAck reaches only its own session", async () => {
    const firstTick = Math.max(c0.batches.at(-1)?.tick ?? 0, c1.batches.at(-1)?.tick ?? 0) + 1;
    // 20 moves per player at ~40/s, while the server ticks at 20 Hz.
    for (let seq = 1; seq <= 20; seq++) {
      await Promise.all([
        c0.request(server, alice, "arena.room.move", { seq, dir: "right" }),
        c0.request(server, bob, "arena.room.move", { seq, x: seq, y: 50 }),
        c1.request(server, carol, "arena.room.move", { seq: seq * 2, dir: "down" }),
      ]);
      await sleep(25);
    }
    await sleep(200);
    for (const connector of [c0, c1]) {
      const ticks = connector.batchesFrom(firstTick).map((batch) => batch.tick);
      assert.ok(ticks.length >= 10, `${connector.id} got ${ticks.length} batches`);
      assert.deepEqual(ticks, Array.from({ length: ticks.length }, (_, i) => ticks[0]! + i), `${connector.id}: one batch per tick, in order, no gaps`);
      assert.ok(connector.batches.every((batch) => batch.serverId === "arena-1"));
    }

    for (const [connector, own] of [[c0, [alice.id, bob.id]], [c1, [carol.id]]] as const) {
      for (const batch of connector.batchesFrom(firstTick)) {
        assert.equal(batch.broadcasts.length, 1);
        assert.equal(batch.broadcasts[0]![0], TOPIC);
        const state = pushes(batch.broadcasts[0]![1]);
        assert.equal(state.length, 1);
        assert.equal(state[0]![0], "onState");
        assert.equal(state[0]![1].tick, batch.tick);
        assert.deepEqual(state[0]![1].players.map((p: PlayerState) => p.id).sort(), [alice.id, bob.id, carol.id].sort());
        assert.deepEqual(directEntries(batch).map(([sessionId]) => sessionId).sort(), [...own].sort(), `${connector.id} gets per-player messages of its own sessions only`);
        for (const [, packages] of directEntries(batch)) {
          const acks = pushes(packages);
          assert.equal(acks.length, 1);
          assert.equal(acks[0]![0], "onAck");
          assert.equal(acks[0]![1].tick, batch.tick);
        }
      }
    }
    const ackOf = (connector: FakeConnector, sessionId: string) => pushes(directEntries(connector.batches.at(-1)!).find(([id]) => id === sessionId)![1])[0]![1].seq;
    assert.equal(ackOf(c0, alice.id), 20);
    assert.equal(ackOf(c0, bob.id), 20);
    assert.equal(ackOf(c1, carol.id), 40);
    const players: PlayerState[] = pushes(c0.batches.at(-1)!.broadcasts[0]![1])[0]![1].players;
    assert.deepEqual(players.find((p) => p.id === bob.id), { id: bob.id, name: "bob", x: 20, y: 50 });
  });

  it("subscribed each connector's own sessions to the room topic in its first batch", () => {
    const subscribes = (connector: FakeConnector) => connector.batches.flatMap((batch) => batch.subscribe.map(([topic, sessionId]) => `${topic} ${sessionId}`));
    assert.deepEqual(subscribes(c0), [`${TOPIC} ${alice.id}`, `${TOPIC} ${bob.id}`]);
    assert.deepEqual(subscribes(c1), [`${TOPIC} ${carol.id}`]);
  });

  it("counts the batches it sent per connector, matching what each connector received", async () => {
    game.signal("SIGUSR2");
    const before = game.eventCount;
    await waitUntil(() => game.events.at(-1)?.event === "stats" && game.eventCount > before, 5000, "stats line");
    const stats = game.events.filter((line) => line.event === "stats").at(-1)! as unknown as { batchesSent: Record<string, number>; ticks: number; overruns: number };
    await sleep(150);
    for (const connector of [c0, c1]) {
      const sent = stats.batchesSent[connector.id]!;
      assert.ok(sent > 0 && connector.batches.length >= sent && connector.batches.length <= sent + 4, `${connector.id}: sent ${sent}, received ${connector.batches.length}`);
    }
    assert.ok(stats.ticks > 20);
  });

  it("on sessionClosed drops the player from the broadcast and stops its per-player messages", async () => {
    c0.rpc.notify(server, BackendMethod.sessionClosed, { sessionId: bob.id, uid: null, reason: "client closed" });
    await sleep(150);
    const fromTick = c0.batches.at(-1)!.tick + 1;
    await sleep(200);
    const after = c0.batchesFrom(fromTick);
    assert.ok(after.length >= 2);
    for (const batch of after) {
      assert.deepEqual(directEntries(batch).map(([sessionId]) => sessionId), [alice.id]);
      assert.deepEqual(pushes(batch.broadcasts[0]![1])[0]![1].players.map((p: PlayerState) => p.id).sort(), [alice.id, carol.id].sort());
    }
    await waitUntil(() => watcher.get("arena-1")?.load === 2, 5000, "load 2 published");
  });

  it("drains on SIGTERM: shows draining in discovery at once, keeps serving its players, deregisters when the drain ends", async () => {
    game.signal("SIGTERM");
    await game.waitFor("draining", 2000);
    await waitUntil(() => watcher.get("arena-1")?.draining === true, 1500, "arena-1 draining in discovery");
    await game.waitFor("stopped", 8000);
    await waitUntil(() => watcher.get("arena-1") === undefined, 1500, "arena-1 gone from discovery");
  });
});
