import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_ROUTE_CODE, RouteDictionary } from "../../services/src/protocol";
import { assertRejects, PROPERTY_RUNS, routes } from "./generators";

describe("protocol: route dictionary", () => {
  it("assigns codes 1..n in sorted route order, as Pomelo does, ignoring duplicates", () => {
    const dict = RouteDictionary.fromRoutes(["onMove", "area.playerHandler.move", "onMove", "connector.entryHandler.entry"]);
    assert.deepEqual(dict.toHandshakeDict(), { "area.playerHandler.move": 1, "connector.entryHandler.entry": 2, onMove: 3 });
    assert.equal(dict.size, 3);
  });

  it("gives every server the same codes whatever order it lists the routes in", () => {
    const routeSets = fc.uniqueArray(
      routes.filter((route) => route.length > 0),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(
        routeSets.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length }))),
        ([list, shuffled]) => {
          assert.deepEqual(RouteDictionary.fromRoutes(shuffled).toHandshakeDict(), RouteDictionary.fromRoutes(list).toHandshakeDict());
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("maps both directions and knows nothing else", () => {
    const dict = RouteDictionary.fromRoutes(["chat.chatHandler.send", "onChat"]);
    assert.equal(dict.codeOf("onChat"), 2);
    assert.equal(dict.routeOf(2), "onChat");
    assert.equal(dict.codeOf("onchat"), undefined);
    assert.equal(dict.routeOf(0), undefined);
    assert.equal(dict.routeOf(3), undefined);
  });

  it("survives the trip through the handshake JSON unchanged", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          routes.filter((route) => route.length > 0),
          { maxLength: 30 },
        ),
        (list) => {
          const dict = RouteDictionary.fromRoutes(list);
          const received = RouteDictionary.fromHandshakeDict(JSON.parse(JSON.stringify(dict.toHandshakeDict())));
          assert.deepEqual(received.toHandshakeDict(), dict.toHandshakeDict());
          for (const route of list) {
            assert.equal(received.routeOf(received.codeOf(route)!), route);
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('treats "__proto__" and "constructor" as ordinary routes', () => {
    const dict = RouteDictionary.fromHandshakeDict(JSON.parse('{"__proto__":7,"constructor":8}'));
    assert.equal(dict.codeOf("__proto__"), 7);
    assert.equal(dict.routeOf(8), "constructor");
    assert.equal(JSON.stringify(dict.toHandshakeDict()), '{"__proto__":7,"constructor":8}');
  });

  it("accepts the whole code space, 1..65535", () => {
    const dict = RouteDictionary.fromHandshakeDict({ first: 1, last: MAX_ROUTE_CODE });
    assert.equal(dict.routeOf(MAX_ROUTE_CODE), "last");
  });

  describe("bad dictionaries are BAD_DICTIONARY", () => {
    it("two routes sharing a code", () => {
      assertRejects(() => RouteDictionary.fromHandshakeDict({ a: 1, b: 1 }), "BAD_DICTIONARY");
    });

    it('a code of 0 (Pomelo clients treat it as "no code"), over 65535, fractional or not a number', () => {
      for (const code of [0, -1, 65536, 1.5, Number.NaN, "1", null]) {
        assertRejects(() => RouteDictionary.fromHandshakeDict({ a: code as number }), "BAD_DICTIONARY");
      }
    });

    it("an empty route, one over 255 UTF-8 bytes, or one with a lone surrogate (it would not survive UTF-8)", () => {
      assertRejects(() => RouteDictionary.fromRoutes([""]), "BAD_DICTIONARY");
      assertRejects(() => RouteDictionary.fromRoutes(["é".repeat(128)]), "BAD_DICTIONARY");
      assert.equal(RouteDictionary.fromRoutes(["é".repeat(127) + "x"]).size, 1, "255 UTF-8 bytes fit");
      assertRejects(() => RouteDictionary.fromRoutes(["bad\uD800route"]), "BAD_DICTIONARY");
    });

    it("more routes than the 65535 codes (65535 routes fit, codes 1..65535)", () => {
      const all = Array.from({ length: MAX_ROUTE_CODE }, (_, index) => `r${index.toString().padStart(5, "0")}`);
      const full = RouteDictionary.fromRoutes(all);
      assert.equal(full.codeOf(all[MAX_ROUTE_CODE - 1]!), MAX_ROUTE_CODE);
      const tooMany = Array.from({ length: MAX_ROUTE_CODE + 1 }, (_, index) => `r${index}`);
      assertRejects(() => RouteDictionary.fromRoutes(tooMany), "BAD_DICTIONARY");
    });

    it("a handshake dict that is not an object", () => {
      for (const dict of [null, [], "onChat", 1]) {
        assertRejects(() => RouteDictionary.fromHandshakeDict(dict as unknown as Record<string, number>), "BAD_DICTIONARY");
      }
    });
  });
});
