import assert from "node:assert/strict";
import { Message, Package, type PomeloPackage } from "pomelo-protocol";
import { ConnectorMethod, directPart, type TickBatch } from "../../services/src/cluster/contract";
import { encodeDataPackage, encodeDataPackages, MessageType, type PushMessage } from "../../services/src/protocol";
import { RpcServer, type RpcLink } from "../../services/src/rpc";
import { TestClient } from "../helpers/pomelo-client";
import { sleep, waitUntil } from "../helpers/wait";
import { parseConnectorConfig } from "../../services/src/connector";
import { startConnector, type Running } from "./setup";

const push = (route: string, body: unknown): PushMessage => ({ type: MessageType.Push, route, body: JSON.stringify(body) });
const TOPIC = "arena-1/room";

describe("connector: tick fan-out, one WebSocket message per socket per tick", function () {
  this.timeout(20_000);
  let running: Running;
  let backend: RpcServer;
  let link: RpcLink;
  const clients: TestClient[] = [];
  /** Fan-out messages written when each batch was reported done, in order. */
  let writtenAtBatchDone: number[] = [];

  async function readyClients(count: number): Promise<Array<{ client: TestClient; sessionId: string }>> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const client = await TestClient.ready(running.port);
        clients.push(client);
        const { sessionId } = (await client.request("connector.session.ping")) as { sessionId: string };
        return { client, sessionId };
      }),
    );
  }

  const batch = (parts: Partial<TickBatch>): TickBatch => ({ serverId: "arena-1", tick: 1, unsubscribe: [], subscribe: [], broadcasts: [], ...directPart([]), ...parts });

  async function start(config: { fanoutSliceMs?: number; maxWaitingTicksPerServer?: number } = {}): Promise<void> {
    writtenAtBatchDone = [];
    running = await startConnector(config, undefined, undefined, {
      request: () => undefined,
      fanout: () => writtenAtBatchDone.push(running.connector.counters.fanoutMessages),
    });
    backend = new RpcServer({ serverId: "arena-1", incarnation: "inc-1" });
    backend.handle("hello", () => "hi");
    const { host, port } = await backend.listen();
    await running.rpc.call({ id: "arena-1", host, port, incarnation: "inc-1" }, "hello");
    link = backend.link("connector-0")!;
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await running.stop();
    await backend.close();
  });

  it("sends a channel member with its own packages ONE message, the channel's packages first, that pomelo-protocol decodes", async () => {
    await start();
    const [both, broadcastOnly, ownOnly] = await readyClients(3);
    const before = [both, broadcastOnly, ownOnly].map((s) => s!.client.messages.length);
    link.notify(ConnectorMethod.batch, batch({ subscribe: [[TOPIC, both!.sessionId], [TOPIC, broadcastOnly!.sessionId]] }));
    link.notify(
      ConnectorMethod.batch,
      batch({
        tick: 2,
        broadcasts: [[TOPIC, encodeDataPackages([push("onState", { k: 2, part: 1 }), push("onState", { k: 2, part: 2 })])]],
        ...directPart([
          [both!.sessionId, encodeDataPackage(push("onMine", { k: 2, mine: "both" }))],
          [ownOnly!.sessionId, encodeDataPackage(push("onMine", { k: 2, mine: "own" }))],
        ]),
      }),
    );
    await waitUntil(() => both!.client.pushes.length === 3 && broadcastOnly!.client.pushes.length === 2 && ownOnly!.client.pushes.length === 1, 2_000, "tick 2");
    await sleep(50);
    assert.deepEqual([both, broadcastOnly, ownOnly].map((s, i) => s!.client.messages.length - before[i]!), [1, 1, 1], "one WebSocket message each");
    assert.deepEqual(both!.client.pushes.map((p) => [p.route, p.body]), [
      ["onState", { k: 2, part: 1 }],
      ["onState", { k: 2, part: 2 }],
      ["onMine", { k: 2, mine: "both" }],
    ]);
    assert.deepEqual(broadcastOnly!.client.pushes.map((p) => p.body), [{ k: 2, part: 1 }, { k: 2, part: 2 }]);
    assert.deepEqual(ownOnly!.client.pushes.map((p) => p.body), [{ k: 2, mine: "own" }]);

    // NetEase's reference codec reads the merged frame as three packages, three push messages.
    const frame = both!.client.messages.at(-1)!;
    const decoded = Package.decode(frame) as PomeloPackage | PomeloPackage[];
    const packages = Array.isArray(decoded) ? decoded : [decoded];
    assert.equal(packages.length, 3);
    const messages = packages.map((pkg) => Message.decode(pkg.body!));
    assert.deepEqual(messages.map((m) => m.type), [3, 3, 3]);
    assert.deepEqual(messages.map((m) => JSON.parse(m.body!.toString("utf8"))), [{ k: 2, part: 1 }, { k: 2, part: 2 }, { k: 2, mine: "both" }]);
  });

  it("a session listed twice in one batch gets ONE message, both ranges in order; an empty range writes nothing", async () => {
    await start();
    const [twice, empty, after] = await readyClients(3);
    const before = [twice, empty, after].map((s) => s!.client.messages.length);
    link.notify(
      ConnectorMethod.batch,
      batch({
        tick: 3,
        ...directPart([
          [twice!.sessionId, encodeDataPackage(push("onMine", { k: 3, n: 1 }))],
          [empty!.sessionId, Buffer.alloc(0)],
          [twice!.sessionId, encodeDataPackages([push("onMine", { k: 3, n: 2 }), push("onMine", { k: 3, n: 3 })])],
          [after!.sessionId, encodeDataPackage(push("onMine", { k: 3, n: "after" }))],
        ]),
      }),
    );
    await waitUntil(() => twice!.client.pushes.length === 3 && after!.client.pushes.length === 1, 2_000, "tick 3");
    await sleep(50);
    assert.deepEqual([twice, empty, after].map((s, i) => s!.client.messages.length - before[i]!), [1, 0, 1]);
    assert.deepEqual(twice!.client.pushes.map((p) => p.body), [{ k: 3, n: 1 }, { k: 3, n: 2 }, { k: 3, n: 3 }]);
    assert.deepEqual(after!.client.pushes.map((p) => p.body), [{ k: 3, n: "after" }]);
    // The next batch starts clean: nothing of tick 3 rides along.
    link.notify(ConnectorMethod.batch, batch({ tick: 4, ...directPart([[after!.sessionId, encodeDataPackage(push("onMine", { k: 4 }))]]) }));
    await waitUntil(() => after!.client.pushes.length === 2, 2_000, "tick 4");
    await sleep(50);
    assert.deepEqual([twice, after].map((s) => s!.client.pushes.at(-1)!.body), [{ k: 3, n: 3 }, { k: 4 }]);
    assert.equal(twice!.client.messages.length - before[0]!, 1);
  });

  it("publishes a topic where few subscribers have packages of their own; theirs follow the broadcast", async () => {
    await start();
    const sessions = await readyClients(12);
    link.notify(ConnectorMethod.batch, batch({ subscribe: sessions.map((s) => [TOPIC, s.sessionId] as const) }));
    const before = sessions.map((s) => s.client.messages.length);
    const broadcastsBefore = running.connector.counters.broadcasts;
    link.notify(
      ConnectorMethod.batch,
      batch({ tick: 2, broadcasts: [[TOPIC, encodeDataPackage(push("onState", { k: 2 }))]], ...directPart([[sessions[0]!.sessionId, encodeDataPackage(push("onMine", { k: 2 }))]]) }),
    );
    await waitUntil(() => sessions.every((s, i) => s.client.pushes.length === (i === 0 ? 2 : 1)), 2_000, "tick 2");
    await sleep(50);
    // One of twelve (8 %) is under the 10 % merge share: the topic is one publish.
    assert.deepEqual(sessions.map((s, i) => s.client.messages.length - before[i]!), [2, ...Array<number>(11).fill(1)]);
    assert.deepEqual(sessions[0]!.client.pushes.map((p) => p.route), ["onState", "onMine"]);
    assert.equal(running.connector.counters.broadcasts - broadcastsBefore, 1);
    // Two of twelve (17 %) are over it: everyone gets one merged message.
    link.notify(
      ConnectorMethod.batch,
      batch({
        tick: 3,
        broadcasts: [[TOPIC, encodeDataPackage(push("onState", { k: 3 }))]],
        ...directPart(sessions.slice(0, 2).map((s) => [s.sessionId, encodeDataPackage(push("onMine", { k: 3 }))] as const)),
      }),
    );
    await waitUntil(() => sessions.every((s, i) => s.client.pushes.length === (i === 0 ? 4 : i === 1 ? 3 : 2)), 2_000, "tick 3");
    await sleep(50);
    assert.deepEqual(sessions.map((s, i) => s.client.messages.length - before[i]!), [3, 2, ...Array<number>(10).fill(2)]);
    assert.deepEqual(sessions[1]!.client.pushes.map((p) => [p.route, (p.body as { k: number }).k]), [["onState", 2], ["onState", 3], ["onMine", 3]]);
  });

  it("on a resync batch, drops every subscription to the sender's topics, keeps other servers', and subscribes what it lists; refuses any batch that names another server", async () => {
    await start();
    const [a, b] = await readyClients(2);
    const LOBBY = "other-1/lobby";
    const state = (k: number) => encodeDataPackage(push("onState", { k }));
    const broadcastBoth = (tick: number) => link.notify(ConnectorMethod.batch, batch({ tick, broadcasts: [[TOPIC, state(tick)], [LOBBY, state(tick + 100)]] }));
    const heard = (client: TestClient) => client.pushes.map((p) => (p.body as { k: number }).k);
    link.notify(ConnectorMethod.batch, batch({ subscribe: [[TOPIC, a!.sessionId], [TOPIC, b!.sessionId], [LOBBY, a!.sessionId]] }));
    broadcastBoth(2);
    await waitUntil(() => a!.client.pushes.length === 2 && b!.client.pushes.length === 1, 2_000, "tick 2");

    link.notify(ConnectorMethod.batch, batch({ tick: 3, resync: true, subscribe: [[TOPIC, b!.sessionId]] }));
    broadcastBoth(4);
    await waitUntil(() => b!.client.pushes.length === 2, 2_000, "tick 4 to b");
    await sleep(50);
    assert.deepEqual(heard(a!.client), [2, 102, 104], "a left arena-1's room, kept other-1's lobby");
    assert.deepEqual(heard(b!.client), [2, 4]);

    // arena-1's link speaks for other-1: refused whole, nothing changes.
    link.notify(ConnectorMethod.batch, batch({ serverId: "other-1", tick: 5, resync: true, subscribe: [] }));
    link.notify(ConnectorMethod.batch, batch({ serverId: "other-1", tick: 7, broadcasts: [[TOPIC, state(7)]] }));
    broadcastBoth(6);
    await waitUntil(() => b!.client.pushes.length === 3, 2_000, "tick 6 to b");
    await sleep(50);
    assert.deepEqual(heard(a!.client), [2, 102, 104, 106], "a still in the lobby");
    assert.deepEqual(heard(b!.client), [2, 4, 6], "nothing of the batch that named other-1");
  });

  it("spreads one batch's writes over several event-loop turns, and writes all of tick N before any of tick N+1", async () => {
    // A slice of at most 64 writes (the budget is spent at the first clock check); all five ticks may wait.
    await start({ fanoutSliceMs: 0.01, maxWaitingTicksPerServer: 5 });
    const count = 200;
    const sessions = await readyClients(count);
    link.notify(ConnectorMethod.batch, batch({ subscribe: sessions.map((s) => [TOPIC, s.sessionId] as const) }));
    await waitUntil(() => writtenAtBatchDone.length === 1, 2_000, "subscribe batch");
    running.connector.fanoutSlices.reset();
    const ticks = [2, 3, 4, 5, 6];
    // Sent back to back: they arrive while earlier ticks are still being written.
    for (const tick of ticks) {
      link.notify(
        ConnectorMethod.batch,
        batch({
          tick,
          broadcasts: [[TOPIC, encodeDataPackage(push("onState", { k: tick }))]],
          ...directPart(sessions.map((s) => [s.sessionId, encodeDataPackage(push("onMine", { k: tick }))] as const)),
        }),
      );
    }
    await waitUntil(() => sessions.every((s) => s.client.pushes.length === ticks.length * 2), 10_000, "five ticks to everyone");
    // At each batch's end, exactly the writes of the batches up to it had been made.
    assert.deepEqual(writtenAtBatchDone, [0, ...ticks.map((_, i) => (i + 1) * count)]);
    assert.ok(running.connector.fanoutSlices.summary().batches >= Math.ceil((ticks.length * count) / 64), `writes spread over slices: ${JSON.stringify(running.connector.fanoutSlices.summary())}`);
    for (const { client } of sessions) {
      assert.deepEqual(client.pushes.map((p) => [p.route, (p.body as { k: number }).k]), ticks.flatMap((k) => [["onState", k], ["onMine", k]]));
      assert.equal(client.messages.length, ticks.length + 2, "handshake, ping answer, then one message per tick");
    }
  });

  it("past 2 waiting batches of one game server, a newer one supersedes the oldest: its joins and leaves apply, its messages are not sent; another server's batches are untouched", async () => {
    await start({ fanoutSliceMs: 0.01 });
    const other = new RpcServer({ serverId: "other-1", incarnation: "inc-1" });
    other.handle("hello", () => "hi");
    const { host, port } = await other.listen();
    await running.rpc.call({ id: "other-1", host, port, incarnation: "inc-1" }, "hello");
    const otherLink = other.link("connector-0")!;
    try {
      const LOBBY = "arena-1/lobby";
      const sessions = await readyClients(200);
      const [x, y] = sessions;
      const mine = (server: string, tick: number) =>
        directPart(sessions.map((s) => [s.sessionId, encodeDataPackage(push("onMine", { k: `${server}${tick}` }))] as const));
      link.notify(ConnectorMethod.batch, batch({ subscribe: [[LOBBY, y!.sessionId]] }));
      await waitUntil(() => writtenAtBatchDone.length === 1, 2_000, "subscribe batch");
      const supersededBefore = running.connector.counters.batchesSuperseded;
      const appliedBefore = running.connector.counters.batchesApplied;
      // Back to back: a2 is written in slices while the rest arrive and wait.
      link.notify(ConnectorMethod.batch, batch({ tick: 2, ...mine("a", 2) }));
      link.notify(ConnectorMethod.batch, batch({ tick: 3, subscribe: [[LOBBY, x!.sessionId]], ...mine("a", 3) }));
      otherLink.notify(ConnectorMethod.batch, batch({ serverId: "other-1", tick: 3, ...mine("o", 3) }));
      link.notify(ConnectorMethod.batch, batch({ tick: 4, unsubscribe: [[LOBBY, y!.sessionId]], ...mine("a", 4) }));
      otherLink.notify(ConnectorMethod.batch, batch({ serverId: "other-1", tick: 4, ...mine("o", 4) }));
      link.notify(ConnectorMethod.batch, batch({ tick: 5, ...mine("a", 5) }));
      link.notify(ConnectorMethod.batch, batch({ tick: 6, broadcasts: [[LOBBY, encodeDataPackage(push("onState", { k: "lobby6" }))]], ...mine("a", 6) }));
      const heard = (client: TestClient) => client.pushes.map((p) => (p.body as { k: string }).k);
      await waitUntil(() => sessions.every((s) => ["a6", "o4"].every((k) => heard(s.client).includes(k))), 10_000, "a6 and o4 to everyone");
      await sleep(50);
      assert.equal(running.connector.counters.batchesSuperseded - supersededBefore, 2, "a3 and a4 superseded");
      assert.equal(running.connector.counters.batchesApplied - appliedBefore, 5, "a2, o3, o4, a5, a6 applied; the superseded ones are not counted again");
      assert.equal(writtenAtBatchDone.length, 1 + 5, "fan-out times only of batches whose messages were written");
      // The two links are read in either order: each server's ticks in its own order.
      const from = (client: TestClient, server: string) => heard(client).filter((k) => k.startsWith(server));
      assert.deepEqual(from(x!.client, "a"), ["a2", "a5", "a6"]);
      assert.deepEqual(from(x!.client, "lobby"), ["lobby6"], "a3's join held: x hears the lobby");
      assert.ok(heard(x!.client).indexOf("lobby6") === heard(x!.client).indexOf("a6") - 1, "the lobby broadcast first, in a6's message");
      assert.deepEqual(from(y!.client, "lobby"), [], "a4's leave held: y does not");
      for (const { client } of sessions) {
        assert.deepEqual(from(client, "a"), ["a2", "a5", "a6"]);
        assert.deepEqual(from(client, "o"), ["o3", "o4"]);
        assert.equal(client.messages.length, 2 + 5, "handshake, ping answer, then one message per batch sent");
      }
    } finally {
      await other.close();
    }
  });

  it("joins and leaves alone never supersede a waiting batch; a superseded resync still resets the server's topics", async () => {
    await start({ fanoutSliceMs: 0.01 });
    const sessions = await readyClients(200);
    const [s0, s1, s2] = sessions;
    const heard = (client: TestClient) => client.pushes.map((p) => (p.body as { k: string }).k);
    const mine = (tick: number) => directPart(sessions.map((s) => [s.sessionId, encodeDataPackage(push("onMine", { k: `a${tick}` }))] as const));
    link.notify(ConnectorMethod.batch, batch({ subscribe: [[TOPIC, s0!.sessionId], [TOPIC, s1!.sessionId]] }));
    await waitUntil(() => writtenAtBatchDone.length === 1, 2_000, "subscribe batch");
    const supersededBefore = running.connector.counters.batchesSuperseded;
    link.notify(ConnectorMethod.batch, batch({ tick: 2, ...mine(2) })); // written in slices
    link.notify(ConnectorMethod.batch, batch({ tick: 3, ...mine(3) }));
    link.notify(ConnectorMethod.batch, batch({ tick: 4, ...mine(4) }));
    link.notify(ConnectorMethod.batch, batch({ tick: 5, subscribe: [[TOPIC, s2!.sessionId]] })); // nothing to send: waits, supersedes nothing
    await waitUntil(() => sessions.every((s) => heard(s.client).includes("a4")), 10_000, "a4 to everyone");
    assert.equal(running.connector.counters.batchesSuperseded - supersededBefore, 0);
    for (const { client } of sessions) assert.deepEqual(heard(client), ["a2", "a3", "a4"]);

    link.notify(ConnectorMethod.batch, batch({ tick: 6, ...mine(6) })); // written in slices
    link.notify(ConnectorMethod.batch, batch({ tick: 7, resync: true, subscribe: [[TOPIC, s1!.sessionId]], ...mine(7) }));
    link.notify(ConnectorMethod.batch, batch({ tick: 8, ...mine(8) }));
    link.notify(ConnectorMethod.batch, batch({ tick: 9, ...mine(9) })); // supersedes the resync's messages
    link.notify(ConnectorMethod.batch, batch({ tick: 10, subscribe: [[TOPIC, s2!.sessionId]], broadcasts: [[TOPIC, encodeDataPackage(push("onState", { k: "room10" }))]], ...mine(10) })); // supersedes a8
    await waitUntil(() => sessions.every((s) => heard(s.client).includes("a10")), 10_000, "a10 to everyone");
    await sleep(50);
    assert.equal(running.connector.counters.batchesSuperseded - supersededBefore, 2, "a7 and a8 superseded");
    // The resync dropped s0 and s2 from the room and listed s1; a10 then added s2.
    assert.deepEqual(heard(s0!.client).slice(3), ["a6", "a9", "a10"]);
    assert.deepEqual(heard(s1!.client).slice(3), ["a6", "a9", "room10", "a10"]);
    assert.deepEqual(heard(s2!.client).slice(3), ["a6", "a9", "room10", "a10"]);
  });

  it("takes maxWaitingTicksPerServer from 1 (default 2); 0 is refused, naming the key", () => {
    assert.equal(parseConnectorConfig({ connectorId: "connector-0", port: 0 }).maxWaitingTicksPerServer, 2);
    assert.equal(parseConnectorConfig({ connectorId: "connector-0", port: 0, maxWaitingTicksPerServer: 1 }).maxWaitingTicksPerServer, 1);
    assert.throws(() => parseConnectorConfig({ connectorId: "connector-0", port: 0, maxWaitingTicksPerServer: 0 }), /connector\.maxWaitingTicksPerServer: /);
  });
});
