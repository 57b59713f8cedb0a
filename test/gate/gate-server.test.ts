import assert from "node:assert/strict";
import http from "node:http";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { issueResumeToken, verifyConnectToken } from "../../services/src/auth";
import { ServiceDiscovery } from "../../services/src/discovery";
import { GateServer, loadStaticSite, QUERY_ENTRY_ROUTE, startGate, type GateConfigInput, type GateRole } from "../../services/src/gate";
import { encodePackage, PackageType } from "../../services/src/protocol";
import { TestClient } from "../helpers/pomelo-client";
import { RedisServer } from "../helpers/redis-server";
import { waitUntil } from "../helpers/wait";
import { freePort } from "../helpers/ports";

const SECRET = randomBytes(48).toString("base64");
/** These specs are about the choice of connector, not identity (test/gate/identity.test.ts): uids as the client names them. */
const TRUST_UID = { mode: "trust-uid" } as const;
/** Far above what one spec asks from 127.0.0.1 (the limit's own specs are in identity.test.ts). */
const NO_RATE_LIMIT = { perSec: 10_000, burst: 10_000 };
const ORIGIN = "https://play.example.com";

interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown>;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path, method, headers }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          // not JSON
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json });
      });
    });
    request.once("error", reject);
    request.end();
  });
}

/** A WebSocket upgrade: the open socket, or the HTTP status it was refused with. */
function upgrade(port: number, origin?: string): Promise<{ socket?: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, origin === undefined ? {} : { origin });
    socket.once("open", () => resolve({ socket }));
    socket.once("unexpected-response", (_request, response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    socket.once("error", reject);
  });
}

describe("gate: HTTP and Pomelo entry over real discovery", function () {
  this.timeout(30_000);
  let redis: RedisServer;
  const connectors: ServiceDiscovery[] = [];
  const gates: GateServer[] = [];
  const clients: TestClient[] = [];
  let watcher: ServiceDiscovery;
  const discoveryOptions = () => ({ redis: { url: redis.url }, namespace: "gatetest", ttlMs: 3_000, resyncIntervalMs: 100 });

  const connector = async (id: string, load: number, metadata: Record<string, number | string> = {}) => {
    const discovery = new ServiceDiscovery(discoveryOptions(), { id, type: "connector", host: "127.0.0.1", port: 4000 + Number(id.split("-").pop() ?? 0), metadata });
    await discovery.start();
    discovery.setLoad(load);
    await discovery.publish();
    connectors.push(discovery);
    return discovery;
  };
  const startGateServer = async (over: Partial<GateConfigInput> = {}) => {
    const gate = new GateServer({
      config: { port: 0, host: "127.0.0.1", tokenSecrets: [SECRET], auth: TRUST_UID, rateLimit: NO_RATE_LIMIT, frontDoor: { mode: "subdomain", domain: "play.example.com", tls: true }, ...over },
      membership: watcher,
    });
    gates.push(gate);
    return { gate, port: await gate.listen() };
  };
  /** Waits until the gate's view shows what the connectors published. */
  const seen = (predicate: () => boolean) => waitUntil(predicate, 5_000, "gate view to catch up");
  const loadOf = (id: string) => watcher.get(id)?.load;

  before(async () => {
    redis = await RedisServer.start();
    watcher = new ServiceDiscovery(discoveryOptions());
    await watcher.start();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const gate of gates.splice(0)) await gate.stop();
    for (const discovery of connectors.splice(0)) await discovery.stop();
    await seen(() => watcher.members("connector").length === 0);
  });
  after(async () => {
    await watcher?.stop();
    await redis?.stop();
  });

  it("GET /entry hands out the least-loaded connector, follows load changes, never a draining one, 503 when none", async () => {
    const c0 = await connector("connector-0", 10);
    const c1 = await connector("connector-1", 3);
    const { gate, port } = await startGateServer();
    await seen(() => loadOf("connector-0") === 10 && loadOf("connector-1") === 3);

    let answer = await get(port, "/entry?uid=alice");
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.json.code, 200);
    assert.equal(answer.json.host, "connector-1.play.example.com");
    assert.equal(answer.json.port, 443);
    assert.equal(answer.json.url, `wss://connector-1.play.example.com/?token=${String(answer.json.token)}`);
    assert.equal(answer.headers["cache-control"], "no-store");

    c1.setLoad(50);
    await c1.publish();
    await seen(() => loadOf("connector-1") === 50);
    answer = await get(port, "/entry?uid=alice");
    assert.equal(answer.json.host, "connector-0.play.example.com");

    await c0.setDraining(true);
    await seen(() => watcher.get("connector-0")?.draining === true);
    for (let i = 0; i < 20; i++) assert.equal((await get(port, `/entry?uid=p${i}`)).json.host, "connector-1.play.example.com", "a draining connector is never handed out");

    await c1.setDraining(true);
    await seen(() => watcher.get("connector-1")?.draining === true);
    answer = await get(port, "/entry?uid=alice");
    assert.equal(answer.status, 503);
    assert.equal(answer.json.code, 503);
    assert.match(String(answer.json.message), /draining/);
    assert.equal(answer.headers["retry-after"], "1");
    assert.deepEqual(gate.counters.queries, { ok: 22, badUid: 0, badQuery: 0, badResume: 0, noConnector: 1, resumed: 0, unauthenticated: 0, authUnavailable: 0, rateLimited: 0 });
  });

  it("subdomain mode: connector-N.<domain> from metadata.ordinal or the id, with a token the connector accepts", async () => {
    await connector("connector-0", 5);
    await connector("connector-1", 1, { ordinal: 7 });
    const { port } = await startGateServer({ frontDoor: { mode: "subdomain", domain: "localhost", publicPort: 8080, tls: false } });
    await seen(() => loadOf("connector-1") === 1 && loadOf("connector-0") === 5);
    const answer = await get(port, "/entry?uid=" + encodeURIComponent("bob the builder"));
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.json.host, "connector-7.localhost");
    assert.equal(answer.json.port, 8080);
    const token = String(answer.json.token);
    assert.equal(answer.json.url, `ws://connector-7.localhost:8080/?token=${token}`);
    assert.equal(new URL(String(answer.json.url)).searchParams.get("token"), token, "the token survives URL parsing unescaped");
    const verdict = verifyConnectToken(token, { secret: SECRET, connectorId: "connector-1" });
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.claims.uid, "bob the builder");
    assert.ok(verdict.claims.exp - verdict.claims.iat === 60_000);
    assert.deepEqual(verifyConnectToken(token, { secret: SECRET, connectorId: "connector-0" }), { ok: false, reason: "WRONG_CONNECTOR" });
  });

  it("loadbalancer mode: every client gets the public host; the token still names the chosen connector", async () => {
    await connector("connector-0", 0);
    await connector("connector-1", 4);
    const { port } = await startGateServer({ frontDoor: { mode: "loadbalancer", publicHost: "lb.example.com", publicPort: 8443, tls: true } });
    await seen(() => loadOf("connector-1") === 4);
    const answer = await get(port, "/entry?uid=carol");
    assert.equal(answer.json.host, "lb.example.com");
    assert.equal(answer.json.port, 8443);
    assert.equal(answer.json.url, `wss://lb.example.com:8443/?token=${String(answer.json.token)}`);
    assert.ok(verifyConnectToken(answer.json.token, { secret: SECRET, connectorId: "connector-0" }).ok);
  });

  it("a dead connector (discovery stopped) is no longer handed out", async () => {
    await connector("connector-0", 10);
    const c1 = await connector("connector-1", 0);
    const { port } = await startGateServer();
    await seen(() => loadOf("connector-0") === 10 && loadOf("connector-1") === 0);
    assert.equal((await get(port, "/entry?uid=dave")).json.host, "connector-1.play.example.com");
    await c1.stop();
    connectors.splice(connectors.indexOf(c1), 1);
    await seen(() => watcher.get("connector-1") === undefined);
    for (let i = 0; i < 10; i++) assert.equal((await get(port, `/entry?uid=dave${i}`)).json.host, "connector-0.play.example.com");
  });

  it("bad uid → 400; no connector → 503 with a reason; /healthz → 200; unknown path → 404; POST /entry → 405", async () => {
    const { port } = await startGateServer();
    for (const query of ["", "?uid=", `?uid=${"x".repeat(65)}`, "?uid=a%0Ab", "?uid=%20%20"]) {
      const answer = await get(port, `/entry${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.body}`);
      assert.equal(answer.json.code, 400);
      assert.match(String(answer.json.message), /uid/);
    }
    const none = await get(port, "/entry?uid=erin");
    assert.equal(none.status, 503);
    assert.equal(none.json.message, "no connector available");
    assert.equal((await get(port, "/healthz")).status, 200);
    assert.equal((await get(port, "/nope")).status, 404);
    assert.equal((await get(port, "/entry?uid=a", {}, "POST")).status, 405);
  });

  it("Origin allowlist: 403 on HTTP and on the WebSocket upgrade; CORS for allowed origins; missing Origin allowed by default", async () => {
    await connector("connector-0", 0);
    const { gate, port } = await startGateServer({ allowedOrigins: [ORIGIN] });
    await seen(() => watcher.members("connector").length === 1);

    const allowed = await get(port, "/entry?uid=fay", { Origin: ORIGIN });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers["access-control-allow-origin"], ORIGIN);
    assert.equal(allowed.headers.vary, "Origin");
    const native = await get(port, "/entry?uid=fay");
    assert.equal(native.status, 200);
    assert.equal(native.headers["access-control-allow-origin"], undefined);
    const foreign = await get(port, "/entry?uid=fay", { Origin: "https://evil.example.com" });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers["access-control-allow-origin"], undefined);
    const preflight = await get(port, "/entry", { Origin: ORIGIN, "Access-Control-Request-Method": "GET" }, "OPTIONS");
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], ORIGIN);
    assert.equal((await get(port, "/entry", { Origin: "https://evil.example.com" }, "OPTIONS")).status, 403);

    assert.equal((await upgrade(port, "https://evil.example.com")).status, 403);
    assert.equal((await upgrade(port, `${ORIGIN}:444`)).status, 403, "the port is part of the origin");
    const ok = await upgrade(port, ORIGIN);
    assert.ok(ok.socket);
    ok.socket.terminate();
    const missing = await upgrade(port);
    assert.ok(missing.socket);
    missing.socket.terminate();
    assert.equal(gate.counters.originRejected, 4);

    const strict = await startGateServer({ allowedOrigins: [ORIGIN], allowMissingOrigin: false });
    assert.equal((await get(strict.port, "/entry?uid=fay")).status, 403);
    assert.equal((await upgrade(strict.port)).status, 403);
  });

  it("Pomelo client: handshake, heartbeat, queryEntry → {code: 200, host, port, url, token}; errors by code", async () => {
    await connector("connector-0", 2);
    await connector("connector-1", 1);
    const { gate, port } = await startGateServer();
    await seen(() => loadOf("connector-0") === 2 && loadOf("connector-1") === 1);
    const client = await TestClient.ready(port);
    clients.push(client);
    assert.deepEqual(client.handshakeResponse && "heartbeatSeconds" in client.handshakeResponse && client.handshakeResponse.heartbeatSeconds, 10);

    const answer = (await client.request(QUERY_ENTRY_ROUTE, { uid: "gina" })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(answer).sort(), ["code", "connectorId", "host", "port", "token", "url"]);
    assert.equal(answer.connectorId, "connector-1");
    assert.equal(answer.code, 200);
    assert.equal(answer.host, "connector-1.play.example.com");
    assert.equal(answer.port, 443);
    assert.equal(answer.url, `wss://connector-1.play.example.com/?token=${String(answer.token)}`);
    const verdict = verifyConnectToken(answer.token, { secret: SECRET, connectorId: "connector-1" });
    assert.ok(verdict.ok && verdict.claims.uid === "gina");

    client.heartbeat();
    await waitUntil(() => client.heartbeats > 0, 2_000, "heartbeat answer");

    assert.deepEqual(await client.request(QUERY_ENTRY_ROUTE, { uid: "" }), { code: 400, error: "BAD_UID", message: "uid must not be empty" });
    assert.equal(((await client.request(QUERY_ENTRY_ROUTE, {})) as { code: number }).code, 400);
    assert.equal(((await client.request(QUERY_ENTRY_ROUTE, "not an object")) as { code: number }).code, 400);
    const unknown = (await client.request("connector.entryHandler.entry", { uid: "gina" })) as { code: number };
    assert.equal(unknown.code, 404);
    assert.equal(gate.counters.unknownRoutes, 1);

    // Compressed route (the gate's dict, as Pomelo clients use it) works too.
    assert.ok(client.handshakeResponse && "dictionary" in client.handshakeResponse && client.handshakeResponse.dictionary?.codeOf(QUERY_ENTRY_ROUTE) === 1);
    assert.equal(((await client.request(QUERY_ENTRY_ROUTE, { uid: "hal" })) as { code: number }).code, 200);

    for (const discovery of connectors) await discovery.setDraining(true);
    await seen(() => watcher.members("connector").every((member) => member.draining));
    const none = (await client.request(QUERY_ENTRY_ROUTE, { uid: "gina" })) as { code: number; message: string };
    assert.equal(none.code, 500);
    assert.match(none.message, /no connector available/);
    assert.equal(gate.counters.ws, 6);
  });

  it("resume: a resume token stands in for the login, its session rides in the connect token, and the lost connector is avoided", async () => {
    await connector("connector-0", 0);
    await connector("connector-1", 5);
    const { gate, port } = await startGateServer();
    await seen(() => loadOf("connector-0") === 0 && loadOf("connector-1") === 5);
    const { token: resume } = issueResumeToken({ secret: SECRET, uid: "ursula", sessionId: "connector-0.inc.9" });

    // connector-0 is the least loaded, but the client just lost it: it gets connector-1.
    const answer = await get(port, `/entry?resume=${resume}&avoid=connector-0`);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.json.connectorId, "connector-1");
    const verdict = verifyConnectToken(answer.json.token, { secret: SECRET, connectorId: "connector-1" });
    assert.ok(verdict.ok);
    assert.equal(verdict.claims.uid, "ursula");
    assert.equal(verdict.claims.resume, "connector-0.inc.9");

    // Avoiding the only connector left still hands it out (it may have restarted under the same id).
    const fresh = await get(port, "/entry?uid=victor&avoid=connector-1");
    assert.equal(fresh.json.connectorId, "connector-0");
    const only = await get(port, "/entry?uid=victor&avoid=connector-9");
    assert.equal(only.status, 200);
    const plain = verifyConnectToken(fresh.json.token, { secret: SECRET, connectorId: "connector-0" });
    assert.ok(plain.ok && plain.claims.resume === undefined, "a login carries no resume claim");

    // Over Pomelo too.
    const client = await TestClient.ready(port);
    clients.push(client);
    const viaPomelo = (await client.request(QUERY_ENTRY_ROUTE, { resume, avoid: "connector-0" })) as Record<string, unknown>;
    assert.equal(viaPomelo.code, 200);
    assert.equal(viaPomelo.connectorId, "connector-1");

    // Refusals: a forged, foreign or connect token as resume → 401; a uid that contradicts it or a bad avoid → 400.
    const connect = String(answer.json.token);
    const foreign = issueResumeToken({ secret: randomBytes(48).toString("base64"), uid: "ursula", sessionId: "s" }).token;
    for (const bad of [connect, foreign, "garbage"]) {
      const refused = await get(port, `/entry?resume=${encodeURIComponent(bad)}`);
      assert.equal(refused.status, 401, bad);
      assert.match(String(refused.json.message), /resume token refused/);
    }
    assert.equal((await get(port, `/entry?resume=${resume}&uid=mallory`)).status, 400);
    assert.equal((await get(port, "/entry?uid=ursula&avoid=bad%20id")).status, 400);
    assert.deepEqual(await client.request(QUERY_ENTRY_ROUTE, { resume: "garbage" }), { code: 401, error: "BAD_RESUME", message: "resume token refused (MALFORMED): log in again" });
    assert.deepEqual(gate.counters.queries, { ok: 4, badUid: 0, badQuery: 2, badResume: 4, noConnector: 0, resumed: 2, unauthenticated: 0, authUnavailable: 0, rateLimited: 0 });
  });

  it("serves the demo site from memory with a strict CSP, and /readyz by readiness", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pomona-site-"));
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>demo</title>");
    writeFileSync(path.join(dir, "demo.js"), "console.log(1)");
    writeFileSync(path.join(dir, "notes.txt"), "not served");
    let ready = false;
    const gate = new GateServer({
      config: { port: 0, host: "127.0.0.1", tokenSecrets: [SECRET], auth: TRUST_UID, frontDoor: { mode: "direct" } },
      membership: watcher,
      site: loadStaticSite(dir),
      isReady: () => ready,
    });
    gates.push(gate);
    const port = await gate.listen();
    try {
      const index = await get(port, "/");
      assert.equal(index.status, 200);
      assert.equal(index.body, "<!doctype html><title>demo</title>");
      assert.equal(index.headers["content-type"], "text/html; charset=utf-8");
      assert.match(String(index.headers["content-security-policy"]), /default-src 'self'; connect-src 'self' ws: wss:/);
      assert.equal(index.headers["x-content-type-options"], "nosniff");
      assert.equal((await get(port, "/demo.js")).headers["content-type"], "text/javascript; charset=utf-8");
      for (const missing of ["/notes.txt", "/../package.json", "/%2e%2e/package.json", "/nope.js"]) assert.equal((await get(port, missing)).status, 404, missing);
      assert.equal((await get(port, "/readyz")).status, 503);
      ready = true;
      assert.equal((await get(port, "/readyz")).status, 200);
      // The site shares "/*" with the Pomelo WebSocket route: both work.
      const client = await TestClient.ready(port);
      clients.push(client);
      assert.equal(client.handshakeResponse?.code, 200);
      rmSync(dir, { recursive: true });
      assert.equal((await get(port, "/demo.js")).status, 200, "files are served from memory");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => loadStaticSite(path.join(dir, "missing")), /gate site directory .* cannot be read/);
  });

  it("garbage closes the socket; a data package before the ack is a protocol error", async () => {
    const { gate, port } = await startGateServer();
    const garbage = await TestClient.ready(port);
    clients.push(garbage);
    garbage.sendRaw(Buffer.from([9, 0, 0, 1, 0]));
    assert.equal((await garbage.waitClosed()).code, 1002);

    const text = await TestClient.ready(port);
    clients.push(text);
    text.socket.send("hello");
    assert.equal((await text.waitClosed()).code, 1003);

    const early = await TestClient.connect(port);
    clients.push(early);
    early.sendRaw(early.requestPackage(QUERY_ENTRY_ROUTE, { uid: "x" }));
    assert.equal((await early.waitClosed()).code, 1002);
    assert.match(early.kicks[0] ?? "", /before handshake/);

    const badHandshake = await TestClient.connect(port);
    clients.push(badHandshake);
    badHandshake.sendRaw(encodePackage(PackageType.Handshake, Buffer.from("{nope")));
    assert.equal((await badHandshake.waitClosed()).code, 1002);
    assert.deepEqual(badHandshake.handshakeResponse, { code: 500 });
    assert.equal(gate.counters.closes.protocolError, 3);
    assert.equal(gate.counters.closes.unsupportedData, 1);
  });

  it("closes clients that never finish the handshake or stop heartbeating", async () => {
    const { gate, port } = await startGateServer({ heartbeatSec: 1, idleTimeoutSec: 0, handshakeTimeoutMs: 300 });
    const silent = await TestClient.connect(port);
    clients.push(silent);
    assert.equal((await silent.waitClosed()).code, 4004);
    const quiet = await TestClient.ready(port);
    clients.push(quiet);
    const closed = await quiet.waitClosed(5_000);
    assert.equal(closed.code, 4002);
    assert.equal(gate.counters.closes.handshakeTimeout, 1);
    assert.equal(gate.counters.closes.heartbeatTimeout, 1);
  });

  it("with metricsPort, serves /metrics only there and not on the public port", async () => {
    const metricsPort = await freePort();
    const role = await startGate({
      gate: { gateId: "gate-8", port: 0, host: "127.0.0.1", tokenSecrets: [SECRET], auth: TRUST_UID, frontDoor: { mode: "direct" } },
      discovery: discoveryOptions(),
      advertiseHost: "127.0.0.1",
      metricsPort,
    });
    try {
      assert.equal((await get(role.port, "/metrics")).status, 404, "not on the public port");
      const scraped = await get(metricsPort, "/metrics");
      assert.equal(scraped.status, 200);
      assert.match(scraped.body, /pomona_gate_clients\{role="gate",server="gate-8"\} 0/);
    } finally {
      await role.stop();
    }
  });

  it("startGate registers the gate in discovery as type gate and deregisters on stop", async () => {
    let role: GateRole | undefined = await startGate({
      gate: { gateId: "gate-7", port: 0, host: "127.0.0.1", tokenSecrets: [SECRET], auth: TRUST_UID, frontDoor: { mode: "direct" } },
      discovery: discoveryOptions(),
      advertiseHost: "127.0.0.1",
    });
    try {
      await connector("connector-0", 0);
      await seen(() => watcher.get("gate-7") !== undefined && role!.discovery.members("connector").length === 1);
      assert.equal(watcher.get("gate-7")?.type, "gate");
      assert.equal(watcher.get("gate-7")?.port, role.port);
      const answer = await get(role.port, "/entry?uid=ivy");
      assert.equal(answer.json.host, "127.0.0.1");
      assert.equal(answer.json.port, 4000);
      assert.equal(answer.json.url, `ws://127.0.0.1:4000/?token=${String(answer.json.token)}`);
      await role.stop();
      role = undefined;
      await seen(() => watcher.get("gate-7") === undefined);
    } finally {
      await role?.stop();
    }
  });
});
