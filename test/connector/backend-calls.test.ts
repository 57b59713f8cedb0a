import assert from "node:assert/strict";
import { ConnectorMethod, directPart, type TickBatch } from "../../services/src/cluster/contract";
import { encodeDataPackage, encodeDataPackages, MessageType, type PushMessage } from "../../services/src/protocol";
import { RpcServer, type RpcLink } from "../../services/src/rpc";
import { sleep, waitUntil } from "../helpers/wait";
import { startConnector, type Running } from "./setup";
import { TestClient } from "../helpers/pomelo-client";

const push = (route: string, body: unknown): PushMessage => ({ type: MessageType.Push, route, body: JSON.stringify(body) });

describe("connector: calls from a backend over the RPC link", () => {
  let running: Running;
  let backend: RpcServer;
  let link: RpcLink;
  const clients: TestClient[] = [];

  async function readyClient(): Promise<{ client: TestClient; sessionId: string }> {
    const client = await TestClient.ready(running.port);
    clients.push(client);
    const { sessionId } = (await client.request("connector.session.ping")) as { sessionId: string };
    return { client, sessionId };
  }

  const batch = (parts: Partial<TickBatch>): TickBatch => ({ serverId: "arena-1", tick: 1, unsubscribe: [], subscribe: [], broadcasts: [], ...directPart([]), ...parts });

  beforeEach(async () => {
    running = await startConnector({ maxBackpressureBytes: 64 * 1024 });
    backend = new RpcServer({ serverId: "arena-1", incarnation: "inc-1" });
    backend.handle("hello", () => "hi");
    const { host, port } = await backend.listen();
    // The connector dials its backends; this first call opens the link the backend calls back on.
    await running.rpc.call({ id: "arena-1", host, port, incarnation: "inc-1" }, "hello");
    link = backend.link("connector-0")!;
    assert.ok(link);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await running.stop();
    await backend.close();
  });

  it("delivers each session's direct packages of one batch as one WebSocket message", async () => {
    const a = await readyClient();
    const b = await readyClient();
    const [beforeA, beforeB] = [a.client.messages.length, b.client.messages.length];
    link.notify(
      ConnectorMethod.batch,
      batch({
        ...directPart([
          [a.sessionId, encodeDataPackages([push("onTick", { to: "a", n: 1 }), push("onTick", { to: "a", n: 2 })])],
          [b.sessionId, encodeDataPackages([push("onTick", { to: "b", n: 1 })])],
          ["connector-0.gone.1", encodeDataPackage(push("onTick", {}))],
        ]),
      }),
    );
    await waitUntil(() => a.client.pushes.length === 2 && b.client.pushes.length === 1, 2_000, "direct pushes");
    await sleep(50);
    assert.equal(a.client.messages.length - beforeA, 1, "two packages, one WebSocket message");
    assert.equal(b.client.messages.length - beforeB, 1);
    assert.deepEqual(a.client.pushes.map((p) => p.body), [{ to: "a", n: 1 }, { to: "a", n: 2 }]);
    assert.equal(running.connector.counters.unknownSessionsSkipped, 1);
    assert.equal(running.connector.counters.batchesApplied, 1);
  });

  it("broadcasts reach exactly the subscribed sessions, and unsubscribe takes a session out", async () => {
    const [a, b, c] = [await readyClient(), await readyClient(), await readyClient()];
    link.notify(ConnectorMethod.batch, batch({ subscribe: [["arena-1/room", a.sessionId], ["arena-1/room", b.sessionId]], broadcasts: [["arena-1/room", encodeDataPackage(push("onTick", { tick: 1 }))]] }));
    await waitUntil(() => a.client.pushes.length === 1 && b.client.pushes.length === 1, 2_000, "first broadcast");
    link.notify(ConnectorMethod.batch, batch({ tick: 2, unsubscribe: [["arena-1/room", b.sessionId]], broadcasts: [["arena-1/room", encodeDataPackage(push("onTick", { tick: 2 }))]] }));
    await waitUntil(() => a.client.pushes.length === 2, 2_000, "second broadcast");
    await sleep(100);
    assert.deepEqual(b.client.pushes.map((p) => p.body), [{ tick: 1 }]);
    assert.deepEqual(c.client.pushes, []);
    assert.equal(running.connector.counters.fanoutMessages, 3);
  });

  it("pushes to sessions and uids, kicks by uid, and sets session values the gateway sees", async () => {
    const a = await readyClient();
    const b = await readyClient();
    await link.call(ConnectorMethod.bind, { sessionId: a.sessionId, uid: "alice" });
    await link.call(ConnectorMethod.setSettings, { sessionId: a.sessionId, settings: { room: 7 } });
    const echoed = (await a.client.request("echo.h.echo", {})) as { uid: string; settings: unknown };
    assert.equal(echoed.uid, "alice");
    assert.deepEqual(echoed.settings, { room: 7 });

    const result = await link.call(ConnectorMethod.push, { uids: ["alice", "nobody"], sessionIds: [b.sessionId], packages: encodeDataPackage(push("onChat", { text: "hi" })) });
    assert.deepEqual(result, { delivered: 2 });
    await waitUntil(() => a.client.pushes.length === 1 && b.client.pushes.length === 1, 2_000, "pushes");

    assert.deepEqual(await link.call(ConnectorMethod.kick, { uid: "alice", reason: "banned for cheating" }), { kicked: 1 });
    const closed = await a.client.waitClosed();
    assert.equal(closed.code, 4000);
    assert.deepEqual(a.client.kicks, ["banned for cheating"]);
    await assert.rejects(link.call(ConnectorMethod.bind, { sessionId: a.sessionId, uid: "alice" }), /NO_SESSION/);
  });

  it("kicks the older local session with 'duplicate login' when a uid binds again, and the newer one keeps the uid", async () => {
    const first = await readyClient();
    const second = await readyClient();
    await link.call(ConnectorMethod.bind, { sessionId: first.sessionId, uid: "bob" });
    await link.call(ConnectorMethod.bind, { sessionId: second.sessionId, uid: "bob" });
    const closed = await first.client.waitClosed();
    assert.equal(closed.code, 4001);
    assert.deepEqual(first.client.kicks, ["duplicate login"]);
    await sleep(50);
    assert.equal(running.connector.sessions.getByUid("bob")?.session.id, second.sessionId, "the old session's close did not unbind the new one");
    assert.equal(running.connector.kickUid("bob", "logged in elsewhere"), true);
    await second.client.waitClosed();
    assert.deepEqual(second.client.kicks, ["logged in elsewhere"]);
  });

  it("closes a client that stops reading for backpressure while another keeps receiving", async () => {
    const slow = await readyClient();
    const healthy = await readyClient();
    slow.client.socket.pause();
    const chunk = encodeDataPackage(push("onTick", { pad: "x".repeat(60_000) }));
    for (let round = 0; round < 400 && running.connector.counters.backpressureCloses === 0; round++) {
      link.notify(ConnectorMethod.batch, batch({ tick: round, ...directPart([[slow.sessionId, chunk], [healthy.sessionId, chunk]]) }));
      await sleep(2);
    }
    await waitUntil(() => running.connector.counters.backpressureCloses === 1, 5_000, "backpressure close");
    assert.equal(running.connector.counters.closes.backpressure, 1);
    assert.equal(running.connector.sessions.get(slow.sessionId), undefined);
    // Earlier chunks may still be on their way to the healthy client: wait for this marker, not a count.
    link.notify(ConnectorMethod.batch, batch({ ...directPart([[healthy.sessionId, encodeDataPackage(push("onTick", { after: true }))]]) }));
    const isMarker = (p: { body: unknown }) => (p.body as { after?: boolean }).after === true;
    await waitUntil(() => healthy.client.pushes.some(isMarker), 5_000, "healthy client still receives");
    assert.equal(healthy.client.closed, undefined);
  });
});
