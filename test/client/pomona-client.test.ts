/**
 * The client SDK against the real local cluster (redis-server, arena servers, connectors and the
 * gate as processes): gate query, requests, notifies, pushes, typed errors, final closes, requests
 * made while it reconnects.
 */
import assert from "node:assert/strict";
import { Message, Package } from "pomelo-protocol";
import * as protobuf from "pomelo-protobuf";
import { PomonaClient, PomonaError, shouldReconnect, type WebSocketFactory, type WebSocketLike } from "../../services/src/client";
import { queryGate } from "../../services/src/client/gate-query";
import { PomeloSocket, type ProtosCache } from "../../services/src/client/pomelo-socket";
import { arenaProtos } from "../../services/games/arena/protos";
import { nodeWebSocket } from "../../scripts/local-cluster/node-websocket";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { freePort } from "../helpers/ports";
import { waitUntil } from "../helpers/wait";

/** The client's real WebSocket, with every binary frame it sends and receives kept for the test to read. */
function recordingWebSocket(frames: { sent: Buffer[]; received: Buffer[] }): WebSocketFactory {
  return (url) => {
    const ws = nodeWebSocket(url);
    return {
      get binaryType() {
        return ws.binaryType;
      },
      set binaryType(type: string) {
        ws.binaryType = type;
      },
      get readyState() {
        return ws.readyState;
      },
      send(data: Uint8Array) {
        frames.sent.push(Buffer.from(data));
        ws.send(data);
      },
      close: (code?: number, reason?: string) => ws.close(code, reason),
      set onopen(handler: WebSocketLike["onopen"]) {
        ws.onopen = handler;
      },
      set onclose(handler: WebSocketLike["onclose"]) {
        ws.onclose = handler;
      },
      set onerror(handler: WebSocketLike["onerror"]) {
        ws.onerror = handler;
      },
      set onmessage(handler: WebSocketLike["onmessage"]) {
        ws.onmessage = handler === null ? null : (event) => {
          frames.received.push(Buffer.from(event.data as ArrayBuffer));
          handler(event);
        };
      },
    } as WebSocketLike;
  };
}

/** The JSON of the first package of a frame (a handshake). */
const handshakeJson = (frame: Buffer) => JSON.parse((Package.decode(frame) as { body: Buffer }).body.toString("utf8"));

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

  it("with useProtobuf, announces protoVersion 0, takes the protos from the handshake and speaks protobuf on the arena's routes", async () => {
    const frames = { sent: [] as Buffer[], received: [] as Buffer[] };
    const pat = client("pat", { useProtobuf: true, createWebSocket: recordingWebSocket(frames) });
    await pat.connect();
    assert.equal(handshakeJson(frames.sent[0]!).sys.protoVersion, 0);
    const offered = handshakeJson(frames.received[0]!).sys;
    assert.equal(offered.useProto, true);
    assert.deepEqual(offered.protos.server, protobuf.parse(arenaProtos.server!));
    const join = await pat.request<{ code: number; server: string; room: string }>("arena.room.join", { name: "pat" });
    assert.deepEqual([join.code, join.server, join.room], [200, "arena-1", "room"]);
    const sentJoin = Message.decode((Package.decode(frames.sent.find((frame) => frame[0] === 4)!) as { body: Buffer }).body);
    protobuf.init({ encoderProtos: offered.protos.client, decoderProtos: offered.protos.server });
    assert.deepEqual(sentJoin.body, protobuf.encode("arena.room.join", { name: "pat" }), "the request body is pomelo-protobuf's encoding");
    const states: Array<{ tick: number; players: Array<{ name: string }> }> = [];
    pat.on("onState", (state: (typeof states)[number]) => states.push(state));
    await waitUntil(() => states.some((state) => state.players.some((player) => player.name === "pat")), 3_000, "a decoded onState");
    const quin = client("quin", { useProtobuf: true });
    await quin.connect();
    const notJoined = await failure(quin.request("arena.room.move", { seq: 1, dir: "up" }));
    assert.equal(notJoined.details.handlerCode, "NOT_JOINED", "an error answer decodes from protobuf too");
    const unfit = await failure(pat.request("arena.room.join", { name: 7 }));
    assert.equal(unfit.code, "BAD_REQUEST");
    assert.match(unfit.message, /arena\.room\.join\.name must be a string/);
  });

  it("announces the protos it holds by version on its next connection, and is not sent them again", async () => {
    const gateUrl = `http://127.0.0.1:${cluster.plan.options.gatePort}`;
    const cache: ProtosCache = {};
    const events = { push: () => undefined, kick: () => undefined, close: () => undefined };
    for (const round of [1, 2]) {
      const frames = { sent: [] as Buffer[], received: [] as Buffer[] };
      const entry = await queryGate(gateUrl, { uid: `cache-${round}` }, undefined, fetch, 5_000);
      const socket = await PomeloSocket.open({ url: entry.url, createWebSocket: recordingWebSocket(frames), timeoutMs: 5_000, sys: { type: "test" }, user: {}, protos: cache }, events);
      const announced = handshakeJson(frames.sent[0]!).sys.protoVersion;
      const answer = handshakeJson(frames.received[0]!).sys;
      if (round === 1) {
        assert.equal(announced, 0);
        assert.equal(answer.protos.version, cache.protos!.version);
      } else {
        assert.equal(announced, cache.protos!.version);
        assert.equal(answer.protos, undefined, "not sent again");
        assert.equal(answer.useProto, true);
      }
      const join = (await socket.request("arena.room.join", { name: `cache${round}` }, 5_000)) as { code: number };
      assert.equal(join.code, 200);
      socket.close();
    }
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
