import assert from "node:assert/strict";
import * as protobuf from "pomelo-protobuf";
import { ConnectorMethod, directPart, type TickBatch } from "../../services/src/cluster/contract";
import { encodeDataPackage, encodeDataPackages, MessageType } from "../../services/src/protocol";
import { declareProtos } from "../../services/src/protocol/protobuf/declare-protos";
import { RpcServer, type RpcLink } from "../../services/src/rpc";
import { ReferenceClient } from "../helpers/reference-client";
import { waitUntil } from "../helpers/wait";
import { dictionary, startConnector, type Running } from "./setup";

const TOPIC = "arena-1/room";
const PROTOS = declareProtos({
  server: { onTick: { "required uInt32 tick": 1 }, onRebind: { "required string serverType": 1, "required string serverId": 2 }, "echo.h.echo": { "optional uInt32 code": 1, "optional string sessionId": 2 } },
  client: { "echo.h.echo": { "required string text": 1, "repeated sInt32 moves": 2 } },
});
const push = (route: string, body: unknown) => encodeDataPackage({ type: MessageType.Push, route, body: JSON.stringify(body) }, dictionary);

/** The connector's protobuf edge with a test backend: which bytes each kind of client gets on every path to it. */
describe("connector: protobuf bodies for clients that ask for them, JSON for the rest", function () {
  this.timeout(20_000);
  let running: Running;
  let backend: RpcServer;
  let link: RpcLink;
  const clients: ReferenceClient[] = [];

  before(async () => {
    running = await startConnector({ protos: PROTOS });
    backend = new RpcServer({ serverId: "arena-1", incarnation: "inc-1" });
    backend.handle("hello", () => "hi");
    const { host, port } = await backend.listen();
    await running.rpc.call({ id: "arena-1", host, port, incarnation: "inc-1" }, "hello");
    link = backend.link("connector-0")!;
    protobuf.init({ encoderProtos: PROTOS.client.parsed as Record<string, unknown>, decoderProtos: PROTOS.server.parsed as Record<string, unknown> });
  });
  after(async () => {
    for (const client of clients) client.socket.terminate();
    await running.stop();
    await backend.close();
  });

  async function connect(sys: Record<string, unknown>): Promise<{ client: ReferenceClient; sessionId: string }> {
    const client = new ReferenceClient(running.port);
    clients.push(client);
    await client.handshake(sys);
    const before = running.connector.sessions.size;
    assert.ok(before > 0);
    const sessionId = [...running.connector.sessions.values()].at(-1)!.session.id;
    return { client, sessionId };
  }

  const batch = (parts: Partial<TickBatch>): TickBatch => ({ serverId: "arena-1", tick: 1, unsubscribe: [], subscribe: [], broadcasts: [], ...directPart([]), ...parts });

  it("decodes a protobuf request to the JSON the backend reads, and encodes the JSON answer by the request's route", async () => {
    const { client, sessionId } = await connect({ protoVersion: 0 });
    const answer = protobuf.decode("echo.h.echo", await client.request("echo.h.echo", protobuf.encode("echo.h.echo", { text: "hi", moves: [1, -2] })!))!;
    assert.deepEqual(answer, { code: 200, sessionId });
  });

  it("publishes a broadcast to subscribers of each kind (no own packages: the publish path) in their format", async () => {
    const pbA = await connect({ protoVersion: PROTOS.version });
    const pbB = await connect({ protoVersion: "stale" });
    const json = await connect({});
    link.notify(ConnectorMethod.batch, batch({ subscribe: [pbA, pbB, json].map(({ sessionId }) => [TOPIC, sessionId] as const) }));
    link.notify(ConnectorMethod.batch, batch({ tick: 2, broadcasts: [[TOPIC, encodeDataPackages([{ type: MessageType.Push, route: "onTick", body: '{"tick":2}' }, { type: MessageType.Push, route: "onJson", body: '{"plain":true}' }], dictionary)]] }));
    await waitUntil(() => [pbA, pbB, json].every(({ client }) => client.pushes("onJson").length === 1), 3_000, "broadcast everywhere");
    for (const { client } of [pbA, pbB]) {
      assert.deepEqual(protobuf.decode("onTick", client.pushes("onTick")[0]), { tick: 2 });
      assert.deepEqual(JSON.parse(client.pushes("onJson")[0].toString("utf8")), { plain: true }, "a route without a proto stays JSON");
    }
    assert.deepEqual(JSON.parse(json.client.pushes("onTick")[0].toString("utf8")), { tick: 2 });
  });

  it("merges a broadcast with own packages per socket in each one's format", async () => {
    const pb = await connect({ protoVersion: PROTOS.version });
    const json = await connect({});
    link.notify(ConnectorMethod.batch, batch({ subscribe: [[`${TOPIC}-2`, pb.sessionId], [`${TOPIC}-2`, json.sessionId]] }));
    link.notify(
      ConnectorMethod.batch,
      batch({ tick: 3, broadcasts: [[`${TOPIC}-2`, push("onTick", { tick: 3 })]], ...directPart([[pb.sessionId, push("onTick", { tick: 33 })], [json.sessionId, push("onTick", { tick: 34 })]]) }),
    );
    await waitUntil(() => pb.client.pushes("onTick").length === 2 && json.client.pushes("onTick").length === 2, 3_000, "merged messages");
    assert.deepEqual(pb.client.pushes("onTick").map((body) => protobuf.decode("onTick", body)), [{ tick: 3 }, { tick: 33 }]);
    assert.deepEqual(json.client.pushes("onTick").map((body) => JSON.parse(body.toString("utf8"))), [{ tick: 3 }, { tick: 34 }]);
  });

  it("translates an out-of-tick push and the connector's own onRebind", async () => {
    const pb = await connect({ protoVersion: PROTOS.version });
    const delivered = await link.call(ConnectorMethod.push, { sessionIds: [pb.sessionId], packages: push("onTick", { tick: 9 }) });
    assert.deepEqual(delivered, { delivered: 1 });
    running.connector.rebound(running.connector.sessions.get(pb.sessionId)!.session, "arena", "arena-2");
    await waitUntil(() => pb.client.pushes("onRebind").length === 1, 3_000, "onRebind");
    assert.deepEqual(protobuf.decode("onTick", pb.client.pushes("onTick")[0]), { tick: 9 });
    assert.deepEqual(protobuf.decode("onRebind", pb.client.pushes("onRebind")[0]), { serverType: "arena", serverId: "arena-2" });
  });

  it("drops for protobuf clients a push that does not fit its message (counted), and still delivers it as JSON to the others", async () => {
    const pb = await connect({ protoVersion: PROTOS.version });
    const json = await connect({});
    const failures = running.connector.counters.protobufEncodeFailures;
    link.notify(ConnectorMethod.batch, batch({ tick: 4, ...directPart([[pb.sessionId, Buffer.concat([push("onTick", { nope: 1 }), push("onTick", { tick: 4 })])], [json.sessionId, push("onTick", { nope: 1 })]]) }));
    await waitUntil(() => pb.client.pushes("onTick").length === 1 && json.client.pushes("onTick").length === 1, 3_000, "pushes");
    assert.deepEqual(protobuf.decode("onTick", pb.client.pushes("onTick")[0]), { tick: 4 });
    assert.deepEqual(JSON.parse(json.client.pushes("onTick")[0].toString("utf8")), { nope: 1 });
    assert.equal(running.connector.counters.protobufEncodeFailures, failures + 1);
  });

  it("sends a protobuf client nothing at all (no empty frame) when translation leaves out everything it had, and stays open", async () => {
    const pb = await connect({ protoVersion: PROTOS.version });
    const frames = pb.client.frames;
    link.notify(ConnectorMethod.batch, batch({ tick: 5, ...directPart([[pb.sessionId, push("onTick", { nope: 1 })]]) }));
    link.notify(ConnectorMethod.batch, batch({ tick: 6, ...directPart([[pb.sessionId, Buffer.from([4, 0, 0, 9, 1])]]) }));
    assert.deepEqual(await link.call(ConnectorMethod.push, { sessionIds: [pb.sessionId], packages: push("onTick", { nope: 2 }) }), { delivered: 0 });
    link.notify(ConnectorMethod.batch, batch({ tick: 7, ...directPart([[pb.sessionId, push("onTick", { tick: 7 })]]) }));
    await waitUntil(() => pb.client.pushes("onTick").length === 1, 3_000, "the next push");
    assert.equal(pb.client.frames, frames + 1, "one frame: the tick-7 push");
    assert.deepEqual(protobuf.decode("onTick", pb.client.pushes("onTick")[0]), { tick: 7 });
    assert.equal(pb.client.closed, undefined);
  });

  it("closes a protobuf client whose request body is not the route's message with 1002 and a reason naming BAD_BODY", async () => {
    const { client } = await connect({ protoVersion: PROTOS.version });
    const closes = running.connector.counters.closes.protocolError;
    client.request("echo.h.echo", Buffer.from([0x0a, 0x05, 0x68])).catch(() => undefined);
    await waitUntil(() => client.closed !== undefined, 3_000, "closed");
    assert.equal(client.closed!.code, 1002);
    assert.match(client.closed!.reason, /^bad package: BAD_BODY: protobuf body of echo\.h\.echo ends inside field text/);
    assert.equal(running.connector.counters.closes.protocolError, closes + 1);
  });
});
