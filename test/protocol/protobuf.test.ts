import assert from "node:assert/strict";
import fc from "fast-check";
import * as reference from "pomelo-protobuf";
import { MAX_NESTING_DEPTH, ProtobufProtos, ProtocolError } from "../../services/src/protocol";
import { declareProtos } from "../../services/src/protocol/protobuf/declare-protos";
import { assertRejects, decodesOrRejects, FUZZ_RUNS, PROPERTY_RUNS } from "./generators";
import { onTheWire, protosWithValue } from "./protobuf-generators";

const ROUTE = "test.route.call";

/** NetEase's README example, with a root message shared by two routes. */
const EXAMPLE = {
  "message Path": { "required double x": 1, "required double y": 2 },
  onMove: { "required uInt32 entityId": 1, "repeated Path path": 2, "required float speed": 3 },
  "area.playerHandler.enterScene": {
    "message Player": {
      "message Bag": { "message Item": { "required uInt32 id": 1, "optional string type": 2 }, "repeated Item items": 1 },
      "required uInt32 entityId": 1,
      "required sInt32 kindId": 2,
      "required Bag bag": 3,
      "repeated Path trail": 4,
      "repeated int32 scores": 5,
    },
    "optional Player curPlayer": 2,
    "repeated string names": 3,
  },
};

/** pomelo-protobuf's encoder answers null for an empty encoding; on the wire that is an empty body. */
function referenceEncode(parsed: Record<string, unknown>, route: string, value: unknown): Buffer {
  reference.setEncoderProtos(parsed);
  return reference.encode(route, value) ?? Buffer.alloc(0);
}

function referenceDecode(parsed: Record<string, unknown>, route: string, body: Buffer): unknown {
  reference.setDecoderProtos(parsed);
  return reference.decode(route, body);
}

const isProtobufBodyError = (error: unknown) => error instanceof ProtocolError && error.code === "BAD_BODY";

describe("protocol: protobuf bodies (pomelo-protobuf 0.4.0 as the reference)", () => {
  describe("protos", () => {
    it("parse to exactly pomelo-protobuf's parsed form (same JSON, so the same handshake and version)", () => {
      const protos = declareProtos({ server: EXAMPLE, client: { "arena.room.move": { "required sInt32 dx": 1 } } });
      assert.equal(JSON.stringify(protos.server.parsed), JSON.stringify(reference.parse(EXAMPLE)));
      assert.deepEqual(protos.handshake, { server: reference.parse(EXAMPLE), client: reference.parse({ "arena.room.move": { "required sInt32 dx": 1 } }), version: protos.version });
    });

    it("parse random declarations to pomelo-protobuf's form", () => {
      fc.assert(
        fc.property(protosWithValue, ({ source }) => {
          assert.equal(JSON.stringify(declareProtos({ server: source }).server.parsed), JSON.stringify(reference.parse(source)));
        }),
        { numRuns: 300 },
      );
    });

    it("version is stable for the same protos and changes with any of them", () => {
      const a = declareProtos({ server: EXAMPLE });
      assert.equal(declareProtos({ server: EXAMPLE }).version, a.version);
      assert.notEqual(declareProtos({ server: EXAMPLE, client: { r: { "optional uInt32 x": 1 } } }).version, a.version);
      assert.notEqual(declareProtos({ server: { ...EXAMPLE, onMove: { "required uInt32 entityId": 2 } } }).version, a.version);
    });

    it("a handshake's sys.protos (the parsed form) rebuilds the same codec on the client side", () => {
      const server = declareProtos({ server: EXAMPLE, client: { "a.b.c": { "required string s": 1 } } });
      const client = ProtobufProtos.fromHandshake(JSON.parse(JSON.stringify(server.handshake)));
      assert.equal(client.version, server.version);
      assert.deepEqual(client.handshake, server.handshake);
    });

    const badDeclarations: Array<[string, unknown, RegExp]> = [
      ["a type pomelo-protobuf cannot encode", { r: { "required uInt64 big": 1 } }, /uInt64 is not supported/],
      ["an unknown message type", { r: { "required Vec v": 1 } }, /type Vec, which is neither/],
      ["a nested type used outside its parent (Pomelo resolves own nested, then root)", { r: { "message A": { "message B": {} }, "optional B b": 1 } }, /type B/],
      ["a duplicate tag", { r: { "required uInt32 a": 1, "required uInt32 b": 1 } }, /tag 1 is already used by field a/],
      ["a tag of 0", { r: { "required uInt32 a": 0 } }, /tag must be an integer/],
      ["a malformed key", { r: { "required uInt32": 1 } }, /a field is "<required\|optional\|repeated> <type> <name>"/],
      ["a misspelt option", { r: { "requird uInt32 a": 1 } }, /a field is/],
      ["a field named __proto__", { r: { "optional uInt32 __proto__": 1 } }, /field name "__proto__"/],
      ["a message named like an Object.prototype key", { "message constructor": {}, r: { "optional constructor c": 1 } }, /message name "constructor"/],
      ["a route with a space", { "a b": {} }, /a route must be non-empty without spaces/],
    ];
    for (const [what, server, message] of badDeclarations) {
      it(`refuse ${what} with BAD_PROTOS naming the key`, () => {
        assert.throws(() => declareProtos({ server: server as Record<string, unknown> }, "arena.protos"), (error: unknown) => {
          assert.ok(error instanceof ProtocolError && error.code === "BAD_PROTOS", String(error));
          assert.match(error.message, /^arena\.protos\.server\[/);
          assert.match(error.message, message);
          return true;
        });
      });
    }
  });

  describe("fixed cases, byte for byte", () => {
    const protos = declareProtos({ server: EXAMPLE });
    const parsed = protos.server.parsed as Record<string, unknown>;

    it("onMove: varint, repeated root message, float — the bytes Pomelo writes", () => {
      const value = { entityId: 300, path: [{ x: 1, y: -2.5 }], speed: 0.5 };
      const body = protos.server.encode("onMove", value);
      assert.equal(body.toString("hex"), "08ac02" + "1212" + "09000000000000f03f" + "1100000000000004c0" + "1d0000003f");
      assert.deepEqual(body, referenceEncode(parsed, "onMove", value));
      assert.deepEqual(protos.server.decode("onMove", body), value);
    });

    it("fields go in the value's key order, keys the proto lacks are ignored, empty repeated fields are left out", () => {
      const value = { speed: 2, ignored: "x", path: [], entityId: 1 };
      const body = protos.server.encode("onMove", value);
      assert.equal(body.toString("hex"), "1d00000040" + "0801");
      assert.deepEqual(body, referenceEncode(parsed, "onMove", value));
    });

    it("nesting three deep, zigzag ints, packed ints (key, count, elements), repeated strings, UTF-8", () => {
      const value = {
        names: ["ann", "bjørn", ""],
        curPlayer: { entityId: 7, kindId: -3, bag: { items: [{ id: 1, type: "sword" }, { id: 2 }] }, trail: [{ x: 0, y: 0 }], scores: [1, -1, 200] },
      };
      const body = protos.server.encode("area.playerHandler.enterScene", value);
      assert.deepEqual(body, referenceEncode(parsed, "area.playerHandler.enterScene", value));
      assert.deepEqual(protos.server.decode("area.playerHandler.enterScene", body), value);
      assert.deepEqual(referenceDecode(parsed, "area.playerHandler.enterScene", body), value);
      assert.ok(body.includes(Buffer.from("2803020190", "hex")), "scores: key 0x28, count 3, zigzag 2 1 400");
    });

    it("a nested message over 127 bytes gets a two-byte length, as Pomelo writes it", () => {
      const value = { curPlayer: { entityId: 1, kindId: 0, bag: { items: Array.from({ length: 40 }, (_, id) => ({ id, type: "item" })) } } };
      const body = protos.server.encode("area.playerHandler.enterScene", value);
      assert.deepEqual(body, referenceEncode(parsed, "area.playerHandler.enterScene", value));
      assert.deepEqual(protos.server.decode("area.playerHandler.enterScene", body), value);
    });

    const badValues: Array<[string, unknown, RegExp]> = [
      ["a missing required field", { path: [], speed: 1 }, /onMove\.entityId is required/],
      ["a negative uInt32 (Pomelo crashes)", { entityId: -1, speed: 1 }, /entityId must be an integer in \[0, 2\^32 - 1\]/],
      ["a fraction in a uInt32 (Pomelo truncates)", { entityId: 1.5, speed: 1 }, /entityId must be an integer/],
      ["a string for a float", { entityId: 1, speed: "fast" }, /speed must be a finite number/],
      ["a non-array for a repeated field", { entityId: 1, speed: 1, path: { x: 1, y: 1 } }, /path is repeated/],
      ["a body that is not an object", [1, 2], /onMove must be an object/],
    ];
    for (const [what, value, message] of badValues) {
      it(`encoding refuses ${what} with BAD_BODY naming the field`, () => {
        assert.throws(() => protos.server.encode("onMove", value), (error: unknown) => isProtobufBodyError(error) && message.test((error as Error).message));
      });
    }

    it("encoding refuses a cycle with BAD_BODY instead of overflowing the stack", () => {
      const recursive = declareProtos({ server: { "message Node": { "optional Node next": 1 }, r: { "optional Node head": 1 } } });
      const node: Record<string, unknown> = {};
      node.next = node;
      assert.throws(() => recursive.server.encode("r", { head: node }), (error: unknown) => isProtobufBodyError(error) && /deeper than 32/.test((error as Error).message));
    });
  });

  describe("decoding hostile bodies", () => {
    const protos = declareProtos({ client: EXAMPLE });
    const hostile: Array<[string, string, RegExp]> = [
      ["an unknown tag (Pomelo: TypeError)", "0801" + "2001", /unknown field tag 4/],
      ["a wire type the field does not have", "0a01", /wire type 2, its type needs 0/],
      ["a truncated varint (Pomelo: RangeError)", "08ac", /ends inside a varint/],
      ["a varint over 5 bytes", "08ffffffffff01", /longer than 5 bytes/],
      ["a varint over 2^32 - 1", "08ffffffff7f", /over 2\^32 - 1/],
      ["a padded varint", "088000", /not minimally encoded/],
      ["a truncated float", "0801" + "1d0000", /ends inside field speed/],
      ["a NaN float", "0801" + "1d0000c07f", /speed is not a finite number/],
      ["a nested length past the end", "0801" + "1d0000003f" + "1209", /ends inside field path/],
      ["a missing required field", "1d0000003f", /lacks required field entityId/],
    ];
    for (const [what, hex, message] of hostile) {
      it(`refuses ${what} with BAD_BODY`, () => {
        assert.throws(() => protos.client.decode("onMove", Buffer.from(hex, "hex")), (error: unknown) => isProtobufBodyError(error) && message.test((error as Error).message));
      });
    }

    it("refuses a string that is not UTF-8 (Pomelo: U+FFFD)", () => {
      const body = Buffer.from("1a01ff", "hex");
      assertRejects(() => protos.client.decode("area.playerHandler.enterScene", body), "BAD_BODY");
    });

    it(`refuses messages nested deeper than ${MAX_NESTING_DEPTH} (a 64 KiB body could nest 30,000 deep)`, () => {
      const recursive = declareProtos({ client: { "message Node": { "optional Node next": 1 }, r: { "optional Node head": 1 } } });
      let body = Buffer.alloc(0);
      for (let level = 0; level < 40; level++) body = Buffer.concat([Buffer.from([0x0a, body.length]), body]);
      assertRejects(() => recursive.client.decode("r", body.subarray(0, 120)), "BAD_BODY");
    });

    it(`${FUZZ_RUNS} arbitrary bodies on every route: a value or BAD_BODY, never another exception`, () => {
      const routes = fc.constantFrom("onMove", "area.playerHandler.enterScene");
      fc.assert(
        fc.property(routes, fc.uint8Array({ maxLength: 96 }), (route, body) => decodesOrRejects(() => protos.client.decode(route, body), ["BAD_BODY"])),
        { numRuns: FUZZ_RUNS },
      );
    });

    it(`${FUZZ_RUNS} damaged valid bodies (cut, bit-flipped, byte-replaced, extended): a value or BAD_BODY`, () => {
      const sender = declareProtos({ server: EXAMPLE });
      const valid = fc.record({ entityId: fc.nat(), speed: fc.float({ noNaN: true, noDefaultInfinity: true }), path: fc.array(fc.record({ x: fc.double({ noNaN: true, noDefaultInfinity: true }), y: fc.constant(1) }), { maxLength: 3 }) });
      const damaged = fc.tuple(valid, fc.nat(), fc.nat({ max: 255 }), fc.constantFrom("cut", "flip", "replace", "extend")).map(([value, at, byte, how]) => {
        const body = Buffer.from(sender.server.encode("onMove", value));
        const index = body.length === 0 ? 0 : at % body.length;
        if (how === "cut") return body.subarray(0, index);
        if (how === "flip") body[index] ^= 1 << (byte % 8);
        if (how === "replace") body[index] = byte;
        return how === "extend" ? Buffer.concat([body, Buffer.from([byte, at & 0xff])]) : body;
      });
      fc.assert(
        fc.property(damaged, (body) => decodesOrRejects(() => protos.client.decode("onMove", body), ["BAD_BODY"])),
        { numRuns: FUZZ_RUNS },
      );
    });

    it(`${FUZZ_RUNS} random declarations fed random bodies: a value or BAD_BODY`, () => {
      fc.assert(
        fc.property(protosWithValue, fc.uint8Array({ maxLength: 48 }), ({ source }, body) => {
          const random = declareProtos({ client: source });
          decodesOrRejects(() => random.client.decode(ROUTE, body), ["BAD_BODY"]);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe("cross-checked with pomelo-protobuf on random declarations and values", () => {
    it(`our encoding is the reference's, byte for byte, and it decodes ours to the value (${PROPERTY_RUNS} runs)`, () => {
      let referenceOverflows = 0;
      fc.assert(
        fc.property(protosWithValue, ({ source, value }) => {
          const protos = declareProtos({ server: source });
          const parsed = protos.server.parsed as Record<string, unknown>;
          const ours = protos.server.encode(ROUTE, value);
          let theirs: Buffer | undefined;
          try {
            theirs = referenceEncode(parsed, ROUTE, value);
          } catch (error) {
            // pomelo-protobuf sizes its buffer as 2 × the JSON length: packed floats of small values overflow it.
            assert.ok(error instanceof RangeError, String(error));
            referenceOverflows++;
          }
          if (theirs !== undefined) assert.equal(ours.toString("hex"), theirs.toString("hex"));
          assert.deepEqual(referenceDecode(parsed, ROUTE, ours), onTheWire(value));
        }),
        { numRuns: PROPERTY_RUNS },
      );
      assert.ok(referenceOverflows < PROPERTY_RUNS / 10, `the reference overflowed its own buffer in ${referenceOverflows} runs`);
    });

    it(`we decode the reference's encoding to the value (${PROPERTY_RUNS} runs)`, () => {
      fc.assert(
        fc.property(protosWithValue, ({ source, value }) => {
          const protos = declareProtos({ client: source });
          let theirs: Buffer;
          try {
            theirs = referenceEncode(protos.client.parsed as Record<string, unknown>, ROUTE, value);
          } catch {
            return; // the reference's own buffer overflow, counted above
          }
          assert.deepEqual(protos.client.decode(ROUTE, theirs), onTheWire(value));
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });
  });
});
