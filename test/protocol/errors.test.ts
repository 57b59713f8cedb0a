import assert from "node:assert/strict";
import {
  decodeMessage,
  decodePackages,
  encodeHandshakeResponse,
  encodeMessage,
  encodePackage,
  HandshakeCode,
  jsonBodyCodec,
  MAX_PACKAGE_BODY_BYTES,
  MessageType,
  PackageType,
  parseClientHandshake,
  parseHandshakeResponse,
  parseKick,
  ProtocolError,
  RouteDictionary,
  type HandshakeResponse,
  type Message,
  type ProtocolErrorCode,
} from "../../services/src/protocol";
import { declareProtos } from "../../services/src/protocol/protobuf/declare-protos";
import { assertMessageId, readVarint } from "../../services/src/protocol/varint";
import { assertRejects, ERROR_CODES, utf8 } from "./generators";

/** The smallest input that produces each documented error code. */
const EXAMPLES: Record<ProtocolErrorCode, () => unknown> = {
  TRUNCATED: () => decodePackages(Buffer.from([4, 0, 0, 2, 0x7b])),
  OVERSIZED: () => encodePackage(PackageType.Data, Buffer.alloc(MAX_PACKAGE_BODY_BYTES + 1)),
  UNKNOWN_PACKAGE_TYPE: () => decodePackages(Buffer.from([6, 0, 0, 0])),
  BAD_MESSAGE_FLAG: () => decodeMessage(Buffer.from([0x10])),
  BAD_VARINT: () => decodeMessage(Buffer.from([0x04, 0x80])),
  ROUTE_TOO_LONG: () => encodeMessage({ type: MessageType.Notify, route: "r".repeat(256), body: "" }),
  UNKNOWN_ROUTE_CODE: () => decodeMessage(Buffer.from([0x03, 0x12, 0x34]), RouteDictionary.fromRoutes(["onChat"])),
  BAD_ROUTE: () => decodeMessage(Buffer.from([0x02, 0x01, 0xff])),
  BAD_BODY: () => jsonBodyCodec.decode("onChat", utf8("{oops}")),
  BAD_HANDSHAKE: () => parseClientHandshake(utf8('{"user":{}}')),
  BAD_DICTIONARY: () => RouteDictionary.fromHandshakeDict({ onChat: 0 }),
  BAD_PROTOS: () => declareProtos({ server: { onChat: { "required bool loud": 1 } } }),
};

describe("protocol: errors", () => {
  for (const code of ERROR_CODES) {
    it(`${code} is a ProtocolError with that stable code and a message saying what was wrong`, () => {
      assert.throws(EXAMPLES[code], (error: unknown) => {
        assert.ok(error instanceof ProtocolError && error instanceof Error);
        assert.equal(error.name, "ProtocolError");
        assert.equal(error.code, code);
        assert.ok(error.message.length > 10, error.message);
        return true;
      });
    });
  }
});

function hex(text: string): Buffer {
  return Buffer.from(text, "hex");
}

function header(type: number, length: number): Buffer {
  return Buffer.from([type, length >>> 16, (length >>> 8) & 0xff, length & 0xff]);
}

function json(value: unknown): Buffer {
  return utf8(JSON.stringify(value));
}

const cycle: Record<string, unknown> = {};
cycle.self = cycle;

/**
 * Connectors log the message of every rejected input: it must say which rule the bytes broke and,
 * where there is one, the offending value or position — one code covers several causes.
 */
const REJECTIONS: [what: string, action: () => unknown, code: ProtocolErrorCode, says: RegExp][] = [
  ["a negative id to encode", () => assertMessageId(-1), "BAD_VARINT", /\[0, 2\^53 - 1\], got -1$/],
  ["an id cut short", () => readVarint(hex("ff"), 0, 1), "BAD_VARINT", /truncated/],
  ["a padded id", () => readVarint(hex("8000"), 0, 2), "BAD_VARINT", /not minimally encoded/],
  ["an id of 2^53", () => readVarint(hex("8080808080808010"), 0, 8), "BAD_VARINT", /exceeds 2\^53 - 1/],
  ["8 groups that all announce more", () => readVarint(hex("ffffffffffffffff"), 0, 8), "BAD_VARINT", /longer than 8 bytes/],
  ["an empty WebSocket message", () => decodePackages(Buffer.alloc(0)), "TRUNCATED", /at least one package/],
  ["a second header cut short", () => decodePackages(Buffer.concat([header(3, 0), hex("0400")])), "TRUNCATED", /header at byte 4 has 2 of 4 bytes/],
  ["an unknown second package", () => decodePackages(Buffer.concat([header(3, 0), header(9, 0)])), "UNKNOWN_PACKAGE_TYPE", /type 9 at byte 4$/],
  ["a body over the connector's limit", () => decodePackages(header(4, 10), 9), "OVERSIZED", /body of 10 bytes exceeds the limit of 9$/],
  [
    "a second body cut short",
    () => decodePackages(Buffer.concat([header(3, 0), header(4, 5), utf8("abc")])),
    "TRUNCATED",
    /announces 5 bytes, 3 present/,
  ],
  [
    "a body over the 3-byte length",
    () => encodePackage(PackageType.Data, Buffer.alloc(MAX_PACKAGE_BODY_BYTES + 1)),
    "OVERSIZED",
    /body of 16777216 bytes exceeds the 3-byte limit of 16777215/,
  ],
  ["a package type to encode", () => encodePackage(6 as PackageType), "UNKNOWN_PACKAGE_TYPE", /unknown package type 6/],
  ["a message type to encode", () => encodeMessage({ type: 4, route: "r", body: "" } as unknown as Message), "BAD_MESSAGE_FLAG", /unknown message type 4/],
  ["an empty data package", () => decodeMessage(Buffer.alloc(0)), "TRUNCATED", /flag byte/],
  ["a route-compressed response", () => decodeMessage(hex("0501")), "BAD_MESSAGE_FLAG", /flag 0x05$/],
  ["a route code cut short", () => decodeMessage(hex("0301"), RouteDictionary.fromRoutes(["onChat"])), "TRUNCATED", /inside its route code/],
  ["an unknown route code", () => decodeMessage(hex("031234"), RouteDictionary.fromRoutes(["onChat"])), "UNKNOWN_ROUTE_CODE", /route code 4660 is not/],
  ["a notify without its route length", () => decodeMessage(hex("02")), "TRUNCATED", /before its route length/],
  ["a route cut short", () => decodeMessage(hex("0205616263")), "TRUNCATED", /inside its route$/],
  ["a route over 255 bytes", () => encodeMessage({ type: MessageType.Notify, route: "é".repeat(128), body: "" }), "ROUTE_TOO_LONG", /route of 256 UTF-8 bytes exceeds 255/],
  ["a route that is not UTF-8", () => decodeMessage(hex("0201ff")), "BAD_ROUTE", /not valid UTF-8/],
  ["a handshake that is not UTF-8", () => parseClientHandshake(hex("7bff7d")), "BAD_HANDSHAKE", /^handshake is not valid UTF-8/],
  ["a handshake that is not JSON", () => parseClientHandshake(utf8("{")), "BAD_HANDSHAKE", /^handshake is not valid JSON/],
  ["a handshake that is an array", () => parseClientHandshake(json([])), "BAD_HANDSHAKE", /must be a JSON object/],
  ["a handshake without sys", () => parseClientHandshake(json({ user: {} })), "BAD_HANDSHAKE", /sys object/],
  ["a numeric sys.type", () => parseClientHandshake(json({ sys: { type: 1 } })), "BAD_HANDSHAKE", /sys\.type must be a string/],
  ["a numeric sys.version", () => parseClientHandshake(json({ sys: { version: 1 } })), "BAD_HANDSHAKE", /sys\.version must be a string/],
  ["a string user", () => parseClientHandshake(json({ sys: {}, user: "x" })), "BAD_HANDSHAKE", /user must be an object/],
  ["a response that is not JSON", () => parseHandshakeResponse(utf8("{")), "BAD_HANDSHAKE", /^handshake response is not valid JSON/],
  ["a response that is an array", () => parseHandshakeResponse(json([])), "BAD_HANDSHAKE", /response must be a JSON object/],
  ["a response code of 404", () => parseHandshakeResponse(json({ code: 404 })), "BAD_HANDSHAKE", /code must be 200, 500 or 501/],
  ["an acceptance without sys", () => parseHandshakeResponse(json({ code: 200 })), "BAD_HANDSHAKE", /accepting handshake response must have a sys object/],
  ["a heartbeat of 0", () => parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 0 } })), "BAD_HANDSHAKE", /heartbeat must be a positive number/],
  ["a dict that is an array", () => parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 1, dict: [] } })), "BAD_HANDSHAKE", /sys\.dict must be an object/],
  ["protos that are a string", () => parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 1, protos: "x" } })), "BAD_HANDSHAKE", /sys\.protos must be an object/],
  ["a string useProto", () => parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 1, useProto: "y" } })), "BAD_HANDSHAKE", /sys\.useProto must be a boolean/],
  ["a numeric serializer", () => parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 1, serializer: 1 } })), "BAD_HANDSHAKE", /sys\.serializer must be a string/],
  ["a string user in a response", () => parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 1 }, user: "x" })), "BAD_HANDSHAKE", /response user must be an object/],
  [
    "a response code of 300 to encode",
    () => encodeHandshakeResponse({ code: 300, heartbeatSeconds: 1 } as unknown as HandshakeResponse),
    "BAD_HANDSHAKE",
    /200, 500 or 501, got 300$/,
  ],
  ["a heartbeat of 1.5 s to encode", () => encodeHandshakeResponse({ code: HandshakeCode.Ok, heartbeatSeconds: 1.5 }), "BAD_HANDSHAKE", /whole number, got 1\.5$/],
  ["user data with a cycle", () => encodeHandshakeResponse({ code: HandshakeCode.Ok, heartbeatSeconds: 1, user: cycle }), "BAD_HANDSHAKE", /cannot be serialized/],
  ["a kick body that is not JSON", () => parseKick(utf8("{")), "BAD_BODY", /^kick body is not valid JSON/],
  ["a kick body that is an array", () => parseKick(json([])), "BAD_BODY", /kick body must be a JSON object/],
  ["a numeric kick reason", () => parseKick(json({ reason: 1 })), "BAD_BODY", /reason must be a string/],
  ["a route code of 0", () => RouteDictionary.fromHandshakeDict({ onChat: 0 }), "BAD_DICTIONARY", /code for "onChat" must be an integer in \[1, 65535\]/],
  ["two routes on one code", () => RouteDictionary.fromHandshakeDict({ a: 1, b: 1 }), "BAD_DICTIONARY", /routes "a" and "b" share code 1$/],
  [
    "65536 routes",
    () => RouteDictionary.fromRoutes(Array.from({ length: 65536 }, (_, index) => `r${index}`)),
    "BAD_DICTIONARY",
    /65536 routes exceed the 65535 codes/,
  ],
  ["a dict that is not an object", () => RouteDictionary.fromHandshakeDict(null as unknown as Record<string, number>), "BAD_DICTIONARY", /must be an object of route to code/],
  ["an empty dictionary route", () => RouteDictionary.fromRoutes([""]), "BAD_DICTIONARY", /must not be empty/],
  // The route is the attacker's: only its start goes into the log line.
  ["a dictionary route over 255 bytes", () => RouteDictionary.fromRoutes(["x".repeat(300)]), "BAD_DICTIONARY", /^dictionary route "x{40}…" exceeds 255 UTF-8 bytes$/],
  ["a dictionary route with a lone surrogate", () => RouteDictionary.fromRoutes(["a\uD800"]), "BAD_DICTIONARY", /lone UTF-16 surrogates/],
  ["a body with a cycle", () => jsonBodyCodec.encode("onChat", cycle), "BAD_BODY", /a cycle/],
  ["a function body", () => jsonBodyCodec.encode("onChat", () => 1), "BAD_BODY", /^a function has no JSON form$/],
  ["a body that is not JSON", () => jsonBodyCodec.decode("onChat", utf8("{")), "BAD_BODY", /^message body is not valid JSON/],
  ["a body that is not UTF-8", () => jsonBodyCodec.decode("onChat", hex("22ff22")), "BAD_BODY", /^message body is not valid UTF-8/],
];

describe("protocol: every rejection says what was wrong", () => {
  for (const [what, action, code, says] of REJECTIONS) {
    it(`${what}: ${code}, saying ${String(says)}`, () => {
      assertRejects(action, code);
      assert.throws(action, (error: Error) => says.test(error.message) || assert.fail(`"${error.message}" does not match ${String(says)}`));
    });
  }
});
