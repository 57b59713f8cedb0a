import assert from "node:assert/strict";
import { createConnectTokenVerifier, createResumeTokenVerifier, DEFAULT_RESUME_TOKEN_TTL_MS, issueConnectToken, issueResumeToken, RESUME_TOKEN_AUDIENCE } from "../../services/src/auth";

const SECRET = "r".repeat(32) + "-resume-secret";
const OTHER = "x".repeat(32) + "-another-cluster";
const NOW = 1_800_000_000_000;

describe("auth: resume tokens", () => {
  // Built inside each test, not when the file loads: a secret check that throws then fails that test (mutation runs count it killed, not a load error).
  const verifyResume = (token: unknown, now: number) => createResumeTokenVerifier({ secret: SECRET, maxClockSkewMs: 0 })(token, now);

  it("carry the uid and the session resumed from, and verify at the gate until they expire", () => {
    const { token, expiresAtMs } = issueResumeToken({ secret: SECRET, uid: "alice", sessionId: "connector-1.abc.7", ttlMs: 60_000, now: NOW });
    assert.equal(expiresAtMs, NOW + 60_000);
    const verdict = verifyResume(token, NOW + 1_000);
    assert.ok(verdict.ok);
    assert.equal(verdict.claims.uid, "alice");
    assert.equal(verdict.claims.resume, "connector-1.abc.7");
    assert.deepEqual(verifyResume(token, NOW + 60_000), { ok: false, reason: "EXPIRED" });
  });

  it("last ten minutes unless told otherwise, to the millisecond", () => {
    const { token, expiresAtMs } = issueResumeToken({ secret: SECRET, uid: "alice", sessionId: "s1", now: NOW });
    assert.equal(DEFAULT_RESUME_TOKEN_TTL_MS, 10 * 60_000);
    assert.equal(expiresAtMs, NOW + DEFAULT_RESUME_TOKEN_TTL_MS);
    assert.ok(verifyResume(token, expiresAtMs - 1).ok);
    assert.deepEqual(verifyResume(token, expiresAtMs), { ok: false, reason: "EXPIRED" });
  });

  it("under rotation are signed with the first secret, so a gate that knows only the old one refuses them", () => {
    const { token } = issueResumeToken({ secrets: [SECRET, OTHER], uid: "alice", sessionId: "s1", now: NOW });
    assert.ok(verifyResume(token, NOW).ok);
    assert.deepEqual(createResumeTokenVerifier({ secret: OTHER, maxClockSkewMs: 0 })(token, NOW), { ok: false, reason: "BAD_SIGNATURE" });
    assert.ok(createResumeTokenVerifier({ secrets: [OTHER, SECRET], maxClockSkewMs: 0 })(token, NOW).ok, "a gate already rotated further");
  });

  it("open no connector: not even one that accepts tokens issued for any connector", () => {
    const { token } = issueResumeToken({ secret: SECRET, uid: "alice", sessionId: "s1", now: NOW });
    for (const acceptAnyConnector of [false, true]) {
      const connector = createConnectTokenVerifier({ secret: SECRET, connectorId: "connector-0", acceptAnyConnector, maxClockSkewMs: 0 });
      assert.deepEqual(connector(token, NOW), { ok: false, reason: "WRONG_CONNECTOR" }, `acceptAnyConnector ${acceptAnyConnector}`);
    }
  });

  it("are not connect tokens: a connect token, even one for the resume audience without a session, is refused by the gate", () => {
    const connect = issueConnectToken({ secret: SECRET, uid: "alice", connectorId: "connector-0", ttlMs: 60_000, now: NOW }).token;
    assert.deepEqual(verifyResume(connect, NOW), { ok: false, reason: "WRONG_CONNECTOR" });
    const shaped = issueConnectToken({ secret: SECRET, uid: "alice", connectorId: RESUME_TOKEN_AUDIENCE, ttlMs: 60_000, now: NOW }).token;
    assert.deepEqual(verifyResume(shaped, NOW), { ok: false, reason: "MALFORMED" });
  });

  it("signed with another cluster's secret, or tampered, are refused", () => {
    const foreign = issueResumeToken({ secret: OTHER, uid: "alice", sessionId: "s1", now: NOW }).token;
    assert.deepEqual(verifyResume(foreign, NOW), { ok: false, reason: "BAD_SIGNATURE" });
    const token = issueResumeToken({ secret: SECRET, uid: "alice", sessionId: "s1", now: NOW }).token;
    const [body, signature] = token.split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...claims, uid: "mallory" })).toString("base64url")}.${signature}`;
    assert.deepEqual(verifyResume(forged, NOW), { ok: false, reason: "BAD_SIGNATURE" });
  });
});

describe("auth: connect tokens behind a load balancer (acceptAnyConnector)", () => {
  it("accepts a token the gate issued for another connector, still checking signature and expiry", () => {
    const verify = createConnectTokenVerifier({ secret: SECRET, connectorId: "connector-1", acceptAnyConnector: true, maxClockSkewMs: 0 });
    const token = issueConnectToken({ secret: SECRET, uid: "bob", connectorId: "connector-0", ttlMs: 1_000, now: NOW }).token;
    assert.ok(verify(token, NOW).ok);
    assert.deepEqual(verify(token, NOW + 1_000), { ok: false, reason: "EXPIRED" });
    const first = token.at(-3) === "A" ? "B" : "A";
    assert.deepEqual(verify(`${token.slice(0, -3)}${first}${token.slice(-2)}`, NOW), { ok: false, reason: "BAD_SIGNATURE" });
    const strict = createConnectTokenVerifier({ secret: SECRET, connectorId: "connector-1", maxClockSkewMs: 0 });
    assert.deepEqual(strict(token, NOW), { ok: false, reason: "WRONG_CONNECTOR" });
  });
});
