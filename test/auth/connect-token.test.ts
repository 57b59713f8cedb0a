import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import {
  CONNECT_TOKEN_REJECTIONS,
  ConnectTokenConfigError,
  MAX_CONNECT_TOKEN_CHARS,
  createConnectTokenVerifier,
  issueConnectToken,
  verifyConnectToken,
  type ConnectTokenVerdict,
} from "../../services/src/auth";

const SECRET = "s".repeat(32) + "-current-secret";
const OLD_SECRET = "o".repeat(32) + "-old-secret";
const NOW = 1_800_000_000_000;
const base = { connectorId: "connector-0", now: NOW, maxClockSkewMs: 1_000 };

const issue = (over: Partial<Parameters<typeof issueConnectToken>[0]> = {}) =>
  issueConnectToken({ uid: "alice", connectorId: "connector-0", ttlMs: 60_000, secret: SECRET, now: NOW, ...over }).token;
const verify = (token: unknown, over: Partial<Parameters<typeof verifyConnectToken>[1]> = {}) => verifyConnectToken(token, { secret: SECRET, ...base, ...over });
const reason = (verdict: ConnectTokenVerdict) => (verdict.ok ? "OK" : verdict.reason);

/** Signs an arbitrary claims part the way the issuer does, to reach the checks behind the signature. */
const signRaw = (body: string, secret = SECRET) => `${body}.${createHmac("sha256", secret).update(body, "latin1").digest("base64url")}`;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");

describe("auth: connect tokens", () => {
  it("round-trips: compact, URL-safe, with the claims the gate vouches for", () => {
    const { token, claims } = issueConnectToken({ uid: "alice", connectorId: "connector-0", ttlMs: 60_000, secret: SECRET, now: NOW, resume: "r1" });
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.equal(encodeURIComponent(token), token);
    assert.deepEqual({ ...claims, jti: "x" }, { v: 1, uid: "alice", cid: "connector-0", exp: NOW + 60_000, iat: NOW, jti: "x", resume: "r1" });
    assert.match(claims.jti, /^[A-Za-z0-9_-]{16}$/);
    const verdict = verify(token);
    assert.ok(verdict.ok);
    assert.deepEqual(verdict.claims, claims);
    assert.notEqual(issue(), issue(), "every token has its own jti");
  });

  it("rejects missing, malformed and oversized tokens", () => {
    for (const missing of [undefined, null, ""]) assert.equal(reason(verify(missing)), "MISSING");
    for (const bad of [42, {}, "abc", "a.b.c", ".sig", "abc.", "a+b." + "A".repeat(43), "abc." + "A".repeat(42), "abc." + "A".repeat(44)]) {
      assert.equal(reason(verify(bad)), "MALFORMED", String(bad));
    }
    assert.equal(reason(verify("a".repeat(MAX_CONNECT_TOKEN_CHARS + 1))), "MALFORMED");
    assert.equal(reason(verify(`${"A".repeat(MAX_CONNECT_TOKEN_CHARS)}.${"A".repeat(43)}`)), "MALFORMED", "size is checked before hashing");
  });

  it("rejects tampered claims and tampered signatures", () => {
    const token = issue();
    const [body, signature] = token.split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    assert.equal(reason(verify(`${b64({ ...claims, uid: "mallory" })}.${signature}`)), "BAD_SIGNATURE");
    assert.equal(reason(verify(`${b64({ ...claims, exp: NOW + 10 ** 9 })}.${signature}`)), "BAD_SIGNATURE");
    const flipped = signature[0] === "A" ? "B" + signature.slice(1) : "A" + signature.slice(1);
    assert.equal(reason(verify(`${body}.${flipped}`)), "BAD_SIGNATURE");
    // A non-canonical spelling of the same signature bytes is a different token.
    const last = signature.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    assert.deepEqual(Buffer.from(`${signature.slice(0, -1)}${sibling}`, "base64url"), Buffer.from(signature, "base64url"), "same bytes");
    assert.equal(reason(verify(`${body}.${signature.slice(0, -1)}${sibling}`)), "BAD_SIGNATURE");
    assert.equal(reason(verify(issue({ secret: "x".repeat(32) }))), "BAD_SIGNATURE", "another secret");
  });

  it("enforces expiry and issue time with the clock skew allowance", () => {
    const token = issue({ ttlMs: 10_000 });
    assert.equal(reason(verify(token, { now: NOW + 10_000 + 999 })), "OK");
    assert.equal(reason(verify(token, { now: NOW + 10_000 + 1_000 })), "EXPIRED");
    assert.equal(reason(verify(token, { now: NOW + 10_000, maxClockSkewMs: 0 })), "EXPIRED");
    assert.equal(reason(verify(token, { now: NOW - 1_000 })), "OK");
    assert.equal(reason(verify(token, { now: NOW - 1_001 })), "NOT_YET_VALID");
    assert.equal(reason(verify(token, { now: Number.NaN })), "NOT_YET_VALID", "a broken clock fails closed");
  });

  it("rejects a token for another connector", () => {
    assert.equal(reason(verify(issue({ connectorId: "connector-1" }))), "WRONG_CONNECTOR");
    assert.equal(reason(verify(issue({ connectorId: "connector-1" }), { connectorId: "connector-1" })), "OK");
  });

  it("rejects well-signed claims of the wrong shape as MALFORMED", () => {
    const good = { v: 1, uid: "a", cid: "connector-0", exp: NOW + 1000, iat: NOW, jti: "j" };
    assert.equal(reason(verify(signRaw(b64(good)))), "OK");
    const bad: unknown[] = [
      "not json",
      [],
      null,
      { ...good, v: 2 },
      { ...good, uid: "" },
      { ...good, uid: 7 },
      { ...good, cid: undefined },
      { ...good, exp: "1" },
      { ...good, exp: NOW - 1, iat: NOW },
      { ...good, iat: 1.5 },
      { ...good, jti: "" },
      { ...good, resume: 3 },
      { ...good, uid: "u".repeat(257) },
    ];
    for (const claims of bad) {
      const body = typeof claims === "string" ? Buffer.from(claims).toString("base64url") : b64(claims);
      assert.equal(reason(verify(signRaw(body))), "MALFORMED", JSON.stringify(claims));
    }
  });

  it("rotation: issues with the first secret and accepts any configured one", () => {
    const oldToken = issueConnectToken({ uid: "bob", connectorId: "connector-0", ttlMs: 60_000, secrets: [OLD_SECRET], now: NOW }).token;
    const both = { secrets: [SECRET, OLD_SECRET], ...base };
    assert.equal(reason(verifyConnectToken(oldToken, both)), "OK");
    const newToken = issueConnectToken({ uid: "bob", connectorId: "connector-0", ttlMs: 60_000, secrets: [SECRET, OLD_SECRET], now: NOW }).token;
    assert.equal(reason(verifyConnectToken(newToken, { secret: SECRET, ...base })), "OK", "signed with the first");
    assert.equal(reason(verifyConnectToken(newToken, { secret: OLD_SECRET, ...base })), "BAD_SIGNATURE");
    assert.equal(reason(verifyConnectToken(oldToken, { secrets: [SECRET], ...base })), "BAD_SIGNATURE", "the old secret retired");
  });

  it("refuses short or missing secrets and bad issue options with an error naming the key", () => {
    const configError = (key: string) => (error: unknown) => error instanceof ConnectTokenConfigError && error.key === key && error.message.includes(key);
    assert.throws(() => issue({ secret: "short" }), configError("secret"));
    assert.throws(() => issueConnectToken({ uid: "a", connectorId: "c", ttlMs: 1000, secrets: [SECRET, "é".repeat(15)] }), configError("secrets[1]"));
    assert.throws(() => issueConnectToken({ uid: "a", connectorId: "c", ttlMs: 1000, secrets: [] }), configError("secrets"));
    assert.throws(() => issueConnectToken({ uid: "a", connectorId: "c", ttlMs: 1000 }), configError("secret"));
    assert.throws(() => verifyConnectToken("x.y", { secret: "x".repeat(31), connectorId: "c" }), configError("secret"));
    assert.throws(() => createConnectTokenVerifier({ secrets: [SECRET, "short"], connectorId: "c" }), configError("secrets[1]"));
    assert.throws(() => issue({ ttlMs: 0 }), configError("ttlMs"));
    assert.throws(() => issue({ ttlMs: 2 * 60 * 60 * 1000 }), configError("ttlMs"));
    assert.throws(() => issue({ uid: "" }), configError("uid"));
    assert.throws(() => issue({ connectorId: "" }), configError("connectorId"));
    assert.doesNotThrow(() => issue({ secret: "é".repeat(16) }), "32 bytes of UTF-8 are enough");
  });

  describe("fuzz: never throws, always answers with a reason", () => {
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
