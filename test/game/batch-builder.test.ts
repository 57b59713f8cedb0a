import assert from "node:assert/strict";
import { Message as PomeloMessage, Package as PomeloPackage } from "pomelo-protocol";
import { channelTopic, directEntries, type TickBatch } from "../../services/src/cluster/contract";
import { BatchBuilder, ChannelRegistry, type ChannelMember } from "../../services/src/game";
import { decodeMessage, decodePackages, MAX_PACKAGE_BODY_BYTES, MessageType, PackageType, RouteDictionary } from "../../services/src/protocol";

const SERVER = "arena-1";

function setup(dictionary?: RouteDictionary) {
  const builder = new BatchBuilder(SERVER, dictionary);
  const channels = new ChannelRegistry(SERVER, builder);
  return { builder, channels };
}

const member = (sessionId: string, connectorId: string): ChannelMember => ({ uid: `u-${sessionId}`, sessionId, connectorId });

/** Every push in a packages buffer, decoded with our codec: [route, JSON body]. */
function pushes(packages: Buffer, dictionary?: RouteDictionary): Array<[string, unknown]> {
  return decodePackages(packages).map((pkg) => {
    assert.equal(pkg.type, PackageType.Data);
    const message = decodeMessage(pkg.body, dictionary);
    assert.equal(message.type, MessageType.Push);
    return [message.type === MessageType.Push ? message.route : "", JSON.parse(message.body.toString("utf8"))];
  });
}

const json = (value: unknown) => JSON.stringify(value);

describe("batch builder: one batch per connector per tick", () => {
  it("gives each connector with anything exactly one batch, tagged with the server and the tick", () => {
    const { builder, channels } = setup();
    const room = channels.channel("room");
    room.add(member("s1", "connector-0"));
    room.add(member("s2", "connector-0"));
    room.add(member("s3", "connector-1"));
    room.broadcast("onState", json({ n: 1 }));
    room.broadcast("onState", json({ n: 2 }));
    builder.push("connector-0", "s1", "onAck", json({ seq: 1 }));
    builder.push("connector-2", "s9", "onAck", json({ seq: 9 }));
    const batches = builder.build(7);
    assert.deepEqual([...batches.keys()].sort(), ["connector-0", "connector-1", "connector-2"]);
    for (const batch of batches.values()) {
      assert.equal(batch.serverId, SERVER);
      assert.equal(batch.tick, 7);
    }
    assert.equal(builder.isEmpty, true);
    assert.equal(builder.build(8).size, 0, "a tick with nothing produces no batch at all");
  });

  it("encodes a broadcast once: every connector gets the very same Buffer, several broadcasts to a channel concatenated", () => {
    const { builder, channels } = setup();
    const room = channels.channel("room");
    for (let i = 0; i < 6; i++) room.add(member(`s${i}`, `connector-${i % 3}`));
    room.broadcast("onState", json({ n: 1 }));
    room.broadcast("onChat", json({ text: "hi" }));
    const batches = builder.build(1);
    const payloads = [...batches.values()].map((batch) => {
      assert.equal(batch.broadcasts.length, 1);
      assert.equal(batch.broadcasts[0]![0], channelTopic(SERVER, "room"));
      return batch.broadcasts[0]![1];
    });
    assert.equal(payloads.length, 3);
    assert.ok(payloads.every((payload) => payload === payloads[0]), "one Buffer object shared by every connector");
    assert.deepEqual(pushes(payloads[0]!), [["onState", { n: 1 }], ["onChat", { text: "hi" }]]);
  });

  it("sends a broadcast only to connectors with a member of that channel; a channel with no member on a connector produces nothing for it", () => {
    const { builder, channels } = setup();
    channels.channel("red").add(member("s1", "connector-0"));
    channels.channel("blue").add(member("s2", "connector-1"));
    builder.build(1); // the joins
    channels.channel("red").broadcast("onState", json("red"));
    channels.channel("empty").broadcast("onState", json("nobody"));
    const batches = builder.build(2);
    assert.deepEqual([...batches.keys()], ["connector-0"]);
    assert.deepEqual(batches.get("connector-0")!.broadcasts.map(([topic]) => topic), [channelTopic(SERVER, "red")]);
  });

  it("delivers per-player packages only to the target session's connector, a session's messages of one tick concatenated into one buffer", () => {
    const { builder } = setup();
    builder.push("connector-0", "s1", "onAck", json({ seq: 1 }));
    builder.push("connector-1", "s2", "onAck", json({ seq: 2 }));
    builder.push("connector-0", "s1", "onHit", json({ by: "s2" }));
    builder.push("connector-0", "s3", "onAck", json({ seq: 3 }));
    const batches = builder.build(1);
    const c0 = batches.get("connector-0")!;
    const c1 = batches.get("connector-1")!;
    assert.deepEqual(directEntries(c0).map(([sessionId]) => sessionId), ["s1", "s3"]);
    assert.deepEqual(pushes(directEntries(c0)[0]![1]), [["onAck", { seq: 1 }], ["onHit", { by: "s2" }]]);
    assert.deepEqual(pushes(directEntries(c0)[1]![1]), [["onAck", { seq: 3 }]]);
    assert.deepEqual(directEntries(c1).map(([sessionId]) => sessionId), ["s2"]);
    assert.deepEqual(pushes(directEntries(c1)[0]![1]), [["onAck", { seq: 2 }]]);
    assert.equal(c0.broadcasts.length + c1.broadcasts.length, 0);
  });

  it("routes membership changes to the member's own connector as subscribe/unsubscribe of the channel topic", () => {
    const { builder, channels } = setup();
    const room = channels.channel("room");
    room.add(member("s1", "connector-0"));
    room.add(member("s2", "connector-1"));
    let batches = builder.build(1);
    const topic = channelTopic(SERVER, "room");
    assert.deepEqual(batches.get("connector-0")!.subscribe, [[topic, "s1"]]);
    assert.deepEqual(batches.get("connector-1")!.subscribe, [[topic, "s2"]]);
    room.remove("s2");
    batches = builder.build(2);
    assert.deepEqual([...batches.keys()], ["connector-1"]);
    assert.deepEqual(batches.get("connector-1")!.unsubscribe, [[topic, "s2"]]);
    assert.deepEqual(batches.get("connector-1")!.subscribe, []);
  });

  it("nets out a join and a leave within one tick, and a leave and re-join, so the connector never ends in the wrong state", () => {
    const { builder, channels } = setup();
    const room = channels.channel("room");
    room.add(member("s1", "connector-0"));
    room.remove("s1");
    assert.equal(builder.build(1).size, 0);
    room.add(member("s2", "connector-0"));
    builder.build(2);
    room.remove("s2");
    room.add(member("s2", "connector-0"));
    assert.equal(builder.build(3).size, 0);
    assert.equal(room.has("s2"), true);
  });

  it("lets members who joined during the tick receive that tick's broadcast (subscribe is applied before publish)", () => {
    const { builder, channels } = setup();
    const room = channels.channel("room");
    room.broadcast("onState", json(1));
    room.add(member("s1", "connector-0"));
    const batch = builder.build(1).get("connector-0")!;
    assert.equal(batch.subscribe.length, 1);
    assert.equal(batch.broadcasts.length, 1);
  });

  it("forgets a closed session's channels without sending unsubscribes for a socket that is gone", () => {
    const { builder, channels } = setup();
    channels.channel("a").add(member("s1", "connector-0"));
    channels.channel("b").add(member("s1", "connector-0"));
    builder.build(1);
    channels.forgetSession("s1");
    assert.equal(channels.channel("a").size + channels.channel("b").size, 0);
    assert.equal(builder.build(2).size, 0);
  });

  it("compresses routes with the shared dictionary, and its packages decode with NetEase's pomelo-protocol", () => {
    const dictionary = RouteDictionary.fromRoutes(["onAck", "onState"]);
    const { builder, channels } = setup(dictionary);
    channels.channel("room").add(member("s1", "connector-0"));
    channels.channel("room").broadcast("onState", json({ players: [{ id: "s1", x: 1 }] }));
    channels.channel("room").broadcast("onUncompressed", json({ n: 2 }));
    builder.push("connector-0", "s1", "onAck", json({ seq: 5 }));
    builder.push("connector-0", "s1", "onAck", json({ seq: 6 }));
    const batch: TickBatch = builder.build(1).get("connector-0")!;
    assert.deepEqual(pushes(batch.broadcasts[0]![1], dictionary), [
      ["onState", { players: [{ id: "s1", x: 1 }] }],
      ["onUncompressed", { n: 2 }],
    ]);

    const reference = (packages: Buffer) => {
      const decoded = PomeloPackage.decode(packages);
      return (Array.isArray(decoded) ? decoded : [decoded]).map((pkg) => {
        assert.equal(pkg.type, PackageType.Data);
        const message = PomeloMessage.decode(pkg.body!);
        assert.equal(message.type, MessageType.Push);
        const route = message.compressRoute ? dictionary.routeOf(message.route as number) : message.route;
        return [route, JSON.parse(message.body.toString("utf8"))];
      });
    };
    assert.deepEqual(reference(batch.broadcasts[0]![1]), [
      ["onState", { players: [{ id: "s1", x: 1 }] }],
      ["onUncompressed", { n: 2 }],
    ]);
    assert.deepEqual(reference(directEntries(batch)[0]![1]), [
      ["onAck", { seq: 5 }],
      ["onAck", { seq: 6 }],
    ]);
    const first = PomeloMessage.decode((PomeloPackage.decode(directEntries(batch)[0]![1]) as Array<{ body: Buffer }>)[0]!.body);
    assert.equal(first.compressRoute, 1, "a dictionary route travels as its 2-byte code");
  });

  it("rejects a route too long for the protocol when it is pushed, not at the end of the tick", () => {
    const { builder } = setup();
    assert.throws(() => builder.push("connector-0", "s1", "r".repeat(300), "{}"), { name: "ProtocolError", code: "ROUTE_TOO_LONG" });
    assert.equal(builder.isEmpty, true);
  });

  it("is empty only with nothing pending: a broadcast, a push or a membership change each make a tick to send", () => {
    const { builder, channels } = setup();
    assert.equal(builder.isEmpty, true);
    channels.channel("room").add(member("s1", "connector-0"));
    assert.equal(builder.isEmpty, false, "a subscribe is pending");
    builder.build(1);
    channels.channel("room").broadcast("onState", json(1));
    assert.equal(builder.isEmpty, false, "a broadcast is pending");
    builder.build(2);
    builder.push("connector-0", "s1", "onAck", json(1));
    assert.equal(builder.isEmpty, false, "a push is pending");
    builder.build(3);
    assert.equal(builder.isEmpty, true);
  });

  it("gives a connector the broadcasts of every channel it has members in", () => {
    const { builder, channels } = setup();
    channels.channel("red").add(member("s1", "connector-0"));
    channels.channel("blue").add(member("s2", "connector-0"));
    builder.build(1);
    channels.channel("red").broadcast("onState", json("red"));
    channels.channel("blue").broadcast("onState", json("blue"));
    const broadcasts = builder.build(2).get("connector-0")!.broadcasts;
    assert.deepEqual(broadcasts.map(([topic, payload]) => [topic, pushes(payload)]), [
      [channelTopic(SERVER, "red"), [["onState", "red"]]],
      [channelTopic(SERVER, "blue"), [["onState", "blue"]]],
    ]);
  });

  it("writes binary and multi-byte UTF-8 bodies byte for byte into one session's buffer", () => {
    const { builder } = setup();
    const bytes = Uint8Array.from([0x7b, 0x22, 0x62, 0x22, 0x3a, 0x31, 0x7d]); // {"b":1}
    builder.push("connector-0", "s1", "onBin", bytes);
    builder.push("connector-0", "s1", "onText", json({ text: "žluťoučký kůň 🐎" }));
    const [[, buffer]] = directEntries(builder.build(1).get("connector-0")!);
    assert.deepEqual(pushes(buffer!), [["onBin", { b: 1 }], ["onText", { text: "žluťoučký kůň 🐎" }]]);
  });

  it("takes a push whose message is exactly the 3-byte length limit and refuses one byte more, at push time", () => {
    const { builder } = setup();
    const headBytes = 1 + 1 + "onBig".length; // flag, route length, route
    builder.push("connector-0", "s1", "onBig", "x".repeat(MAX_PACKAGE_BODY_BYTES - headBytes));
    assert.throws(() => builder.push("connector-0", "s2", "onBig", "x".repeat(MAX_PACKAGE_BODY_BYTES - headBytes + 1)), {
      name: "ProtocolError",
      code: "OVERSIZED",
      message: `package body of ${MAX_PACKAGE_BODY_BYTES + 1} bytes exceeds the 3-byte limit of ${MAX_PACKAGE_BODY_BYTES}`,
    });
    const direct = directEntries(builder.build(1).get("connector-0")!);
    assert.deepEqual(direct.map(([sessionId, buffer]) => [sessionId, buffer.length]), [["s1", 4 + MAX_PACKAGE_BODY_BYTES]]);
  });
});
