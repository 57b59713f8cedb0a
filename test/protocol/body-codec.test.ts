import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonBodyCodec } from "../../services/src/protocol";
import { assertRejects, decodesOrRejects, PROPERTY_RUNS, utf8 } from "./generators";

const route = "area.playerHandler.move";

describe("protocol: JSON body codec", () => {
  it("encodes a value to its JSON text, which the package encoder writes as UTF-8", () => {
    assert.equal(jsonBodyCodec.encode(route, { x: 1, name: "jögador 🎮" }), '{"x":1,"name":"jögador 🎮"}');
  });

  it("decodes UTF-8 JSON bytes to the value", () => {
    assert.deepEqual(jsonBodyCodec.decode(route, utf8('{"msg":"héllo","n":[1,2]}')), { msg: "héllo", n: [1, 2] });
    assert.equal(jsonBodyCodec.decode(route, utf8(" 42 ")), 42);
  });

  it("any JSON value survives encode and decode", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const body = jsonBodyCodec.encode(route, value);
        assert.equal(typeof body, "string");
        assert.deepEqual(jsonBodyCodec.decode(route, utf8(body as string)), JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("decoding anything but UTF-8 JSON is BAD_BODY, including an empty body", () => {
    for (const body of ["", "{", "undefined", "{'a':1}", '{"a":1}x', "NaN"]) {
      assertRejects(() => jsonBodyCodec.decode(route, utf8(body)), "BAD_BODY");
    }
  });

  it("JSON with invalid UTF-8 inside a string is BAD_BODY, not silently replaced with U+FFFD", () => {
    assertRejects(() => jsonBodyCodec.decode(route, Buffer.from([0x22, 0xff, 0x22])), "BAD_BODY");
  });

  it("deeply nested JSON decodes or is BAD_BODY, never a stack overflow", () => {
    const depth = 100_000;
    decodesOrRejects(() => jsonBodyCodec.decode(route, utf8("[".repeat(depth) + "]".repeat(depth))), ["BAD_BODY"]);
  });

  it("encoding a value without a JSON form is BAD_BODY", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [
      undefined,
      () => 1,
      Symbol("s"),
      10n,
      cycle,
      {
        toJSON: () => {
          throw new Error("nope");
        },
      },
    ]) {
      assertRejects(() => jsonBodyCodec.encode(route, value), "BAD_BODY");
    }
  });
});
