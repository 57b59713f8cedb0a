import assert from "node:assert/strict";
import { encodeDataPackage, encodePackage, encodePackages, MessageType, PackageType } from "../../services/src/protocol";
import { sleep, waitUntil } from "../helpers/wait";
import { dictionary, startConnector, type Running } from "./setup";
import { TestClient } from "../helpers/pomelo-client";

describe("connector: the Pomelo client protocol", () => {
  let running: Running;
  const clients: TestClient[] = [];
  const connect = async (ready = true) => {
    const client = ready ? await TestClient.ready(running.port) : await TestClient.connect(running.port);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    running = await startConnector({ heartbeatSec: 1, idleTimeoutSec: 0, maxPayloadBytes: 4096, maxPackageBodyBytes: 1024, rateLimitPackagesPerSec: 50, rateLimitBurstPackages: 100 });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await running.stop();
  });

  it("answers a handshake with code 200, the heartbeat in seconds and the route dictionary", async () => {
    const client = await connect(false);
    const response = await client.handshake();
    assert.equal(response.code, 200);
    assert.ok(response.code === 200);
    assert.equal(response.heartbeatSeconds, 1);
    assert.deepEqual(response.dictionary?.toHandshakeDict(), dictionary.toHandshakeDict());
    const pong = (await client.request("connector.session.ping")) as { code: number; sessionId: string };
    assert.equal(pong.code, 200);
    assert.match(pong.sessionId, /^connector-0\.[0-9a-z]+\.[0-9a-z]+$/);
    assert.equal(running.connector.counters.handshakes, 1);
  });

  it("gives every session an id unique to this connector process", async () => {
    const [a, b] = [await connect(), await connect()];
    const [pa, pb] = (await Promise.all([a.request("connector.session.ping"), b.request("connector.session.ping")])) as Array<{ sessionId: string }>;
    assert.notEqual(pa.sessionId, pb.sessionId);
    assert.ok(pa.sessionId.includes(running.connector.incarnation));
  });

  it("answers a handshake that is not JSON with code 500 and closes with 4003", async () => {
    const client = await connect(false);
    client.sendRaw(encodePackage(PackageType.Handshake, Buffer.from("{not json")));
    const closed = await client.waitClosed();
    assert.equal(client.handshakeResponse?.code, 500);
    assert.equal(closed.code, 4003);
    assert.match(closed.reason, /handshake rejected \(500\)/);
  });

  it("answers 501 when the game's handshake check calls the client too old", async () => {
    await running.stop();
    running = await startConnector({}, (handshake) => (handshake.sys.version === "1.0.0" ? "old-client" : "ok"));
    const client = await connect(false);
    const response = await client.handshake();
    assert.equal(response.code, 501);
    assert.equal((await client.waitClosed()).code, 4003);
  });

  it("kicks a client that sends data before the handshake, with the reason in the kick and the close frame", async () => {
    const client = await connect(false);
    client.sendRaw(encodeDataPackage({ type: MessageType.Request, id: 1, route: "echo.h.echo", body: "{}" }));
    const closed = await client.waitClosed();
    assert.equal(closed.code, 1002);
    assert.deepEqual(client.kicks, ["protocol violation: data before handshake ack"]);
    assert.match(closed.reason, /data before handshake ack/);
    assert.equal(running.connector.counters.closes.protocolError, 1);
  });

  it("kicks a client that sends data after the handshake but before the ack", async () => {
    const client = await connect(false);
    client.sendRaw(encodePackage(PackageType.Handshake, Buffer.from('{"sys":{}}')));
    await waitUntil(() => client.handshakeResponse !== undefined, 2_000, "handshake");
    client.sendRaw(client.requestPackage("echo.h.echo", {}));
    assert.equal((await client.waitClosed()).code, 1002);
  });

  it("handles several packages of one WebSocket message in order", async () => {
    const client = await connect();
    const first = client.expectResponse(100);
    const second = client.expectResponse(101);
    client.sendRaw(Buffer.concat([encodePackage(PackageType.Heartbeat), client.requestPackage("echo.h.echo", { n: 1 }, 100), client.requestPackage("connector.session.ping", {}, 101)]));
    assert.deepEqual(((await first) as { echo: unknown }).echo, { n: 1 });
    assert.equal(((await second) as { code: number }).code, 200);
    await waitUntil(() => client.heartbeats === 1, 1_000, "heartbeat answer");
  });

  it("forwards requests and notifies to the gateway with the body bytes and frames the answer with the request id", async () => {
    const client = await connect();
    const answer = (await client.request("echo.h.echo", { hello: "world" })) as { echo: unknown; sessionId: string };
    assert.deepEqual(answer.echo, { hello: "world" });
    client.notify("echo.h.tell", { x: 1 });
    await waitUntil(() => running.gateway.notifies.length === 1, 1_000, "notify");
    assert.equal(running.gateway.notifies[0].route, "echo.h.tell");
    assert.equal(running.gateway.notifies[0].body.toString(), '{"x":1}');
  });

  it("turns each BackendFailure into an error body with its number, code and message", async () => {
    const client = await connect();
    assert.deepEqual(await client.request("fail.h.TIMEOUT"), { code: 504, error: "TIMEOUT", message: "chosen failure TIMEOUT" });
    assert.deepEqual(await client.request("fail.h.NO_SERVER"), { code: 503, error: "NO_SERVER", message: "chosen failure NO_SERVER" });
    assert.deepEqual(await client.request("fail.h.HANDLER_ERROR"), { code: 500, error: "HANDLER_ERROR", handlerCode: "BAD_INPUT", message: "chosen failure HANDLER_ERROR" });
    assert.deepEqual(await client.request("nowhere.h.m"), { code: 404, error: "UNKNOWN_SERVER_TYPE", message: "no server type nowhere" });
    assert.deepEqual(await client.request("connector.nothing.here"), { code: 404, error: "UNKNOWN_ROUTE", message: "no connector handler for connector.nothing.here" });
    assert.equal(client.closed, undefined);
  });

  it("kicks with the router's reason when the session's server is lost, and tells the gateway once", async () => {
    const client = await connect();
    void client.request("lost.h.x").catch(() => undefined);
    const closed = await client.waitClosed();
    assert.equal(closed.code, 4005);
    assert.deepEqual(client.kicks, ["server lost: lost-1 died"]);
    await waitUntil(() => running.gateway.closed.length === 1, 1_000, "sessionClosed");
    await sleep(50);
    assert.equal(running.gateway.closed.length, 1);
    assert.equal(running.gateway.closed[0].reason, "server lost: lost-1 died");
  });

  it("pushes onRebind with the new server when the router rebinds the session", async () => {
    const client = await connect();
    await client.request("rebind.h.x");
    assert.deepEqual(client.pushes, [{ route: "onRebind", body: { serverType: "rebind", serverId: "rebind-2" } }]);
  });

  it("answers client heartbeats and closes a client silent for 2x the heartbeat", async () => {
    const client = await connect();
    const lively = await connect();
    const beat = setInterval(() => lively.heartbeat(), 400);
    try {
      client.heartbeat();
      await waitUntil(() => client.heartbeats === 1, 1_000, "heartbeat answer");
      const silentSince = Date.now();
      const closed = await client.waitClosed(4_000);
      const silentMs = Date.now() - silentSince;
      assert.equal(closed.code, 4002);
      // Heartbeat 1 s, closed after 2× silence: measured, 4–5 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 2,133–2,794 ms, median 2,171.
      assert.ok(silentMs >= 1_900 && silentMs < 3_500, `closed after ${silentMs} ms of silence`);
      assert.match(client.kicks[0], /heartbeat timeout/);
      assert.equal(lively.closed, undefined, "a client that heartbeats stays");
    } finally {
      clearInterval(beat);
    }
  });

  it("closes a client whose WebSocket message is over maxPayloadBytes, and keeps serving others", async () => {
    const client = await connect();
    const other = await connect();
    client.sendRaw(Buffer.alloc(5000, 1));
    await client.waitClosed();
    await waitUntil(() => running.connector.counters.closes.oversized === 1, 1_000, "counted as oversized");
    assert.equal(((await other.request("connector.session.ping")) as { code: number }).code, 200);
  });

  it("closes with 1009 a package whose body is over maxPackageBodyBytes", async () => {
    const client = await connect();
    client.sendRaw(encodePackage(PackageType.Data, Buffer.alloc(2000)));
    const closed = await client.waitClosed();
    assert.equal(closed.code, 1009);
    assert.match(client.kicks[0], /OVERSIZED/);
  });

  it("kicks a client that floods past its rate limit with a clear reason", async () => {
    const client = await connect();
    for (let index = 0; index < 40; index++) client.sendRaw(encodePackages(Array.from({ length: 4 }, () => ({ type: PackageType.Heartbeat, body: new Uint8Array(0) }))));
    const closed = await client.waitClosed();
    assert.equal(closed.code, 1008);
    assert.match(client.kicks[0], /rate limit exceeded/);
    assert.equal(running.connector.counters.closes.rateLimited, 1);
  });

  it("kicks a client that sends more packages in one message than allowed", async () => {
    const client = await connect();
    client.sendRaw(encodePackages(Array.from({ length: 33 }, () => ({ type: PackageType.Heartbeat, body: new Uint8Array(0) }))));
    assert.equal((await client.waitClosed()).code, 1008);
    assert.match(client.kicks[0], /too many packages/);
  });

  it("rejects text frames, garbage and unknown package types with a close reason", async () => {
    const text = await connect();
    text.socket.send("hello");
    assert.equal((await text.waitClosed()).code, 1003);
    const garbage = await connect();
    garbage.sendRaw(Buffer.from([9, 0, 0, 0]));
    const closed = await garbage.waitClosed();
    assert.equal(closed.code, 1002);
    assert.match(garbage.kicks[0], /UNKNOWN_PACKAGE_TYPE/);
  });

  it("kicks every client with a reason on stop and frees the port", async () => {
    const client = await connect();
    await running.connector.stop("maintenance");
    const closed = await client.waitClosed();
    assert.equal(closed.code, 1001);
    assert.deepEqual(client.kicks, ["maintenance"]);
    await assert.rejects(TestClient.connect(running.port));
  });
});
