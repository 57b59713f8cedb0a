/**
 * A Pomelo client with `useProtobuf`, built only on NetEase's codecs (`pomelo-protocol` for packages
 * and messages, `pomelo-protobuf` for bodies), against real processes: a redis-server, the connector
 * (connector-main with POMONA_PROTOS) and the arena game server. A JSON client shares its room, so
 * every tick's broadcast goes out in both formats.
 */
import assert from "node:assert/strict";
import path from "node:path";
import * as protobuf from "pomelo-protobuf";
import { Message, Package } from "pomelo-protocol";
import { arena } from "../../services/games/arena/game";
import { arenaProtos } from "../../services/games/arena/protos";
import { gameRoutes } from "../../services/src/game";
import { FixtureProcess } from "../helpers/child-process";
import { freePort } from "../helpers/ports";
import { RedisServer } from "../helpers/redis-server";
import { MessageType, PackageType, ReferenceClient } from "../helpers/reference-client";
import { sleep, waitUntil } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "../..");

describe("a Pomelo client with useProtobuf (pomelo-protocol + pomelo-protobuf) against the connector and the arena", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let game: FixtureProcess;
  let connector: FixtureProcess;
  let port = 0;
  const clients: ReferenceClient[] = [];
  let pb: ReferenceClient;
  let json: ReferenceClient;
  let handshake: Record<string, any>;

  before(async () => {
    redis = await RedisServer.start();
    const common = { REDIS_URL: redis.url, POMONA_NAMESPACE: "protobuf", POMONA_ROUTES: [...gameRoutes(arena), "onRebind"].join(",") };
    game = FixtureProcess.start(path.join(ROOT, "services/games/arena/main.ts"), { ...common, SERVER_ID: "arena-1", HOST: "127.0.0.1", PORT: String(await freePort()) });
    port = await freePort();
    connector = FixtureProcess.start(path.join(ROOT, "services/src/roles/connector-main.ts"), {
      ...common,
      SERVER_ID: "connector-0",
      HOST: "127.0.0.1",
      PORT: String(port),
      POMONA_PROTOS: JSON.stringify(arenaProtos),
    });
    await Promise.all([game.waitFor("ready", 20_000), connector.waitFor("ready", 20_000)]);
    // The connector learns about the game server through discovery.
    await sleep(1000);
  });

  after(async () => {
    for (const client of clients) client.socket.terminate();
    await Promise.all([game?.kill(), connector?.kill()]);
    await redis?.dispose();
  });

  const connect = () => {
    const client = new ReferenceClient(port);
    clients.push(client);
    return client;
  };

  it("is offered the protos in the handshake, in pomelo-protobuf's parsed form, because it holds none (protoVersion 0)", async () => {
    pb = connect();
    handshake = await pb.handshake({ protoVersion: 0 });
    assert.equal(handshake.code, 200);
    assert.equal(handshake.sys.useProto, true);
    assert.deepEqual(handshake.sys.protos.server, protobuf.parse(arenaProtos.server!));
    assert.deepEqual(handshake.sys.protos.client, protobuf.parse(arenaProtos.client!));
    assert.equal(typeof handshake.sys.protos.version, "string");
    // What NetEase's clients do with it.
    protobuf.init({ encoderProtos: handshake.sys.protos.client, decoderProtos: handshake.sys.protos.server });
  });

  it("is not sent the protos again when it announces the current version, and a client that announces none gets JSON", async () => {
    const cached = connect();
    const answer = await cached.handshake({ protoVersion: handshake.sys.protos.version });
    assert.equal(answer.sys.useProto, true);
    assert.equal(answer.sys.protos, undefined);
    json = connect();
    const plain = await json.handshake({});
    assert.equal(plain.sys.useProto, undefined);
    assert.equal(plain.sys.protos, undefined);
  });

  it("sends a protobuf request and decodes the protobuf response", async () => {
    const body = protobuf.encode("arena.room.join", { name: "proto" })!;
    const answer = protobuf.decode("arena.room.join", await pb.request("arena.room.join", body))!;
    assert.equal(answer.code, 200);
    assert.equal(answer.server, "arena-1");
    assert.equal(answer.room, "room");
    assert.equal(typeof answer.x, "number");
    const moved = protobuf.decode("arena.room.move", await pb.request("arena.room.move", protobuf.encode("arena.room.move", { seq: 1, dir: "right" })!))!;
    assert.deepEqual({ code: moved.code, seq: moved.seq, server: moved.server }, { code: 200, seq: 1, server: "arena-1" });
  });

  it("an error answer reaches it as protobuf too (the response proto declares code, error, message)", async () => {
    const fresh = connect();
    await fresh.handshake({ protoVersion: handshake.sys.protos.version });
    const answer = protobuf.decode("arena.room.move", await fresh.request("arena.room.move", protobuf.encode("arena.room.move", { seq: 1, dir: "up" })!))!;
    assert.equal(answer.handlerCode, "NOT_JOINED");
    assert.equal(typeof answer.code, "number");
  });

  it("receives the tick's broadcast (onState) and its own push (onAck) with protobuf bodies, while the JSON client in the room gets JSON", async () => {
    const joined = JSON.parse((await json.request("arena.room.join", Buffer.from('{"name":"json"}'))).toString("utf8"));
    assert.equal(joined.room, "room");
    await waitUntil(() => pb.pushes("onAck").some((body) => protobuf.decode("onAck", body)!.seq === 1), 5_000, "onAck with seq 1");
    await waitUntil(() => pb.pushes("onState").some((body) => (protobuf.decode("onState", body)!.players as unknown[]).length === 2), 5_000, "onState with both players");
    const state = pb.pushes("onState").map((body) => protobuf.decode("onState", body)!).find((decoded) => (decoded.players as unknown[]).length === 2)!;
    assert.deepEqual(new Set((state.players as Array<{ name: string }>).map((player) => player.name)), new Set(["proto", "json"]));
    // The two clients read separate sockets: the JSON one may take a moment longer to read the same tick.
    const jsonState = () => json.pushes("onState").map((body) => JSON.parse(body.toString("utf8"))).find((decoded) => decoded.tick === state.tick);
    await waitUntil(() => jsonState() !== undefined, 2_000, `the JSON client gets tick ${state.tick} as JSON`);
    const seenByJson = jsonState();
    assert.deepEqual(seenByJson, state, "the same state in both formats");
  });

  it("a body that is not the route's message closes that connection with 1002 and BAD_BODY; the connector keeps serving the others", async () => {
    const attacker = connect();
    await attacker.handshake({ protoVersion: handshake.sys.protos.version });
    // Field tag 9 does not exist in arena.room.move (pomelo-protobuf's own decoder would throw a TypeError).
    attacker.socket.send(Package.encode(PackageType.data, Message.encode(1, MessageType.request, 1, attacker.dict["arena.room.move"], Buffer.from([0x48, 0x01]))));
    await waitUntil(() => attacker.closed !== undefined, 5_000, "attacker closed");
    assert.equal(attacker.closed!.code, 1002);
    assert.match(attacker.closed!.reason, /BAD_BODY/);
    const before = pb.pushes("onAck").length;
    await waitUntil(() => pb.pushes("onAck").length > before + 2, 5_000, "pushes keep coming");
    assert.equal(connector.exited, false, "the connector is still running");
  });
});
