import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeMessage,
  encodeMessage,
  measureMessage,
  MessageType,
  RouteDictionary,
  type DecodedMessage,
  type Message,
  type MessageType as MessageTypeValue,
} from "../../services/src/protocol";
import { anyBytes, assertRejects, comparable, dictionary, FUZZ_RUNS, messages, PROPERTY_RUNS, utf8 } from "./generators";

const chatDictionary = RouteDictionary.fromHandshakeDict({ "chat.chatHandler.send": 0x0102, onChat: 0x00ff });

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Decoded messages with bodies as strings, for readable comparisons. */
function readable(message: DecodedMessage): Record<string, unknown> {
  return { ...message, body: message.body.toString("utf8") };
}

describe("protocol: messages", () => {
  describe("encoding, byte for byte", () => {
    it("a request is flag 0x00, its id varint, the route length and UTF-8 route, then the body", () => {
      const encoded = encodeMessage({ type: MessageType.Request, id: 5, route: "onChat", body: utf8("{}") });
      assert.equal(hex(encoded), "00" + "05" + "06" + hex(utf8("onChat")) + hex(utf8("{}")));
    });

    it("a request with a dictionary route sets the compressed bit and sends the 2-byte big-endian code", () => {
      const encoded = encodeMessage({ type: MessageType.Request, id: 300, route: "chat.chatHandler.send", body: utf8("{}") }, chatDictionary);
      assert.equal(hex(encoded), "01" + "ac02" + "0102" + hex(utf8("{}")));
    });

    it("a notify is flag 0x02 with a route and no id", () => {
      assert.equal(hex(encodeMessage({ type: MessageType.Notify, route: "a.b", body: utf8("1") })), "02" + "03" + hex(utf8("a.b")) + "31");
      assert.equal(hex(encodeMessage({ type: MessageType.Notify, route: "onChat", body: utf8("1") }, chatDictionary)), "03" + "00ff" + "31");
    });

    it("a response is flag 0x04 with an id and no route, even when a dictionary is given", () => {
      assert.equal(hex(encodeMessage({ type: MessageType.Response, id: 128, body: utf8("{}") }, chatDictionary)), "04" + "8001" + hex(utf8("{}")));
    });

    it("a push is flag 0x06 (0x07 compressed) with a route and no id", () => {
      assert.equal(
        hex(encodeMessage({ type: MessageType.Push, route: "onChat", body: utf8("{}") })),
        "06" + "06" + hex(utf8("onChat")) + hex(utf8("{}")),
      );
      assert.equal(
        hex(encodeMessage({ type: MessageType.Push, route: "onChat", body: utf8("{}") }, chatDictionary)),
        "07" + "00ff" + hex(utf8("{}")),
      );
    });

    it("a route that the dictionary lacks is sent plain", () => {
      assert.equal(hex(encodeMessage({ type: MessageType.Push, route: "onMove", body: "" }, chatDictionary)), "06" + "06" + hex(utf8("onMove")));
    });

    it("a string body is written as UTF-8, the same bytes as the equivalent Buffer", () => {
      const text = '{"msg":"héllo wörld 🎮"}';
      const message = { type: MessageType.Push, route: "onChat", body: text } as const;
      assert.deepEqual(encodeMessage(message), encodeMessage({ ...message, body: utf8(text) }));
    });

    it("strings with lone surrogates are measured and written alike (as U+FFFD), so no output byte is left unwritten", () => {
      const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 40 });
      fc.assert(
        fc.property(utf16, utf16, (route, body) => {
          const asWritten = (text: string): string => utf8(text).toString("utf8");
          const encoded = encodeMessage({ type: MessageType.Push, route, body });
          assert.deepEqual(encoded, encodeMessage({ type: MessageType.Push, route: asWritten(route), body: utf8(body) }));
          assert.equal(encoded.length, measureMessage({ type: MessageType.Push, route, body }));
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });

    it("an empty route and an empty body are allowed", () => {
      assert.equal(hex(encodeMessage({ type: MessageType.Notify, route: "", body: new Uint8Array(0) })), "0200");
    });

    it("a Unicode route is measured in UTF-8 bytes, up to 255 of them", () => {
      const route = "é".repeat(127) + "x";
      const encoded = encodeMessage({ type: MessageType.Notify, route, body: "" });
      assert.equal(encoded[1], 255);
      assert.equal(encoded.length, 1 + 1 + 255);
    });
  });

  describe("decoding", () => {
    it("a request with a compressed route decodes to its id, the dictionary route and the body", () => {
      const decoded = decodeMessage(Buffer.from("01ac020102" + hex(utf8('{"a":1}')), "hex"), chatDictionary);
      assert.deepEqual(readable(decoded), {
        type: MessageType.Request,
        id: 300,
        route: "chat.chatHandler.send",
        routeCompressed: true,
        body: '{"a":1}',
      });
    });

    it("a request with a plain route decodes to the route string", () => {
      const decoded = decodeMessage(Buffer.from("000706" + hex(utf8("onChat")), "hex"));
      assert.deepEqual(readable(decoded), { type: MessageType.Request, id: 7, route: "onChat", routeCompressed: false, body: "" });
    });

    it("a notify decodes without an id", () => {
      const decoded = decodeMessage(Buffer.from("0300ff" + hex(utf8("x")), "hex"), chatDictionary);
      assert.deepEqual(readable(decoded), { type: MessageType.Notify, route: "onChat", routeCompressed: true, body: "x" });
    });

    it("a response decodes without a route", () => {
      const decoded = decodeMessage(Buffer.from("04ffffffffffffff0f" + hex(utf8("ok")), "hex"));
      assert.deepEqual(readable(decoded), { type: MessageType.Response, id: Number.MAX_SAFE_INTEGER, body: "ok" });
    });

    it("a push decodes with a Unicode route", () => {
      const route = "área.jögador.mover";
      const decoded = decodeMessage(encodeMessage({ type: MessageType.Push, route, body: "🎮" }));
      assert.deepEqual(readable(decoded), { type: MessageType.Push, route, routeCompressed: false, body: "🎮" });
    });

    it("the decoded body is a view into the input, not a copy", () => {
      const input = encodeMessage({ type: MessageType.Notify, route: "r", body: utf8("body") });
      const decoded = decodeMessage(input);
      assert.equal(decoded.body.buffer, input.buffer);
      assert.equal(decoded.body.byteOffset, input.byteOffset + 3);
    });
  });

  describe("round trips", () => {
    it("any message decodes to what was encoded; dictionary routes arrive compressed", () => {
      fc.assert(
        fc.property(messages(), fc.boolean(), (message, useDictionary) => {
          const dict = useDictionary ? dictionary : undefined;
          const decoded = decodeMessage(encodeMessage(message, dict), dict);
          assert.deepEqual(comparable(decoded), comparable(message));
          if (decoded.type !== MessageType.Response && message.type !== MessageType.Response) {
            assert.equal(decoded.routeCompressed, dict?.codeOf(message.route) !== undefined);
          }
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });

    it("any bytes the decoder accepts re-encode to exactly the same bytes (one encoding per message)", () => {
      const flags = fc.constantFrom(0, 1, 2, 3, 4, 6, 7);
      const candidates = fc.tuple(flags, anyBytes).map(([flag, rest]) => Buffer.concat([Buffer.from([flag]), rest]));
      let accepted = 0;
      fc.assert(
        fc.property(candidates, (bytes) => {
          let decoded: DecodedMessage;
          try {
            decoded = decodeMessage(bytes, dictionary);
          } catch {
            return;
          }
          accepted++;
          const reencoded = encodeMessage(decoded, "routeCompressed" in decoded && decoded.routeCompressed ? dictionary : undefined);
          assert.deepEqual(reencoded, bytes);
        }),
        { numRuns: FUZZ_RUNS },
      );
      assert.ok(accepted > FUZZ_RUNS / 10, `only ${accepted} inputs were accepted: the property tested too little`);
    });
  });

  describe("bad input", () => {
    it("an empty data package has no flag byte: TRUNCATED", () => {
      assertRejects(() => decodeMessage(Buffer.alloc(0)), "TRUNCATED");
    });

    it("message types 4..7 are BAD_MESSAGE_FLAG", () => {
      for (const flag of [0x08, 0x09, 0x0a, 0x0e, 0x0f]) {
        assertRejects(() => decodeMessage(Buffer.from([flag, 0, 0])), "BAD_MESSAGE_FLAG");
      }
    });

    it("the gzip bit (0x10) and the reserved bits (0xe0) are BAD_MESSAGE_FLAG: we do not implement them", () => {
      for (const flag of [0x10, 0x16, 0x20, 0x40, 0x80, 0xff]) {
        assertRejects(() => decodeMessage(Buffer.from([flag, 0, 0])), "BAD_MESSAGE_FLAG");
      }
    });

    it("a response with the route-compressed bit is BAD_MESSAGE_FLAG: responses have no route", () => {
      assertRejects(() => decodeMessage(Buffer.from([0x05, 0x01])), "BAD_MESSAGE_FLAG");
    });

    it("an id that runs off the end, is padded or exceeds 2^53 - 1 is BAD_VARINT", () => {
      assertRejects(() => decodeMessage(Buffer.from("00", "hex")), "BAD_VARINT");
      assertRejects(() => decodeMessage(Buffer.from("04ff", "hex")), "BAD_VARINT");
      assertRejects(() => decodeMessage(Buffer.from("048000", "hex")), "BAD_VARINT");
      assertRejects(() => decodeMessage(Buffer.from("04ffffffffffffffff01", "hex")), "BAD_VARINT");
      assertRejects(() => decodeMessage(Buffer.from("048080808080808010", "hex")), "BAD_VARINT");
    });

    it("a message that ends before or inside its route is TRUNCATED", () => {
      assertRejects(() => decodeMessage(Buffer.from("0001", "hex")), "TRUNCATED");
      assertRejects(() => decodeMessage(Buffer.from("02", "hex")), "TRUNCATED");
      assertRejects(() => decodeMessage(Buffer.from("0205616263", "hex")), "TRUNCATED");
      assertRejects(() => decodeMessage(Buffer.from("0301", "hex"), chatDictionary), "TRUNCATED");
      assertRejects(() => decodeMessage(Buffer.from("010101", "hex"), chatDictionary), "TRUNCATED");
    });

    it("a compressed route code outside the dictionary is UNKNOWN_ROUTE_CODE", () => {
      assertRejects(() => decodeMessage(Buffer.from("030001", "hex"), chatDictionary), "UNKNOWN_ROUTE_CODE");
      assertRejects(() => decodeMessage(Buffer.from("070000", "hex"), chatDictionary), "UNKNOWN_ROUTE_CODE");
    });

    it("a compressed route without any dictionary is UNKNOWN_ROUTE_CODE", () => {
      assertRejects(() => decodeMessage(Buffer.from("0300ff", "hex")), "UNKNOWN_ROUTE_CODE");
    });

    it("a plain route that is not valid UTF-8 is BAD_ROUTE", () => {
      const invalid = ["c328", "ff", "c0af", "eda080", "f4908080", "e282", "80", "6180"];
      for (const route of invalid) {
        const bytes = Buffer.concat([Buffer.from([0x02, route.length / 2]), Buffer.from(route, "hex")]);
        assertRejects(() => decodeMessage(bytes), "BAD_ROUTE");
      }
    });

    it("encoding a plain route over 255 UTF-8 bytes is ROUTE_TOO_LONG, even if it is 128 characters", () => {
      assertRejects(() => encodeMessage({ type: MessageType.Notify, route: "x".repeat(256), body: "" }), "ROUTE_TOO_LONG");
      assertRejects(() => encodeMessage({ type: MessageType.Push, route: "é".repeat(128), body: "" }), "ROUTE_TOO_LONG");
      assertRejects(() => encodeMessage({ type: MessageType.Request, id: 1, route: "🎮".repeat(64), body: "" }), "ROUTE_TOO_LONG");
    });

    it("encoding an id that is negative, fractional or over 2^53 - 1 is BAD_VARINT", () => {
      for (const id of [-1, 0.5, 2 ** 53]) {
        assertRejects(() => encodeMessage({ type: MessageType.Request, id, route: "r", body: "" }), "BAD_VARINT");
        assertRejects(() => encodeMessage({ type: MessageType.Response, id, body: "" }), "BAD_VARINT");
      }
    });

    it("encoding an unknown message type is BAD_MESSAGE_FLAG", () => {
      const bogus = { type: 4 as MessageTypeValue, id: 1, route: "r", body: "" } as Message;
      assertRejects(() => encodeMessage(bogus), "BAD_MESSAGE_FLAG");
    });
  });
});
