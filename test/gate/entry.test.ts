import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { verifyConnectToken } from "../../services/src/auth";
import { ConfigError } from "../../services/src/config/validate";
import type { ServerInfo } from "../../services/src/discovery";
import { chooseEntry, connectorOrdinal, parseGateConfig, publicAddress, uidProblem } from "../../services/src/gate";

const SECRET = randomBytes(48).toString("base64");
const server = (id: string, over: Partial<ServerInfo> = {}): ServerInfo => ({
  id,
  type: "connector",
  host: "10.0.0.1",
  port: 3010,
  incarnation: "i1",
  load: 0,
  draining: false,
  metadata: {},
  ...over,
});

describe("gate: entry choice (pure)", () => {
  it("validates uids: 1–64 printable characters", () => {
    assert.equal(uidProblem("alice"), undefined);
    assert.equal(uidProblem("x".repeat(64)), undefined);
    assert.equal(uidProblem("🙂".repeat(64)), undefined, "64 code points, not UTF-16 units");
    assert.match(uidProblem("x".repeat(65))!, /at most 64/);
    assert.match(uidProblem("")!, /empty/);
    assert.match(uidProblem(undefined)!, /required/);
    assert.match(uidProblem(42)!, /string/);
    assert.match(uidProblem("a\nb")!, /printable/);
    assert.match(uidProblem("a\u0000")!, /printable/);
    assert.match(uidProblem("\ud800")!, /printable/);
    assert.match(uidProblem("   ")!, /blank/);
  });

  it("reads the ordinal from metadata.ordinal, else the id's trailing number", () => {
    assert.equal(connectorOrdinal(server("connector-3")), 3);
    assert.equal(connectorOrdinal(server("connector-0")), 0);
    assert.equal(connectorOrdinal(server("connector-x", { metadata: { ordinal: 7 } })), 7);
    assert.equal(connectorOrdinal(server("connector-1", { metadata: { ordinal: "12" } })), 12, "metadata wins over the id");
    assert.equal(connectorOrdinal(server("connector")), undefined);
    assert.equal(connectorOrdinal(server("connector-01")), undefined, "no leading zeros: connector-01 is not connector-1");
    assert.equal(connectorOrdinal(server("c", { metadata: { ordinal: -1 } })), undefined);
    assert.equal(connectorOrdinal(server("c", { metadata: { ordinal: "1.5" } })), undefined);
  });

  it("builds public addresses per front door, omitting default ports", () => {
    const c3 = server("connector-3");
    assert.deepEqual(publicAddress({ mode: "subdomain", domain: "play.example.com", tls: true, hostPrefix: "connector-" }, c3), {
      host: "connector-3.play.example.com",
      port: 443,
      baseUrl: "wss://connector-3.play.example.com/",
    });
    assert.deepEqual(publicAddress({ mode: "subdomain", domain: "localhost", publicPort: 8080, tls: false, hostPrefix: "connector-" }, c3), {
      host: "connector-3.localhost",
      port: 8080,
      baseUrl: "ws://connector-3.localhost:8080/",
    });
    assert.deepEqual(publicAddress({ mode: "loadbalancer", publicHost: "lb.example.com", tls: false }, c3), { host: "lb.example.com", port: 80, baseUrl: "ws://lb.example.com/" });
    assert.deepEqual(publicAddress({ mode: "direct", tls: false }, c3), { host: "10.0.0.1", port: 3010, baseUrl: "ws://10.0.0.1:3010/" });
    assert.equal(publicAddress({ mode: "subdomain", domain: "d", tls: false, hostPrefix: "connector-" }, server("nameless")), undefined);
  });

  it("picks the least-loaded live connector, never a draining one, and signs a token for it", () => {
    const options = { frontDoor: { mode: "subdomain" as const, domain: "play.example.com", tls: true, hostPrefix: "connector-" }, connectorType: "connector", tokenSecrets: [SECRET], tokenTtlMs: 60_000 };
    const members = [server("connector-0", { load: 5 }), server("connector-1", { load: 9 }), server("connector-2", { load: 0, draining: true }), server("game-0", { type: "arena", load: 0 })];
    const result = chooseEntry(members, "alice", options);
    assert.ok(result.ok);
    assert.equal(result.connectorId, "connector-0");
    assert.equal(result.url, `wss://connector-0.play.example.com/?token=${result.token}`);
    const verdict = verifyConnectToken(result.token, { secret: SECRET, connectorId: "connector-0" });
    assert.ok(verdict.ok && verdict.claims.uid === "alice");
    // Time between issuing and this check, measured, 4–5 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 2–59 ms.
    assert.ok(result.expiresAtMs - Date.now() <= 60_000 && result.expiresAtMs - Date.now() > 55_000);

    const none = chooseEntry([server("connector-2", { draining: true })], "alice", options);
    assert.deepEqual(none, { ok: false, reason: "NO_CONNECTOR", message: "no connector available: all 1 are draining" });
    const bad = chooseEntry(members, "", options);
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.reason, "BAD_UID");
    // Subdomain mode cannot name a connector without an ordinal: it is skipped, never guessed.
    const unnamed = chooseEntry([server("nameless", { load: 0 }), server("connector-4", { load: 100 })], "bob", options);
    assert.ok(unnamed.ok && unnamed.connectorId === "connector-4");
  });

  it("spreads equal loads by uid", () => {
    const options = { frontDoor: { mode: "direct" as const, tls: false }, connectorType: "connector", tokenSecrets: [SECRET], tokenTtlMs: 60_000 };
    const members = [server("connector-0"), server("connector-1")];
    const chosen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const result = chooseEntry(members, `player-${i}`, options);
      if (result.ok) chosen.add(result.connectorId);
    }
    assert.equal(chosen.size, 2);
  });

  it("validates config, naming the key", () => {
    const base = { port: 0, frontDoor: { mode: "subdomain", domain: "play.example.com" }, tokenSecrets: [SECRET], auth: { mode: "anonymous" } };
    const config = parseGateConfig(base);
    assert.equal(config.tokenTtlMs, 60_000);
    assert.equal(config.allowMissingOrigin, true);
    const fails = (input: unknown, pattern: RegExp) =>
      assert.throws(() => parseGateConfig(input), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
    fails({ ...base, tokenSecrets: ["short"] }, /gate\.tokenSecrets\.0: must be at least 32 bytes/);
    fails({ ...base, tokenSecrets: undefined }, /gate\.tokenSecrets/);
    fails({ ...base, frontDoor: { mode: "subdomain" } }, /gate\.frontDoor\.domain/);
    fails({ ...base, frontDoor: { mode: "loadbalancer", publicHost: "https://lb" } }, /gate\.frontDoor\.publicHost/);
    fails({ ...base, frontDoor: { mode: "sideways" } }, /gate\.frontDoor\.mode/);
    fails({ ...base, allowedOrigins: ["https://play.example.com/"] }, /gate\.allowedOrigins\.0: must be an exact origin/);
    fails({ ...base, tokenTtlMs: 10 }, /gate\.tokenTtlMs/);
    fails({ ...base, heartbeatSec: 40 }, /gate\.idleTimeoutSec: must exceed 2 × heartbeatSec/);
    fails({ ...base, auth: undefined }, /gate\.auth: must be an object whose mode \(AUTH_MODE\) is "jwt", "webhook", "anonymous" or "trust-uid"/);
    fails({ ...base, auth: { mode: "jwt", issuer: "https://id.example.com", audience: "game" } }, /gate\.auth\.jwksUrl: give exactly one of jwksUrl \(AUTH_JWKS_URL\) or hs256Secrets \(AUTH_JWT_SECRETS\)/);
    fails({ ...base, auth: { mode: "jwt", jwksUrl: "http://id.example.com/jwks", issuer: "i", audience: "a" } }, /gate\.auth\.jwksUrl: must be an https:\/\/ URL .*AUTH_JWKS_URL/);
    fails({ ...base, auth: { mode: "jwt", jwksUrl: "https://id.example.com/jwks", audience: "a" } }, /gate\.auth\.issuer: is required.*AUTH_ISSUER/);
    fails({ ...base, auth: { mode: "jwt", jwksUrl: "https://id.example.com/jwks", issuer: "i", audience: "a", algorithms: ["HS256"] } }, /gate\.auth\.algorithms\.0: must be asymmetric/);
    fails({ ...base, auth: { mode: "jwt", jwksUrl: "https://id.example.com/jwks", issuer: "i", audience: "a", clockSkewSec: 3600 } }, /gate\.auth\.clockSkewSec: must be at most 300/);
    fails({ ...base, auth: { mode: "webhook", url: "https://auth.example.com/check", secret: "short" } }, /gate\.auth\.secret: must be at least 32 bytes; set AUTH_WEBHOOK_SECRET/);
    fails({ ...base, rateLimit: { perSec: 0 } }, /gate\.rateLimit\.perSec/);
  });
});
