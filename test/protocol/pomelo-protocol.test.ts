import assert from "node:assert/strict";
import fc from "fast-check";
import { Message as PomeloMessage, Package as PomeloPackage } from "pomelo-protocol";
import {
  decodeMessage,
  decodePackages,
  encodeDataPackage,
  encodeHandshakeResponse,
  encodeKickPackage,
  encodeMessage,
  encodePackage,
  encodePackages,
  HandshakeCode,
  MessageType,
  PackageType,
  type Message,
  type Package,
  type ProtocolErrorCode,
  type RouteDictionary,
} from "../../services/src/protocol";
import { anyBytes, assertRejects, comparable, dictionary, FUZZ_RUNS, messages, packages, PROPERTY_RUNS, utf8 } from "./generators";

/**
 * Cross-checks against NetEase's reference codec, pomelo-protocol 0.1.6, in both directions:
 * same bytes out of both encoders, and each decoder reads the other's output to the same values.
 *
 * Its edges are checked against the spec instead, because there it is wrong (see the last
 * describe): ids ≥ 2^31 (32-bit shifts), bodies over 16 MiB - 1 (masked length), and any
 * truncated or malformed input (silently padded, or a RangeError).
 */

/** Largest id pomelo-protocol encodes and decodes correctly. */
const POMELO_MAX_ID = 2 ** 31 - 1;

/** Package.decode returns one object for one package and an array otherwise, with null for empty bodies. */
function theirDecodePackages(bytes: Uint8Array): Package<Buffer>[] {
  const decoded = PomeloPackage.decode(bytes);
  return (Array.isArray(decoded) ? decoded : [decoded]).map(({ type, body }) => ({
    type: type as PackageType,
    body: body ?? Buffer.alloc(0),
  }));
}

function theirEncodeMessage(message: Message<Uint8Array>, dict?: RouteDictionary): Buffer {
  const id = message.type === MessageType.Request || message.type === MessageType.Response ? message.id : 0;
  if (message.type === MessageType.Response) {
    return PomeloMessage.encode(id, message.type, 0, null, message.body);
  }
  const code = dict?.codeOf(message.route);
  return code === undefined
    ? PomeloMessage.encode(id, message.type, 0, message.route, message.body)
    : PomeloMessage.encode(id, message.type, 1, code, message.body);
}

/** Message.decode, reshaped to ours: the code resolved to the route, no id on notify/push, no route on responses. */
function theirDecodeMessage(bytes: Uint8Array, dict?: RouteDictionary): Record<string, unknown> {
  const { id, type, compressRoute, route, body } = PomeloMessage.decode(bytes);
  const resolvedRoute = compressRoute === 1 ? dict?.routeOf(route as number) : route;
  switch (type) {
    case MessageType.Request:
      return { type, id, route: resolvedRoute, body };
    case MessageType.Response:
      return { type, id, body };
    default:
      return { type, route: resolvedRoute, body };
  }
}

function assertSameMessageBothWays(message: Message<Uint8Array>, dict?: RouteDictionary): void {
  const ours = encodeMessage(message, dict);
  const theirs = theirEncodeMessage(message, dict);
  assert.equal(ours.toString("hex"), theirs.toString("hex"), "encoders disagree");
  assert.deepEqual(theirDecodeMessage(ours, dict), comparable(message), "pomelo-protocol misreads our bytes");
  assert.deepEqual(comparable(decodeMessage(theirs, dict)), comparable(message), "we misread pomelo-protocol bytes");
}

const BOUNDARY_IDS = [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, POMELO_MAX_ID];
const SAMPLE_BODIES = [new Uint8Array(0), utf8("{}"), utf8('{"msg":"héllo wörld 🎮","n":[1,2,3]}'), Buffer.from([0, 0xff, 0x80])];
const PLAIN_ROUTES = ["", "a", "connector.entryHandler.entry", "área.jögador.mover", "🎮.handler.play", "x".repeat(255)];
const COMPRESSED_ROUTES = ["connector.entryHandler.entry", "onChat", "área.jögador.mover"];

describe("protocol: byte-for-byte agreement with pomelo-protocol 0.1.6", () => {
  describe("packages", () => {
    const typeNames = Object.entries(PackageType) as [string, PackageType][];
    for (const [name, type] of typeNames) {
      it(`a ${name} package (type ${type}) is the same bytes, read the same by both decoders`, () => {
        for (const body of SAMPLE_BODIES) {
          const ours = encodePackage(type, body);
          const theirs = PomeloPackage.encode(type, body.length === 0 ? null : body);
          assert.equal(ours.toString("hex"), theirs.toString("hex"));
          assert.deepEqual(theirDecodePackages(ours), [{ type, body: Buffer.from(body) }]);
          assert.deepEqual(decodePackages(theirs), [{ type, body: Buffer.from(body) }]);
        }
      });
    }

    it("several packages in one buffer: ours is theirs concatenated, and Package.decode returns them as an array", () => {
      const list: Package[] = [
        { type: PackageType.Handshake, body: utf8('{"sys":{}}') },
        { type: PackageType.Heartbeat, body: new Uint8Array(0) },
        { type: PackageType.Data, body: utf8("ü") },
        { type: PackageType.Kick, body: utf8('{"reason":"x"}') },
      ];
      const ours = encodePackages(list);
      const theirs = Buffer.concat(list.map(({ type, body }) => PomeloPackage.encode(type, body.length === 0 ? null : body)));
      assert.deepEqual(ours, theirs);
      assert.ok(Array.isArray(PomeloPackage.decode(ours)));
      assert.deepEqual(theirDecodePackages(ours), decodePackages(theirs));
    });

    it("any list of packages agrees both ways", () => {
      fc.assert(
        fc.property(fc.array(packages, { minLength: 1, maxLength: 6 }), (list) => {
          const ours = encodePackages(list);
          const theirs = Buffer.concat(list.map(({ type, body }) => PomeloPackage.encode(type, body)));
          assert.deepEqual(ours, theirs);
          assert.deepEqual(theirDecodePackages(ours), decodePackages(theirs));
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });

    it("handshake responses and kicks are the packages Pomelo servers send", () => {
      const response = { code: 200, sys: { heartbeat: 10, dict: dictionary.toHandshakeDict() } };
      assert.deepEqual(
        encodeHandshakeResponse({ code: HandshakeCode.Ok, heartbeatSeconds: 10, dictionary }),
        PomeloPackage.encode(PackageType.Handshake, utf8(JSON.stringify(response))),
      );
      assert.deepEqual(encodeKickPackage("kicked"), PomeloPackage.encode(PackageType.Kick, utf8(JSON.stringify({ reason: "kicked" }))));
    });
  });

  describe("messages", () => {
    it("requests with plain routes, ids across the varint boundaries, any body", () => {
      for (const id of BOUNDARY_IDS) {
        for (const route of PLAIN_ROUTES) {
          for (const body of SAMPLE_BODIES) {
            assertSameMessageBothWays({ type: MessageType.Request, id, route, body });
          }
        }
      }
    });

    it("requests with compressed routes", () => {
      for (const id of BOUNDARY_IDS) {
        for (const route of COMPRESSED_ROUTES) {
          assertSameMessageBothWays({ type: MessageType.Request, id, route, body: utf8('{"a":1}') }, dictionary);
        }
      }
    });

    it("notifies with plain and compressed routes", () => {
      for (const route of PLAIN_ROUTES) {
        for (const body of SAMPLE_BODIES) {
          assertSameMessageBothWays({ type: MessageType.Notify, route, body });
        }
      }
      for (const route of COMPRESSED_ROUTES) {
        assertSameMessageBothWays({ type: MessageType.Notify, route, body: utf8("{}") }, dictionary);
      }
    });

    it("responses, which carry an id and no route", () => {
      for (const id of BOUNDARY_IDS) {
        for (const body of SAMPLE_BODIES) {
          assertSameMessageBothWays({ type: MessageType.Response, id, body });
        }
      }
    });

    it("pushes with plain and compressed routes", () => {
      for (const route of PLAIN_ROUTES) {
        for (const body of SAMPLE_BODIES) {
          assertSameMessageBothWays({ type: MessageType.Push, route, body });
        }
      }
      for (const route of COMPRESSED_ROUTES) {
        assertSameMessageBothWays({ type: MessageType.Push, route, body: utf8('{"x":1}') }, dictionary);
      }
    });

    it("any message (ids below 2^31) agrees both ways, with and without the dictionary", () => {
      fc.assert(
        fc.property(messages(POMELO_MAX_ID), fc.boolean(), (message, compress) => {
          assertSameMessageBothWays(message, compress ? dictionary : undefined);
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });

    it("a data package is Package.encode(TYPE_DATA, Message.encode(...))", () => {
      fc.assert(
        fc.property(messages(POMELO_MAX_ID), (message) => {
          assert.deepEqual(encodeDataPackage(message, dictionary), PomeloPackage.encode(PackageType.Data, theirEncodeMessage(message, dictionary)));
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });
  });

  describe("differential fuzzing: whatever we accept, pomelo-protocol reads the same way", () => {
    it("package splitting", () => {
      const framed = fc.tuple(fc.integer({ min: 1, max: 5 }), anyBytes).map(([type, body]) => encodePackage(type as PackageType, body));
      const candidates = fc.oneof(
        anyBytes,
        fc.array(framed, { minLength: 1, maxLength: 4 }).map((list) => Buffer.concat(list)),
      );
      fc.assert(
        fc.property(candidates, (bytes) => {
          let ours: Package<Buffer>[];
          try {
            ours = decodePackages(bytes);
          } catch {
            return;
          }
          assert.deepEqual(theirDecodePackages(bytes), ours);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });

    it("message decoding (ids below 2^31, where pomelo-protocol is correct)", () => {
      const flags = fc.constantFrom(0, 1, 2, 3, 4, 6, 7);
      const candidates = fc.tuple(flags, anyBytes).map(([flag, rest]) => Buffer.concat([Buffer.from([flag]), rest]));
      fc.assert(
        fc.property(candidates, (bytes) => {
          let ours: Message<Buffer>;
          try {
            ours = decodeMessage(bytes, dictionary);
          } catch {
            return;
          }
          if ("id" in ours && ours.id > POMELO_MAX_ID) {
            return;
          }
          assert.deepEqual(theirDecodeMessage(bytes, dictionary), comparable(ours));
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe("where pomelo-protocol is wrong and we follow the spec instead", () => {
    it("ids ≥ 2^31: its encoder sizes the id with a 32-bit shift and drops the route and body; we encode the spec varint", () => {
      const response = { type: MessageType.Response, id: 2 ** 31, body: utf8("ok") } as const;
      assert.equal(theirEncodeMessage(response).toString("hex"), "04808080");
      assert.equal(encodeMessage(response).toString("hex"), "04" + "8080808008" + "6f6b");
    });

    it("ids ≥ 2^31: its decoder shifts in 32 bits, reading 2^31 as -2^31 and 2^35 as 8; we read them exactly", () => {
      const at2pow31 = encodeMessage({ type: MessageType.Response, id: 2 ** 31, body: "" });
      const at2pow35 = encodeMessage({ type: MessageType.Response, id: 2 ** 35, body: "" });
      assert.equal(PomeloMessage.decode(at2pow31).id, -(2 ** 31));
      assert.equal(PomeloMessage.decode(at2pow35).id, 8);
      assert.deepEqual(comparable(decodeMessage(at2pow31)), comparable({ type: MessageType.Response, id: 2 ** 31, body: "" }));
      assert.deepEqual(comparable(decodeMessage(at2pow35)), comparable({ type: MessageType.Response, id: 2 ** 35, body: "" }));
    });

    it("bodies over 16 MiB - 1: its length is masked to 3 bytes, a corrupt frame; we throw OVERSIZED", () => {
      const tooBig = Buffer.alloc(2 ** 24 + 3);
      assert.equal(PomeloPackage.encode(PackageType.Data, tooBig).subarray(0, 4).toString("hex"), "04000003");
      assertRejects(() => encodePackage(PackageType.Data, tooBig), "OVERSIZED");
    });

    it("a truncated body: it zero-fills the missing bytes; we reject TRUNCATED", () => {
      const truncated = Buffer.from([4, 0, 0, 5, 0x61, 0x62]);
      assert.deepEqual(theirDecodePackages(truncated)[0].body, Buffer.from([0x61, 0x62, 0, 0, 0]));
      assertRejects(() => decodePackages(truncated), "TRUNCATED");
    });

    it("unknown package types and a partial trailing header: it invents packages; we reject", () => {
      assert.deepEqual(theirDecodePackages(Buffer.from([9, 0, 0, 0])), [{ type: 9, body: Buffer.alloc(0) }]);
      assert.equal(theirDecodePackages(Buffer.from([3, 0, 0, 0, 4, 0])).length, 2);
      assertRejects(() => decodePackages(Buffer.from([9, 0, 0, 0])), "UNKNOWN_PACKAGE_TYPE");
      assertRejects(() => decodePackages(Buffer.from([3, 0, 0, 0, 4, 0])), "TRUNCATED");
    });

    it("a truncated id, route or empty message: it throws a RangeError from new Buffer(NaN); we throw ProtocolError", () => {
      const cases: [string, ProtocolErrorCode][] = [
        ["0080", "BAD_VARINT"],
        ["", "TRUNCATED"],
        ["020961", "TRUNCATED"],
      ];
      for (const [hex, code] of cases) {
        assert.throws(() => PomeloMessage.decode(Buffer.from(hex, "hex")), RangeError);
        assertRejects(() => decodeMessage(Buffer.from(hex, "hex")), code);
      }
    });

    it("invalid UTF-8 routes: it substitutes U+FFFD; we reject BAD_ROUTE", () => {
      const bytes = Buffer.from([0x02, 2, 0xc3, 0x28]);
      assert.equal(PomeloMessage.decode(bytes).route, "\uFFFD(");
      assertRejects(() => decodeMessage(bytes), "BAD_ROUTE");
    });

    it("message types 4..7, the gzip bit and compressed responses: it decodes them; we reject BAD_MESSAGE_FLAG", () => {
      for (const flag of [0x0a, 0x16, 0x05]) {
        const bytes = Buffer.from([flag, 1, 0x61, 0x62]);
        assert.doesNotThrow(() => PomeloMessage.decode(bytes));
        assertRejects(() => decodeMessage(bytes), "BAD_MESSAGE_FLAG");
      }
    });

    it("padded ids: it reads 80 00 as 0; we accept only the minimal encoding", () => {
      assert.equal(PomeloMessage.decode(Buffer.from("04800078", "hex")).id, 0);
      assertRejects(() => decodeMessage(Buffer.from("04800078", "hex")), "BAD_VARINT");
    });
  });
});
