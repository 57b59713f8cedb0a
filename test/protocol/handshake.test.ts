import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodePackages,
  encodeHandshakeResponse,
  HandshakeCode,
  PackageType,
  parseClientHandshake,
  parseHandshakeResponse,
  RouteDictionary,
  type HandshakeAccepted,
  type HandshakeResponse,
} from "../../services/src/protocol";
import { assertRejects, dictionary, PROPERTY_RUNS, ROUTES, utf8 } from "./generators";

function json(value: unknown): Buffer {
  return utf8(JSON.stringify(value));
}

/** The body of the single handshake package `encodeHandshakeResponse` produced. */
function responseBody(response: HandshakeResponse): Buffer {
  const [only, ...rest] = decodePackages(encodeHandshakeResponse(response), Number.POSITIVE_INFINITY);
  assert.equal(rest.length, 0);
  assert.equal(only.type, PackageType.Handshake);
  return only.body;
}

/** Responses compared through their wire form, since dictionaries are objects with private maps. */
function wireForm(response: HandshakeResponse): unknown {
  return JSON.parse(responseBody(response).toString());
}

describe("protocol: handshake", () => {
  describe("the client's handshake", () => {
    it("a Pomelo JavaScript client's handshake yields its type, version and user data", () => {
      const handshake = parseClientHandshake(json({ sys: { type: "js-websocket", version: "0.0.1", rsa: {} }, user: { token: "t" } }));
      assert.deepEqual(handshake, { sys: { type: "js-websocket", version: "0.0.1", rsa: {} }, user: { token: "t" } });
    });

    it("a Pitaya client's handshake (no type or version, other sys fields) is accepted with its fields kept", () => {
      const sys = { platform: "mac", libVersion: "0.3.5-release", clientBuildNumber: "20", clientVersion: "2.1" };
      assert.deepEqual(parseClientHandshake(json({ sys, user: { age: 30 } })), { sys, user: { age: 30 } });
    });

    it("a missing or null user becomes {}", () => {
      assert.deepEqual(parseClientHandshake(json({ sys: {} })).user, {});
      assert.deepEqual(parseClientHandshake(json({ sys: {}, user: null })).user, {});
    });

    it("anything but {sys: {...}, user?: {...}} with string type and version is BAD_HANDSHAKE", () => {
      const bad: unknown[] = [
        [],
        "hello",
        null,
        {},
        { user: {} },
        { sys: null },
        { sys: [] },
        { sys: "js" },
        { sys: { type: 1 } },
        { sys: { version: 0.1 } },
        { sys: {}, user: [] },
        { sys: {}, user: "x" },
      ];
      for (const handshake of bad) {
        assertRejects(() => parseClientHandshake(json(handshake)), "BAD_HANDSHAKE");
      }
    });

    it("a body that is empty, not JSON or not UTF-8 is BAD_HANDSHAKE", () => {
      for (const body of [Buffer.alloc(0), utf8('{"sys":'), Buffer.from([0x7b, 0xff, 0x7d])]) {
        assertRejects(() => parseClientHandshake(body), "BAD_HANDSHAKE");
      }
    });
  });

  describe("the server's response", () => {
    it("an acceptance carries code 200, the heartbeat in seconds and the dictionary as route → code", () => {
      const body = responseBody({
        code: HandshakeCode.Ok,
        heartbeatSeconds: 10,
        dictionary: RouteDictionary.fromRoutes(["onChat", "chat.chatHandler.send"]),
      });
      assert.equal(body.toString(), '{"code":200,"sys":{"heartbeat":10,"dict":{"chat.chatHandler.send":1,"onChat":2}}}');
    });

    it("protos, the Pitaya serializer name and user data are included when given", () => {
      const protos = { server: { onChat: { "required string msg": 1 } }, client: {}, version: 3 };
      assert.deepEqual(wireForm({ code: HandshakeCode.Ok, heartbeatSeconds: 3, protos, serializer: "json", user: { motd: "hi" } }), {
        code: 200,
        sys: { heartbeat: 3, protos, serializer: "json" },
        user: { motd: "hi" },
      });
    });

    it("useProto (Pomelo's flag for a protobuf connection) goes in sys after protos, and the client side reads it back", () => {
      const protos = { server: {}, client: {}, version: "v1" };
      const body = responseBody({ code: HandshakeCode.Ok, heartbeatSeconds: 3, protos, useProto: true });
      assert.equal(body.toString(), '{"code":200,"sys":{"heartbeat":3,"protos":{"server":{},"client":{},"version":"v1"},"useProto":true}}');
      assert.deepEqual(parseHandshakeResponse(body), { code: 200, heartbeatSeconds: 3, protos, useProto: true });
    });

    it("a refusal is just the code: 500 failed, 501 client too old", () => {
      assert.equal(responseBody({ code: HandshakeCode.Fail }).toString(), '{"code":500}');
      assert.equal(responseBody({ code: HandshakeCode.OldClient }).toString(), '{"code":501}');
    });

    it("the response is a complete handshake package that can be sent to every client as is", () => {
      const response = encodeHandshakeResponse({ code: HandshakeCode.Ok, heartbeatSeconds: 5 });
      assert.equal(response[0], PackageType.Handshake);
      assert.equal(response.readUIntBE(1, 3), response.length - 4);
    });

    it("the shortest heartbeat, 1 second, is sent", () => {
      assert.equal(responseBody({ code: HandshakeCode.Ok, heartbeatSeconds: 1 }).toString(), '{"code":200,"sys":{"heartbeat":1}}');
    });

    it("a heartbeat that is not a whole positive number of seconds is BAD_HANDSHAKE (Pitaya's clients parse an int)", () => {
      for (const heartbeatSeconds of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        assertRejects(() => encodeHandshakeResponse({ code: HandshakeCode.Ok, heartbeatSeconds }), "BAD_HANDSHAKE");
      }
    });

    it("a code other than 200, 500 or 501, or user data without a JSON form, is BAD_HANDSHAKE", () => {
      assertRejects(() => encodeHandshakeResponse({ code: 300 } as unknown as HandshakeResponse), "BAD_HANDSHAKE");
      assertRejects(() => encodeHandshakeResponse({ code: 300, heartbeatSeconds: 5 } as unknown as HandshakeResponse), "BAD_HANDSHAKE");
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      assertRejects(() => encodeHandshakeResponse({ code: HandshakeCode.Ok, heartbeatSeconds: 1, user: cycle }), "BAD_HANDSHAKE");
    });
  });

  describe("reading the response (bots and tests)", () => {
    it("any acceptance or refusal reads back as what was encoded", () => {
      const accepted: fc.Arbitrary<HandshakeAccepted> = fc.record(
        {
          code: fc.constant(HandshakeCode.Ok),
          heartbeatSeconds: fc.integer({ min: 1, max: 3600 }),
          dictionary: fc.subarray(ROUTES).map((routes) => RouteDictionary.fromRoutes(routes)),
          protos: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
          serializer: fc.constantFrom("json", "protobuf"),
          user: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        },
        { requiredKeys: ["code", "heartbeatSeconds"] },
      );
      const rejected = fc.record({ code: fc.constantFrom(HandshakeCode.Fail, HandshakeCode.OldClient) });
      fc.assert(
        fc.property(fc.oneof(accepted, rejected), (response) => {
          const parsed = parseHandshakeResponse(responseBody(response));
          assert.deepEqual(wireForm(parsed), wireForm(response));
          if ("dictionary" in response && response.dictionary !== undefined) {
            assert.ok("dictionary" in parsed && parsed.dictionary instanceof RouteDictionary);
          }
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });

    it("a bare acceptance reads back as exactly its code and heartbeat, with no absent field present as undefined", () => {
      assert.deepEqual(parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 10 } })), { code: 200, heartbeatSeconds: 10 });
    });

    it("a fractional heartbeat from another server is read as sent", () => {
      assert.deepEqual(parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 0.5 } })), { code: 200, heartbeatSeconds: 0.5 });
    });

    it("gives the client a working dictionary", () => {
      const parsed = parseHandshakeResponse(responseBody({ code: HandshakeCode.Ok, heartbeatSeconds: 10, dictionary }));
      assert.ok(parsed.code === HandshakeCode.Ok && parsed.dictionary !== undefined);
      assert.equal(parsed.dictionary.routeOf(dictionary.codeOf("onChat")!), "onChat");
    });

    it("a response in the wrong shape is BAD_HANDSHAKE; a broken dict is BAD_DICTIONARY", () => {
      const bad: unknown[] = [
        [],
        { code: 404 },
        { code: "200", sys: { heartbeat: 1 } },
        { code: 200 },
        { code: 200, sys: {} },
        { code: 200, sys: { heartbeat: 0 } },
        { code: 200, sys: { heartbeat: "10" } },
        { code: 200, sys: { heartbeat: 1, dict: [] } },
        { code: 200, sys: { heartbeat: 1, protos: "x" } },
        { code: 200, sys: { heartbeat: 1, serializer: 1 } },
        { code: 200, sys: { heartbeat: 1, useProto: "yes" } },
        { code: 200, sys: { heartbeat: 1 }, user: "x" },
      ];
      for (const response of bad) {
        assertRejects(() => parseHandshakeResponse(json(response)), "BAD_HANDSHAKE");
      }
      assertRejects(() => parseHandshakeResponse(json({ code: 200, sys: { heartbeat: 1, dict: { a: 1, b: 1 } } })), "BAD_DICTIONARY");
      // JSON has no Infinity, but a number too large for a double parses as one.
      assertRejects(() => parseHandshakeResponse(utf8('{"code":200,"sys":{"heartbeat":1e999}}')), "BAD_HANDSHAKE");
    });
  });
});
