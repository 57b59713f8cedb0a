import assert from "node:assert/strict";
import { Message, Package, type PomeloPackage } from "pomelo-protocol";
import WebSocket from "ws";
import { ConnectorMethod, directPart } from "../../services/src/cluster/contract";
import { encodeDataPackage, MessageType } from "../../services/src/protocol";
import { RpcServer } from "../../services/src/rpc";
import { waitUntil } from "../helpers/wait";
import { startConnector, type Running } from "./setup";

const Package_TYPE = { handshake: 1, handshakeAck: 2, heartbeat: 3, data: 4, kick: 5 } as const;
const Message_TYPE = { request: 0, notify: 1, response: 2, push: 3 } as const;

/** A client that uses only NetEase's reference codec: nothing of ours encodes or decodes its side. */
describe("connector: a client built on the pomelo-protocol reference package", () => {
  let running: Running;
  let backend: RpcServer;
  let socket: WebSocket;
  const received: PomeloPackage[] = [];
  let closeCode = 0;

  before(async () => {
    running = await startConnector({ heartbeatSec: 1, idleTimeoutSec: 0 });
    backend = new RpcServer({ serverId: "arena-1", incarnation: "inc-1" });
    backend.handle("hello", () => "hi");
    const { host, port } = await backend.listen();
    await running.rpc.call({ id: "arena-1", host, port, incarnation: "inc-1" }, "hello");
    socket = new WebSocket(`ws://127.0.0.1:${running.port}/`);
    socket.on("message", (data: Buffer) => {
      const decoded = Package.decode(data);
      received.push(...(Array.isArray(decoded) ? decoded : [decoded]));
    });
    socket.on("close", (code: number) => (closeCode = code));
    await new Promise((resolve) => socket.once("open", resolve));
  });
  after(async () => {
    socket.terminate();
    await running.stop();
    await backend.close();
  });

  const ofType = (type: number) => received.filter((pkg) => pkg.type === type);
  const json = (bytes: Buffer | null) => JSON.parse((bytes ?? Buffer.alloc(0)).toString("utf8")) as Record<string, unknown>;
  let dict: Record<string, number> = {};
  let sessionId = "";

  it("completes the handshake and learns the heartbeat and route dictionary", async () => {
    socket.send(Package.encode(Package_TYPE.handshake, Buffer.from(JSON.stringify({ sys: { type: "js-websocket", version: "0.0.1" }, user: {} }))));
    await waitUntil(() => ofType(Package_TYPE.handshake).length === 1, 2_000, "handshake response");
    const response = json(ofType(Package_TYPE.handshake)[0].body) as { code: number; sys: { heartbeat: number; dict: Record<string, number> } };
    assert.equal(response.code, 200);
    assert.equal(response.sys.heartbeat, 1);
    dict = response.sys.dict;
    socket.send(Package.encode(Package_TYPE.handshakeAck));
  });

  it("sends a request with a compressed route and reads the response", async () => {
    socket.send(Package.encode(Package_TYPE.data, Message.encode(1, Message_TYPE.request, 1, dict["connector.session.ping"], Buffer.from("{}"))));
    await waitUntil(() => ofType(Package_TYPE.data).length === 1, 2_000, "response");
    const message = Message.decode(ofType(Package_TYPE.data)[0].body!);
    assert.equal(message.type, Message_TYPE.response);
    assert.equal(message.id, 1);
    const body = json(message.body);
    assert.equal(body.code, 200);
    sessionId = String(body.sessionId);
  });

  it("sends a notify with a plain route that reaches the backend gateway", async () => {
    socket.send(Package.encode(Package_TYPE.data, Message.encode(0, Message_TYPE.notify, 0, "echo.h.tell", Buffer.from('{"x":2}'))));
    await waitUntil(() => running.gateway.notifies.length === 1, 2_000, "notify");
    assert.equal(running.gateway.notifies[0].sessionId, sessionId);
  });

  it("receives a push from the backend", async () => {
    backend.link("connector-0")!.notify(ConnectorMethod.batch, {
      serverId: "arena-1", tick: 1, unsubscribe: [], subscribe: [], broadcasts: [],
      ...directPart([[sessionId, encodeDataPackage({ type: MessageType.Push, route: "onTick", body: '{"tick":1}' }, running.connector.config.routeDictionary)]]),
    });
    await waitUntil(() => ofType(Package_TYPE.data).length === 2, 2_000, "push");
    const message = Message.decode(ofType(Package_TYPE.data)[1].body!);
    assert.equal(message.type, Message_TYPE.push);
    assert.equal(message.route, dict.onTick);
    assert.deepEqual(json(message.body), { tick: 1 });
  });

  it("gets its heartbeat answered", async () => {
    socket.send(Package.encode(Package_TYPE.heartbeat));
    await waitUntil(() => ofType(Package_TYPE.heartbeat).length === 1, 2_000, "heartbeat");
  });

  it("is kicked with a reason it can read", async () => {
    await backend.link("connector-0")!.call(ConnectorMethod.kick, { sessionId, reason: "game over" });
    await waitUntil(() => ofType(Package_TYPE.kick).length === 1 && closeCode !== 0, 2_000, "kick and close");
    assert.deepEqual(json(ofType(Package_TYPE.kick)[0].body), { reason: "game over" });
    assert.equal(closeCode, 4000);
  });
});

