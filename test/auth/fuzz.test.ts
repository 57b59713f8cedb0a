import fc from "fast-check";
import { CONNECT_TOKEN_REJECTIONS, createConnectTokenVerifier, issueConnectToken } from "../../services/src/auth";
import { b64, NOW, OLD_SECRET, SECRET, signRaw } from "./token-fixtures";

const issue = () => issueConnectToken({ uid: "alice", connectorId: "connector-0", ttlMs: 60_000, secret: SECRET, now: NOW }).token;

/**
 * The connect-token verifier fed 32,000 generated inputs per run. Kept apart from the example-based
 * specs so that mutation testing (scripts/mutate/modules.ts) can leave these seconds out of every
 * mutant's run; `npm test` runs both.
 */
describe("auth: connect tokens, fuzzed", () => {
  describe("never throws, always answers with a reason", () => {
    const verifier = createConnectTokenVerifier({ secrets: [SECRET, OLD_SECRET], connectorId: "connector-0", maxClockSkewMs: 1_000 });
    const check = (input: unknown) => {
      const verdict = verifier(input, NOW);
      if (verdict.ok) return true;
      return CONNECT_TOKEN_REJECTIONS.includes(verdict.reason);
    };

    it("arbitrary strings (every unit) and values: ok:false with a known reason, no exception", () => {
      const strings = fc.oneof(
        fc.string({ unit: "binary", maxLength: 3000 }),
        fc.string({ unit: "grapheme", maxLength: 200 }),
        fc.string({ unit: fc.constantFrom(..."ABCxyz019-_.=+/ %"), maxLength: 200 }),
        fc.tuple(fc.base64String({ maxLength: 300 }), fc.base64String({ minLength: 40, maxLength: 48 })).map(([a, b]) => `${a}.${b}`),
      );
      fc.assert(
        fc.property(strings, (input) => {
          const verdict = verifier(input, NOW);
          return !verdict.ok && check(input);
        }),
        { numRuns: 10_000 },
      );
      fc.assert(fc.property(fc.anything(), (input) => check(input)), { numRuns: 2_000 });
    });

    it("mutations of a valid token never verify and never throw", () => {
      const token = issue();
      fc.assert(
        fc.property(fc.nat({ max: token.length - 1 }), fc.string({ unit: "binary", minLength: 0, maxLength: 3 }), fc.nat({ max: 3 }), (at, insert, drop) => {
          const mutated = token.slice(0, at) + insert + token.slice(at + drop);
          const verdict = verifier(mutated, NOW);
          return mutated === token ? verdict.ok : !verdict.ok && check(mutated);
        }),
        { numRuns: 10_000 },
      );
    });

    it("well-signed arbitrary claims parts: MALFORMED or a fully checked verdict, never an exception", () => {
      const bodies = fc.oneof(
        fc.string({ unit: "binary", maxLength: 500 }).map((text) => Buffer.from(text, "utf8").toString("base64url")),
        fc.jsonValue().map((value) => b64(value)),
        fc
          .record({ v: fc.oneof(fc.constant(1), fc.jsonValue()), uid: fc.jsonValue(), cid: fc.constantFrom("connector-0", "connector-1"), exp: fc.oneof(fc.integer(), fc.double()), iat: fc.integer(), jti: fc.string() }, { requiredKeys: [] })
          .map((value) => b64(value)),
      );
      fc.assert(
        fc.property(bodies, (body) => {
          fc.pre(body.length > 0 && body.length < 1900);
          return check(signRaw(body));
        }),
        { numRuns: 10_000 },
      );
    });
  });
});
