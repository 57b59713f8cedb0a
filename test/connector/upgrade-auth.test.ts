import assert from "node:assert/strict";
import http from "node:http";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { createResumeTokenVerifier, issueConnectToken, issueResumeToken } from "../../services/src/auth";
import { ConfigError } from "../../services/src/config/validate";
import { parseConnectorConfig, type ConnectorConfigInput } from "../../services/src/connector";
import type { HandshakeAccepted } from "../../services/src/protocol";
import { TestClient } from "../helpers/pomelo-client";
import { waitUntil } from "../helpers/wait";
import { startConnector, type Running } from "./setup";

const SECRET = randomBytes(48).toString("base64");
const OLD_SECRET = randomBytes(48).toString("base64");
const ORIGIN = "https://play.example.com";

type Attempt = { readonly upgraded: true; readonly socket: WebSocket } | { readonly upgraded: false; readonly status: number; readonly body: string; readonly headers: http.IncomingHttpHeaders };

/** One upgrade attempt with the `ws` client: the socket when it opened, else the HTTP answer ('unexpected-response'). */
function attempt(port: number, query: string, origin?: string): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/${query}`, origin === undefined ? {} : { origin });
    socket.once("open", () => resolve({ upgraded: true, socket }));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ upgraded: false, status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    socket.once("error", (error) => reject(error));
  });
}

/** The same with a raw `http.request` upgrade, as a non-`ws` client would (no Origin unless given). */
function rawAttempt(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: "127.0.0.1",
      port,
      path,
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Key": randomBytes(16).toString("base64"), "Sec-WebSocket-Version": "13", ...headers },
    });
    request.once("upgrade", (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: "" });
    });
    request.once("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.once("error", reject);
    request.end();
  });
}

/** Handshake + ack, then `connector.session.ping`; resolves with its body. */
async function handshakeAndPing(socket: WebSocket): Promise<{ code: number; sessionId: string; uid: string | null }> {
  const client = TestClient.adopt(socket);
  const response = await client.handshake();
  assert.equal(response.code, 200);
  return (await client.request("connector.session.ping")) as { code: number; sessionId: string; uid: string | null };
}

const token = (over: Partial<Parameters<typeof issueConnectToken>[0]> = {}) =>
  issueConnectToken({ uid: "alice", connectorId: "connector-0", ttlMs: 30_000, secret: SECRET, ...over }).token;
const q = (value: string) => `?token=${encodeURIComponent(value)}`;

describe("connector: connect token and Origin checked on upgrade", () => {
  let running: Running;
  const sockets: WebSocket[] = [];
  const open = async (query: string, origin?: string) => {
    const result = await attempt(running.port, query, origin);
    if (result.upgraded) sockets.push(result.socket);
    return result;
  };
  const rejected = async (query: string, status: number, origin?: string) => {
    const result = await open(query, origin);
    assert.ok(!result.upgraded, `expected ${status}, but the socket opened`);
    assert.equal(result.status, status, result.body);
    return result;
  };
  /** Rejections must never reach the WebSocket stage: no socket was opened, no session exists. */
  const assertNoSocketEverOpened = () => {
    assert.equal(running.connector.counters.clients, 0);
    assert.equal(running.connector.counters.sessions, 0);
    assert.equal(running.connector.sessions.size, 0);
    assert.equal(Object.values(running.connector.counters.closes).reduce((a, b) => a + b, 0), 0);
    assert.deepEqual(opened, [], "no sessionOpen");
  };
  const opened: string[] = [];

  const start = async (auth: ConnectorConfigInput["auth"]) => {
    opened.length = 0;
    running = await startConnector({ auth });
    running.connector.on("sessionOpen", (session) => opened.push(session.id));
  };

  beforeEach(async () => {
    await start({ tokenSecrets: [SECRET], allowedOrigins: [ORIGIN, "http://localhost:8080"] });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await running.stop();
  });

  it("upgrades a valid token and starts the session bound to the token's uid (sessionBound fires)", async () => {
    const bound: Array<[string, string]> = [];
    running.connector.on("sessionBound", (session, uid) => bound.push([session.id, uid]));
    const result = await open(q(token({ uid: "alice" })));
    assert.ok(result.upgraded);
    const ping = await handshakeAndPing(result.socket);
    assert.equal(ping.code, 200);
    assert.equal(ping.uid, "alice");
    assert.deepEqual(bound, [[ping.sessionId, "alice"]]);
    assert.equal(running.connector.sessions.getByUid("alice")?.session.id, ping.sessionId);
    assert.equal(running.connector.counters.upgradesAuthenticated, 1);
  });

  it("a second valid token for the same uid kicks the first session (the usual bind path)", async () => {
    const first = await open(q(token()));
    assert.ok(first.upgraded);
    const kicked = new Promise<number>((resolve) => first.socket.once("close", (code) => resolve(code)));
    const second = await open(q(token()));
    assert.ok(second.upgraded);
    assert.equal(await kicked, 4001);
    assert.equal((await handshakeAndPing(second.socket)).uid, "alice");
  });

  it("answers the handshake of a token-bound client with its uid and a resume token the gate can verify", async () => {
    const result = await open(q(token({ uid: "carol" })));
    assert.ok(result.upgraded);
    const client = TestClient.adopt(result.socket);
    const response = await client.handshake();
    const user = (response as HandshakeAccepted).user as { connectorId: string; uid: string; resumeToken: string; resumeExpiresAtMs: number; resumed: boolean };
    assert.equal(user.connectorId, "connector-0");
    assert.equal(user.uid, "carol");
    assert.equal(user.resumed, false);
    assert.ok(user.resumeExpiresAtMs > Date.now() + 60_000);
    const verdict = createResumeTokenVerifier({ secret: SECRET })(user.resumeToken);
    assert.ok(verdict.ok);
    assert.equal(verdict.claims.uid, "carol");
    const ping = (await client.request("connector.session.ping")) as { sessionId: string };
    assert.equal(verdict.claims.resume, ping.sessionId);
    const refreshed = (await client.request("connector.session.resume")) as { code: number; resumeToken: string };
    assert.equal(refreshed.code, 200);
    assert.notEqual(refreshed.resumeToken, user.resumeToken);
    assert.ok(createResumeTokenVerifier({ secret: SECRET })(refreshed.resumeToken).ok);
  });

  it("reports a connect token's resume claim in the handshake, and with sessionReady once the client acknowledged it", async () => {
    const ready: Array<string | undefined> = [];
    running.connector.on("sessionReady", (_session, resumedFrom) => ready.push(resumedFrom));
    const result = await open(q(token({ uid: "dave", resume: "connector-1.old.3" })));
    assert.ok(result.upgraded);
    const client = TestClient.adopt(result.socket);
    const response = await client.handshake();
    assert.equal(((response as HandshakeAccepted).user as { resumed: boolean }).resumed, true);
    await waitUntil(() => ready.length === 1, 2_000, "sessionReady");
    assert.deepEqual(ready, ["connector-1.old.3"]);
    const plain = await open(q(token({ uid: "erin" })));
    assert.ok(plain.upgraded);
    await TestClient.adopt(plain.socket).handshake();
    await waitUntil(() => ready.length === 2, 2_000, "sessionReady of a login");
    assert.equal(ready[1], undefined, "a login is no resume");
  });

  it("refuses a resume token presented as a connect token (403), and issues no resume token to an unbound session", async () => {
    const { token: resume } = issueResumeToken({ secret: SECRET, uid: "alice", sessionId: "s1" });
    await rejected(q(resume), 403);
    await running.stop();
    running = await startConnector({ auth: { allowedOrigins: [ORIGIN] } });
    const result = await open("", ORIGIN);
    assert.ok(result.upgraded);
    const client = TestClient.adopt(result.socket);
    await client.handshake();
    const answer = (await client.request("connector.session.resume")) as { code: number; handlerCode: string };
    assert.equal(answer.code, 500);
    assert.equal(answer.handlerCode, "NO_RESUME");
  });

  it("with acceptAnyConnector (load balancer mode), upgrades a token the gate issued for another connector", async () => {
    await rejected(q(token({ connectorId: "connector-7" })), 403);
    await running.stop();
    running = await startConnector({ auth: { tokenSecrets: [SECRET], acceptAnyConnector: true } });
    const result = await open(q(token({ connectorId: "connector-7", uid: "erin" })));
    assert.ok(result.upgraded);
    assert.equal((await handshakeAndPing(result.socket)).uid, "erin");
  });

  it("answers 401 to a missing token, before upgrading", async () => {
    const result = await rejected("", 401);
    assert.ok(!result.upgraded);
    assert.equal(result.body, "connect token missing");
    assert.match(String(result.headers["www-authenticate"]), /^Bearer realm="pomona"$/);
    await rejected("?token=", 401);
    await rejected("?other=x", 401);
    assertNoSocketEverOpened();
    assert.equal(running.connector.counters.upgradesRejected.MISSING, 3);
  });

  it("answers 401 to an expired token", async () => {
    const stale = issueConnectToken({ uid: "alice", connectorId: "connector-0", ttlMs: 1_000, secret: SECRET, now: Date.now() - 60_000 }).token;
    const result = await rejected(q(stale), 401);
    assert.ok(!result.upgraded);
    assert.equal(result.body, "connect token expired");
    assert.match(String(result.headers["www-authenticate"]), /error="invalid_token"/);
    assertNoSocketEverOpened();
    assert.equal(running.connector.counters.upgradesRejected.EXPIRED, 1);
  });

  it("answers 401 to tampered claims, a tampered signature, a foreign secret and garbage", async () => {
    const [body, signature] = token().split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, uid: "admin" })).toString("base64url");
    await rejected(q(`${forged}.${signature}`), 401);
    const flipped = (signature[5] === "A" ? "B" : "A") + "";
    await rejected(q(`${body}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`), 401);
    await rejected(q(token({ secret: randomBytes(32).toString("hex") })), 401);
    await rejected(q("not-a-token"), 401);
    await rejected(q("x".repeat(3000)), 401);
    assertNoSocketEverOpened();
    assert.equal(running.connector.counters.upgradesRejected.BAD_SIGNATURE, 3);
    assert.equal(running.connector.counters.upgradesRejected.MALFORMED, 2);
    assert.equal(running.connector.sessions.getByUid("admin"), undefined);
  });

  it("answers 403 to a token for connector-1 presented to connector-0", async () => {
    const result = await rejected(q(token({ connectorId: "connector-1" })), 403);
    assert.ok(!result.upgraded);
    assert.equal(result.body, "connect token is for another connector");
    assertNoSocketEverOpened();
    assert.equal(running.connector.counters.upgradesRejected.WRONG_CONNECTOR, 1);
  });

  it("answers 403 to an Origin not on the allowlist, even with a valid token; upgrades an allowed Origin", async () => {
    for (const origin of ["https://evil.example.com", "https://play.example.com.evil.com", "http://play.example.com", "https://PLAY.example.com", "null"]) {
      const result = await rejected(q(token()), 403, origin);
      assert.ok(!result.upgraded);
      assert.equal(result.body, "origin not allowed");
    }
    assert.equal((await rawAttempt(running.port, `/${q(token())}`, { Origin: "https://evil.example.com" })).status, 403);
    assertNoSocketEverOpened();
    assert.equal(running.connector.counters.upgradesRejected.ORIGIN_NOT_ALLOWED, 6);

    for (const origin of [ORIGIN, "http://localhost:8080"]) {
      const result = await open(q(token({ uid: origin })), origin);
      assert.ok(result.upgraded, origin);
      assert.equal((await handshakeAndPing(result.socket)).uid, origin);
    }
  });

  it("accepts a client without Origin by default, refuses it with allowMissingOrigin: false", async () => {
    const raw = await rawAttempt(running.port, `/${q(token())}`);
    assert.equal(raw.status, 101);
    await waitUntil(() => running.connector.counters.upgradesAuthenticated === 1, 2_000, "native client upgraded");

    await running.stop();
    await start({ tokenSecrets: [SECRET], allowedOrigins: [ORIGIN], allowMissingOrigin: false });
    const refused = await rawAttempt(running.port, `/${q(token())}`);
    assert.deepEqual(refused, { status: 403, body: "origin required" });
    assertNoSocketEverOpened();
    assert.equal(running.connector.counters.upgradesRejected.ORIGIN_MISSING, 1);
    assert.ok((await open(q(token()), ORIGIN)).upgraded);
  });

  it("key rotation: a token signed with the old secret verifies while both secrets are configured", async () => {
    await running.stop();
    await start({ tokenSecrets: [SECRET, OLD_SECRET] });
    const old = await open(q(token({ uid: "old", secret: OLD_SECRET })));
    assert.ok(old.upgraded);
    assert.equal((await handshakeAndPing(old.socket)).uid, "old");
    const current = await open(q(token({ uid: "new", secret: undefined, secrets: [SECRET, OLD_SECRET] })));
    assert.ok(current.upgraded);
    assert.equal((await handshakeAndPing(current.socket)).uid, "new");

    await running.stop();
    await start({ tokenSecrets: [SECRET] });
    await rejected(q(token({ secret: OLD_SECRET })), 401);
    assertNoSocketEverOpened();
  });

  it("reads the token from the configured query parameter", async () => {
    await running.stop();
    await start({ tokenSecrets: [SECRET], tokenQueryParam: "ct" });
    await rejected(q(token()), 401);
    const result = await open(`?ct=${encodeURIComponent(token())}&x=1`);
    assert.ok(result.upgraded);
  });

  it("with only an Origin allowlist, clients upgrade unbound when their Origin passes", async () => {
    await running.stop();
    await start({ allowedOrigins: [ORIGIN] });
    await rejected("", 403, "https://evil.example.com");
    const result = await open("", ORIGIN);
    assert.ok(result.upgraded);
    assert.equal((await handshakeAndPing(result.socket)).uid, null);
    assert.equal(running.connector.counters.upgradesAuthenticated, 0);
  });

  it("without auth, behaviour is unchanged: every client upgrades, unbound", async () => {
    await running.stop();
    running = await startConnector();
    const result = await open("?token=garbage", "https://anything.example");
    assert.ok(result.upgraded);
    assert.equal((await handshakeAndPing(result.socket)).uid, null);
    assert.deepEqual(Object.values(running.connector.counters.upgradesRejected), [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("refuses bad auth config with messages naming the key", () => {
    const parse = (auth: unknown) => {
      try {
        parseConnectorConfig({ connectorId: "c", port: 0, auth } as ConnectorConfigInput);
        return "";
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message;
      }
    };
    assert.match(parse({ tokenSecrets: ["short"] }), /connector\.auth\.tokenSecrets\.0: must be at least 32 bytes/);
    assert.match(parse({ tokenSecrets: [] }), /connector\.auth\.tokenSecrets: must list at least one secret/);
    assert.match(parse({ allowedOrigins: ["https://ok.example.com/"] }), /connector\.auth\.allowedOrigins\.0: must be an exact origin/);
    assert.match(parse({ allowedOrigins: ["*"] }), /allowedOrigins\.0: must be an exact origin/);
    assert.match(parse({}), /connector\.auth: checks nothing/);
    assert.match(parse({ tokenSecrets: [SECRET], allowMissingOrigin: false }), /connector\.auth\.allowMissingOrigin: false needs allowedOrigins/);
    assert.match(parse({ tokenSecrets: [SECRET], tokenQueryParam: "a b" }), /tokenQueryParam/);
    assert.match(parse({ tokenSecrets: [SECRET], secret: SECRET }), /connector\.auth/);
    assert.match(parse({ allowedOrigins: [ORIGIN], acceptAnyConnector: true }), /connector\.auth\.acceptAnyConnector: needs tokenSecrets/);
    assert.equal(parse({ tokenSecrets: [SECRET], allowedOrigins: [ORIGIN, "http://localhost:8080"] }), "");
  });
});
