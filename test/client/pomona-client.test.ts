/**
 * The client SDK against the real local cluster (redis-server, arena servers, connectors and the
 * gate as processes): gate query, requests, notifies, pushes, typed errors, final closes, requests
 * made while it reconnects.
 */
import assert from "node:assert/strict";
import { PomonaClient, PomonaError, shouldReconnect } from "../../services/src/client";
import { nodeWebSocket } from "../../scripts/local-cluster/node-websocket";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { freePort } from "../helpers/ports";
import { waitUntil } from "../helpers/wait";

async function failure(promise: Promise<unknown>): Promise<PomonaError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PomonaError, `expected a PomonaError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a rejection");
}

describe("client SDK on the local cluster", function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  const clients: PomonaClient[] = [];
  const client = (uid: string, options = {}) => {
    const created = cluster.client(uid, options);
    clients.push(created);
    return created;
  };

  before(async () => {
    cluster = await startTestCluster({ mode: "direct", connectors: 2, games: 1 });
  });
  afterEach(() => {
    for (const created of clients.splice(0)) created.close();
  });
  after(async () => cluster?.dispose());

  it("asks the gate, connects bound to its uid, and does requests, notifies and pushes", async () => {
    const alice = client("alice");
    const connected: unknown[] = [];
    alice.on("connected", (event: unknown) => connected.push(event));
    await alice.connect();
    assert.equal(alice.state, "open");
    assert.equal(alice.uid, "alice");
    assert.match(alice.connectorId ?? "", /^connector-[01]$/);
    assert.deepEqual(connected, [{ connectorId: alice.connectorId, uid: "alice", resumed: false }]);
    const join = await alice.request<{ code: number; server: string; room: string }>("arena.room.join", { name: "alice" });
    assert.equal(join.code, 200);
    assert.equal(join.server, "arena-1");
    const states: Array<{ tick: number; players: Array<{ name: string; x: number }> }> = [];
    alice.on("onState", (state: (typeof states)[number]) => states.push(state));
    await waitUntil(() => states.length >= 3, 3_000, "tick broadcasts");
    assert.ok(states[1]!.tick === states[0]!.tick + 1, "consecutive ticks");
    const x = states.at(-1)!.players.find((player) => player.name === "alice")!.x;
    assert.equal(alice.notify("arena.room.move", { seq: 1, dir: "right" }), true);
    await waitUntil(() => states.at(-1)!.players.find((player) => player.name === "alice")!.x === Math.min(100, x + 1), 3_000, "the notify moved alice");
    assert.ok((await alice.ping()) >= 0);
  });

  it("fails with typed errors: the server's codes, a refused gate query, an unreachable gate", async () => {
    const bob = client("bob");
    await bob.connect();
    const unknownType = await failure(bob.request("nosuch.handler.method"));
    assert.equal(unknownType.code, "SERVER");
    assert.deepEqual(unknownType.details, { status: 404, serverCode: "UNKNOWN_SERVER_TYPE" });
    const notJoined = await failure(bob.request("arena.room.move", { seq: 1, dir: "up" }));
    assert.equal(notJoined.details.handlerCode, "NOT_JOINED");
    const badInput = await failure(bob.request("arena.room.move", { seq: "one" }));
    assert.equal(badInput.details.handlerCode, "BAD_INPUT");
    assert.equal(badInput.retryable, false);

    const refused = await failure(client(" ").connect());
    assert.equal(refused.code, "GATE");
    assert.equal(refused.details.status, 400);
    const nowhere = new PomonaClient({ gateUrl: `http://127.0.0.1:${await freePort()}`, uid: "carol", createWebSocket: nodeWebSocket });
    const unreachable = await failure(nowhere.connect());
    assert.equal(unreachable.code, "UNREACHABLE");
    assert.equal(nowhere.state, "closed");
    assert.equal((await failure(nowhere.request("arena.room.join"))).code, "CLOSED");
    assert.throws(() => new PomonaClient({ gateUrl: "ftp://gate", uid: "x" }), /gateUrl must be an http\(s\) URL/);
  });

  it("treats a duplicate login as final: the older client is kicked and does not come back", async () => {
    const first = client("dora");
    const second = client("dora");
    const closed: Array<{ code: number; reason: string }> = [];
    first.on("closed", (event: { code: number; reason: string }) => closed.push(event));
    await first.connect();
    await first.request("arena.room.join", {});
    await second.connect();
    await waitUntil(() => closed.length === 1, 3_000, "the first client closed");
    assert.deepEqual(closed, [{ code: 4001, reason: "duplicate login" }]);
    assert.equal(first.state, "closed");
    assert.equal(first.reconnects, 0);
    assert.equal(second.state, "open");
    assert.equal((await second.request<{ uid: string }>("connector.session.ping")).uid, "dora");
  });

  it("lets a request made while it reconnects wait for the new connection, on the same game server", async () => {
    const erin = client("erin");
    await erin.connect();
    const { server } = await erin.request<{ server: string }>("arena.room.join", {});
    const lost = erin.connectorId!;
    const reconnected = new Promise<{ resumed: boolean; connectorId: string }>((resolve) => erin.once("connected", resolve));
    await cluster.servers.get(lost)!.kill();
    await waitUntil(() => erin.state === "reconnecting" || erin.state === "open", 2_000, "noticed the connector died");
    const answer = await erin.request<{ server: string; seq: number }>("arena.room.move", { seq: 7, dir: "up" });
    assert.equal(answer.server, server);
    assert.equal(answer.seq, 7);
    const event = await reconnected;
    assert.equal(event.resumed, true);
    assert.notEqual(event.connectorId, lost);
    assert.equal(erin.reconnects, 1);
  });
});

describe("client SDK: which closes it recovers from", () => {
  it("reconnects after a crash, a drain or a heartbeat timeout, and never after a kick, a duplicate login or its own protocol error", () => {
    for (const code of [1001, 1006, 1011, 4002, 4008]) assert.equal(shouldReconnect(code, undefined), true, String(code));
    for (const code of [1002, 1008, 4000, 4001, 4003, 4005]) assert.equal(shouldReconnect(code, undefined), false, String(code));
    assert.equal(shouldReconnect(4000, "reconnect"), true, "a drain's kick asks the client to come back elsewhere");
  });
});
