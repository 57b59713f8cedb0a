import assert from "node:assert/strict";
import {
  CONNECT_TOKEN_REJECTION_STATUS,
  CONNECT_TOKEN_REJECTIONS,
  ConnectTokenConfigError,
  MAX_CONNECT_TOKEN_CHARS,
  MAX_CONNECT_TOKEN_TTL_MS,
  createConnectTokenVerifier,
  issueConnectToken,
  verifyConnectToken,
  type ConnectTokenRejection,
  type ConnectTokenVerdict,
} from "../../services/src/auth";
import { b64, NOW, OLD_SECRET, SECRET, signRaw } from "./token-fixtures";

const base = { connectorId: "connector-0", now: NOW, maxClockSkewMs: 1_000 };

const issue = (over: Partial<Parameters<typeof issueConnectToken>[0]> = {}) =>
  issueConnectToken({ uid: "alice", connectorId: "connector-0", ttlMs: 60_000, secret: SECRET, now: NOW, ...over }).token;
const verify = (token: unknown, over: Partial<Parameters<typeof verifyConnectToken>[1]> = {}) => verifyConnectToken(token, { secret: SECRET, ...base, ...over });
const reason = (verdict: ConnectTokenVerdict) => (verdict.ok ? "OK" : verdict.reason);

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

  it("a token issued without resume data carries no resume claim, as issued and as verified", () => {
    const { token, claims } = issueConnectToken({ uid: "alice", connectorId: "connector-0", ttlMs: 60_000, secret: SECRET, now: NOW });
    assert.ok(!("resume" in claims));
    const verdict = verify(token);
    assert.ok(verdict.ok);
    assert.ok(!("resume" in verdict.claims));
    assert.deepEqual(verdict.claims, claims);
  });

  it("answers each attack with its own reason and the status the upgrade sends: 401 fetch a new token, 403 wrong connector", () => {
    const attacks: [attack: string, token: unknown, reason: ConnectTokenRejection, status: 401 | 403][] = [
      ["no token", undefined, "MISSING", 401],
      ["garbage", "not-a-token", "MALFORMED", 401],
      ["signed with another key", issue({ secret: "k".repeat(32) }), "BAD_SIGNATURE", 401],
      ["replayed after expiry", issue({ now: NOW - 120_000 }), "EXPIRED", 401],
      ["issued in the future", issue({ now: NOW + 120_000 }), "NOT_YET_VALID", 401],
      ["issued for another connector", issue({ connectorId: "connector-9" }), "WRONG_CONNECTOR", 403],
    ];
    for (const [attack, token, expected, status] of attacks) {
      assert.equal(reason(verify(token)), expected, attack);
      assert.equal(CONNECT_TOKEN_REJECTION_STATUS[expected], status, attack);
    }
    assert.deepEqual([...CONNECT_TOKEN_REJECTIONS].sort(), attacks.map(([, , expected]) => expected).sort(), "the reasons listed are exactly those answered");
  });

  it("rejects missing, malformed and oversized tokens", () => {
    for (const missing of [undefined, null, ""]) assert.equal(reason(verify(missing)), "MISSING");
    for (const bad of [42, {}, "abc", "a.b.c", ".sig", "abc.", "a+b." + "A".repeat(43), "abc." + "A".repeat(42), "abc." + "A".repeat(44)]) {
      assert.equal(reason(verify(bad)), "MALFORMED", String(bad));
    }
    assert.equal(reason(verify("a".repeat(MAX_CONNECT_TOKEN_CHARS + 1))), "MALFORMED");
    assert.equal(reason(verify(`${"A".repeat(MAX_CONNECT_TOKEN_CHARS)}.${"A".repeat(43)}`)), "MALFORMED", "size is checked before hashing");
    assert.equal(reason(verify("A".repeat(43))), "MALFORMED", "a bare signature, no claims part");
    const [body, signature] = issue().split(".") as [string, string];
    for (const foreign of ["+", "/", "="]) {
      assert.equal(reason(verify(`${body}.${signature.slice(0, -1)}${foreign}`)), "MALFORMED", `a signature spelled with "${foreign}" is not base64url`);
    }
  });

  it("accepts a well-signed token of exactly the size limit and refuses one character more before decoding it", () => {
    const claims = JSON.stringify({ v: 1, uid: "alice", cid: "connector-0", exp: NOW + 1000, iat: NOW, jti: "j" });
    // 1,503 bytes of JSON (padded with the spaces JSON.parse skips) are 2,004 base64url characters: with "." and the signature, the limit.
    const body = Buffer.from(claims.padEnd(1503, " "), "utf8").toString("base64url");
    const atLimit = signRaw(body);
    assert.equal(atLimit.length, MAX_CONNECT_TOKEN_CHARS);
    assert.equal(reason(verify(atLimit)), "OK");
    // One more character decodes to the same claims (a lone trailing base64 character carries no byte), and is signed.
    const overLimit = signRaw(`${body}A`);
    assert.equal(overLimit.length, MAX_CONNECT_TOKEN_CHARS + 1);
    assert.equal(reason(verify(overLimit)), "MALFORMED");
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

  it("answers MALFORMED instead of throwing into uWS when a check itself throws (its last layer, reached here through a BigInt clock)", () => {
    const verifier = createConnectTokenVerifier({ secret: SECRET, connectorId: "connector-0" });
    assert.deepEqual(verifier(issue(), 10n as unknown as number), { ok: false, reason: "MALFORMED" });
  });

  it("tolerates 5 s of clock skew when none is configured", () => {
    const token = issue({ ttlMs: 10_000 });
    const verifyDefault = (now: number) => reason(verifyConnectToken(token, { secret: SECRET, connectorId: "connector-0", now }));
    assert.equal(verifyDefault(NOW + 10_000 + 4_999), "OK");
    assert.equal(verifyDefault(NOW + 10_000 + 5_000), "EXPIRED");
    assert.equal(verifyDefault(NOW - 5_000), "OK");
    assert.equal(verifyDefault(NOW - 5_001), "NOT_YET_VALID");
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
      { ...good, uid: ["alice"] },
      { ...good, cid: "c".repeat(129) },
      { ...good, jti: "j".repeat(65) },
      { ...good, resume: "r".repeat(1025) },
      { ...good, exp: NOW, iat: NOW },
      { ...good, exp: NOW + 1000.5 },
      { ...good, exp: String(NOW + 10 ** 6) },
      { ...good, iat: -1 },
      { ...good, iat: String(NOW) },
      7,
      "a string",
    ];
    for (const claims of bad) {
      const body = claims === "not json" ? Buffer.from(claims).toString("base64url") : b64(claims);
      assert.equal(reason(verify(signRaw(body))), "MALFORMED", JSON.stringify(claims));
    }
  });

  it("accepts claims at their limits: the longest uid, connector id, jti and resume, and an issue time of 0", () => {
    // Two tokens: all four at their longest would pass the 2,048-character limit of the whole token.
    const longest = { v: 1, uid: "u".repeat(256), cid: "c".repeat(128), exp: NOW + 1000, iat: 0, jti: "j".repeat(64) };
    const longestResume = { v: 1, uid: "u", cid: "connector-0", exp: NOW + 1000, iat: NOW, jti: "j", resume: "r".repeat(1024) };
    for (const [claims, connectorId] of [[longest, "c".repeat(128)], [longestResume, "connector-0"]] as const) {
      const verdict = verify(signRaw(b64(claims)), { connectorId });
      assert.ok(verdict.ok, reason(verdict));
      assert.deepEqual(verdict.claims, claims);
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

  it("refuses short, missing or mistyped secrets and bad options with an error naming the key and the fix", () => {
    const configError = (key: string, fix: RegExp) => (error: unknown) =>
      error instanceof ConnectTokenConfigError &&
      error.name === "ConnectTokenConfigError" &&
      error.code === "CONNECT_TOKEN_CONFIG" &&
      error.key === key &&
      error.message.startsWith(`${key}: `) &&
      fix.test(error.message);
    const options = { uid: "a", connectorId: "c", ttlMs: 1000 };
    assert.throws(() => issue({ secret: "short" }), configError("secret", /at least 32 bytes, got 5 .*openssl rand/));
    assert.throws(() => issueConnectToken({ ...options, secrets: [SECRET, "é".repeat(15)] }), configError("secrets[1]", /at least 32 bytes, got 30/));
    assert.throws(() => issueConnectToken({ ...options, secrets: [] }), configError("secrets", /at least one secret/));
    assert.throws(() => issueConnectToken({ ...options, secrets: SECRET as unknown as string[] }), configError("secrets", /at least one secret/), "a single string where a list belongs");
    assert.throws(() => issueConnectToken({ ...options, secrets: [SECRET, 42 as unknown as string] }), configError("secrets[1]", /must be a string/));
    assert.throws(() => issueConnectToken({ ...options, secret: Buffer.from(SECRET) as unknown as string }), configError("secret", /must be a string/));
    assert.throws(() => issueConnectToken({ ...options, secret: SECRET, secrets: [SECRET] }), configError("secret", /either secret or secrets, not both/));
    assert.throws(() => issueConnectToken(options), configError("secret", /is required \(or secrets, for rotation\)/));
    assert.throws(() => verifyConnectToken("x.y", { secret: "x".repeat(31), connectorId: "c" }), configError("secret", /got 31/));
    assert.throws(() => createConnectTokenVerifier({ secrets: [SECRET, "short"], connectorId: "c" }), configError("secrets[1]", /at least 32 bytes/));
    assert.doesNotThrow(() => issue({ secret: "é".repeat(16) }), "32 bytes of UTF-8 are enough");

    for (const ttlMs of [0, 1.5, MAX_CONNECT_TOKEN_TTL_MS + 1]) assert.throws(() => issue({ ttlMs }), configError("ttlMs", /integer from 1 to 3600000 ms/), String(ttlMs));
    for (const ttlMs of [1, MAX_CONNECT_TOKEN_TTL_MS]) assert.equal(issueConnectToken({ ...options, secret: SECRET, now: NOW, ttlMs }).claims.exp, NOW + ttlMs);
    for (const now of [-1, 1.5, Number.NaN]) assert.throws(() => issue({ now }), configError("now", /non-negative integer of ms since the epoch/), String(now));
    assert.equal(issueConnectToken({ ...options, secret: SECRET, now: 0 }).claims.iat, 0, "a clock at the epoch is a clock");
    assert.throws(() => issue({ uid: "" }), configError("uid", /non-empty string of at most 256 characters/));
    assert.throws(() => issue({ uid: "u".repeat(257) }), configError("uid", /at most 256 characters/));
    assert.throws(() => issue({ connectorId: "" }), configError("connectorId", /at most 128 characters/));
    for (const resume of ["", "r".repeat(1025)]) assert.throws(() => issue({ resume }), configError("resume", /at most 1024 characters/), `${resume.length} characters`);

    assert.throws(() => createConnectTokenVerifier({ secret: SECRET, connectorId: "" }), configError("connectorId", /at most 128 characters/));
    for (const maxClockSkewMs of [-1, 0.5, Number.NaN]) {
      assert.throws(() => createConnectTokenVerifier({ secret: SECRET, connectorId: "c", maxClockSkewMs }), configError("maxClockSkewMs", /non-negative integer/), String(maxClockSkewMs));
    }
  });
});
