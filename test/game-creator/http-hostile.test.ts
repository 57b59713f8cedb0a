/**
 * The game-creator's HTTP port against an attacker, on the real process (game-creator-main, local
 * backend, a private redis-server): the token is checked before anything is parsed, every hostile
 * path and body gets a 4xx with a reason, and the process keeps answering after each batch. Then the
 * limits: past MAX_GAMES, MAX_PLAYERS_PER_GAME and MAX_WORKERS the API answers 429 and names the key.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import fc from "fast-check";
import { FixtureProcess } from "../helpers/child-process";
import { freePort } from "../helpers/ports";
import { RedisServer } from "../helpers/redis-server";
import { creatorApi } from "./creator-client";

const MAIN = path.resolve(__dirname, "../../services/src/roles/game-creator-main.ts");
const TOKEN = randomBytes(24).toString("base64url");

interface RawAnswer {
  /** The HTTP status, or undefined when there was no answer. */
  readonly status: number | undefined;
  /** No answer and the server closed the connection (uWS's HTTP parser refused the bytes). */
  readonly closed: boolean;
  readonly text: string;
}

/** Writes `bytes` on a fresh connection (then half-closes it if `end`) and reads until the server closes it or `waitMs` passes. */
function raw(port: number, bytes: Buffer | string, waitMs = 3_000, end = false): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const done = (closed: boolean) => {
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), closed: closed && status === undefined, text });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      // One whole response (headers and a body of Content-Length bytes) is enough.
      const head = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (head >= 0 && length !== undefined && text.length >= head + 4 + Number(length)) {
        clearTimeout(timer);
        done(false);
      }
    });
    socket.once("error", () => undefined);
    socket.once("close", () => {
      clearTimeout(timer);
      done(true);
    });
    if (end) socket.end(bytes);
    else socket.write(bytes);
  });
}

const request = (method: string, target: string, headers: Record<string, string> = {}, body = ""): string =>
  `${method} ${target} HTTP/1.1\r\nHost: creator\r\nConnection: close\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")}${body === "" ? "" : `Content-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body}`;

const bearer = { Authorization: `Bearer ${TOKEN}` };
const json = { ...bearer, "Content-Type": "application/json" };
const ROUTES: Array<[string, string]> = [
  ["GET", "/games/X"],
  ["DELETE", "/games/X"],
  ["PUT", "/games/X/players/X"],
  ["DELETE", "/games/X/players/X"],
];
const MALFORMED = ["%E0%A4%A", "%", "%zz", "%C0%AF", "%ED%A0%80", "%FF", "%E0%A4"];

describe("game-creator HTTP against an attacker (the real process)", function () {
  this.timeout(180_000);
  let redis: RedisServer;
  let creator: FixtureProcess;
  let port: number;
  let api: ReturnType<typeof creatorApi>;

  before(async function () {
    redis = await RedisServer.start();
    port = await freePort();
    creator = FixtureProcess.start(MAIN, {
      REDIS_URL: redis.url,
      CREATOR_TOKEN: TOKEN,
      HOST: "127.0.0.1",
      PORT: String(port),
      BACKEND: "local",
      POMONA_NAMESPACE: "hostile",
      MAX_GAMES: "2",
      MAX_PLAYERS_PER_GAME: "2",
      MAX_WORKERS: "3",
      MAX_BODY_BYTES: String(64 * 1024),
    });
    await creator.waitFor("ready", 30_000);
    api = creatorApi(`http://127.0.0.1:${port}`, TOKEN);
  });

  after(async function () {
    await creator?.stop(10_000);
    await redis?.stop();
  });

  /** The process is alive and its API answers a real request. */
  async function stillAnswering(): Promise<void> {
    assert.equal(creator.exited, false, `the creator exited:\n${creator.recentOutput}`);
    assert.equal((await api.list()).status, 200);
  }

  it("GET /games/%E0%A4%A: 401 without a token (the path is never decoded), 400 with one; the process answers after both", async function () {
    const anonymous = await raw(port, request("GET", "/games/%E0%A4%A"));
    assert.equal(anonymous.status, 401, anonymous.text);
    assert.match(anonymous.text, /missing Authorization: Bearer <token> header/);
    const wrongToken = await raw(port, request("GET", "/games/%E0%A4%A", { Authorization: "Bearer not-the-token" }));
    assert.equal(wrongToken.status, 401, wrongToken.text);
    const authenticated = await raw(port, request("GET", "/games/%E0%A4%A", bearer));
    assert.equal(authenticated.status, 400, authenticated.text);
    assert.match(authenticated.text, /not valid percent-encoded UTF-8/);
    await stillAnswering();
  });

  it("every route with every malformed escape: 401 anonymous, 400 authenticated, and unknown routes and methods 401 anonymous", async function () {
    for (const [method, route] of ROUTES) {
      for (const escape of MALFORMED) {
        const target = route.replace("X", escape);
        const headers = method === "PUT" ? json : bearer;
        const body = method === "PUT" ? '{"code":"function turn(){}"}' : "";
        assert.equal((await raw(port, request(method, target, {}, body))).status, 401, `${method} ${target} anonymous`);
        const answer = await raw(port, request(method, target, headers, body));
        assert.equal(answer.status, 400, `${method} ${target}: ${answer.text}`);
      }
    }
    for (const [method, target] of [["PATCH", "/games"], ["OPTIONS", "/games/x"], ["GET", "/%E0%A4%A"], ["POST", "/admin"]]) {
      assert.equal((await raw(port, request(method, target))).status, 401, `${method} ${target} anonymous`);
      assert.equal((await raw(port, request(method, target, bearer))).status, 404, `${method} ${target} authenticated`);
    }
    await stillAnswering();
  });

  it("huge paths and headers: a 4xx (or for a valid request, its answer) or a refused connection, never a 5xx; the process answers after", async function () {
    const seen: string[] = [];
    for (const size of [1_000, 4_000, 16_000, 64_000, 1_000_000]) {
      for (const headers of [{}, bearer]) {
        const answer = await raw(port, request("GET", `/games/${"a".repeat(size)}`, headers));
        seen.push(`${size}:${answer.status ?? "closed"}`);
        if (answer.status !== undefined) assert.ok(answer.status >= 400 && answer.status < 500, `path of ${size} bytes: ${answer.status}`);
      }
      const header = await raw(port, request("GET", "/games", { ...bearer, "X-Filler": "b".repeat(size) }));
      seen.push(`header ${size}:${header.status ?? "closed"}`);
      if (header.status !== undefined) assert.ok(header.status < 500, `header of ${size} bytes: ${header.status}`);
    }
    console.log(`      answers by size: ${seen.join(" ")}`);
    await stillAnswering();
  });

  it("bodies: huge (declared and streamed), wrong or missing content type, not JSON, not UTF-8, deeply nested, lying lengths", async function () {
    const deepArray = "[".repeat(30_000) + "]".repeat(30_000);
    const deepObject = '{"id":'.repeat(6_000) + '"x"' + "}".repeat(6_000);
    const cases: Array<[string, string | Buffer, number]> = [
      ["declared 999,999,999 bytes", `POST /games HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{`, 413],
      ["streamed 1 MB chunked", Buffer.concat([Buffer.from(`POST /games HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`), ...Array.from({ length: 16 }, () => Buffer.from(`10000\r\n${"x".repeat(0x10000)}\r\n`))]), 413],
      ["text/plain", request("POST", "/games", { ...bearer, "Content-Type": "text/plain" }, '{"id":"a","type":"arena"}'), 415],
      ["no content type", request("POST", "/games", bearer, '{"id":"a","type":"arena"}'), 415],
      ["multipart", request("PUT", "/games/a/players/b", { ...bearer, "Content-Type": "multipart/form-data; boundary=x" }, "--x--"), 415],
      ["not JSON", request("POST", "/games", json, "{nope"), 400],
      ["empty JSON body", request("POST", "/games", json, " "), 400],
      ["JSON null", request("POST", "/games", json, "null"), 400],
      ["JSON array", request("PUT", "/games/a/players/b", json, "[1,2]"), 400],
      ["deep array", request("POST", "/games", json, deepArray), 400],
      ["deep object", request("POST", "/games", json, deepObject), 400],
      ["deep settings", request("POST", "/games", json, `{"id":"deep","type":"arena","settings":{"a":${deepArray}}}`), 400],
      ["prototype keys", request("POST", "/games", json, '{"id":"proto","type":"arena","__proto__":{"admin":true},"constructor":{"prototype":{}}}'), 400],
    ];
    for (const [what, bytes, status] of cases) {
      const answer = await raw(port, bytes);
      assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 300)}`);
      assert.match(answer.text, /"reason":"[^"]+"/, what);
    }
    // From 10 digits on, uWS's parser refuses the length and closes before any handler runs.
    for (const length of ["1000000000", "100000000000000000000"]) {
      const absurd = await raw(port, `POST /games HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`);
      assert.ok(absurd.closed, `Content-Length ${length}: ${absurd.text}`);
    }
    const notUtf8 = Buffer.concat([Buffer.from(`POST /games HTTP/1.1\r\nHost: c\r\nConnection: close\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n`), randomBytes(64)]);
    assert.equal((await raw(port, notUtf8)).status, 400, "random bytes as a JSON body");
    // A body shorter than declared: the server waits, the client gives up; nothing is created.
    const short = await raw(port, `POST /games HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":"short"`, 500);
    assert.equal(short.status, undefined, short.text);
    await stillAnswering();
    assert.deepEqual((await api.list()).body.games, [], "no game was created by any of them");
  });

  it("property: 300 random requests (random bytes, random paths with escapes, random methods and bodies) each get a 4xx or a closed connection; the process answers after", async function () {
    const statuses = new Map<string, number>();
    const pathChars = fc.constantFrom(..."abz09-_/%.~?#&=+ %E0%A4%ED%FF%00".split(""), "%E0%A4%A", "%zz", "\u00e9", "..");
    const hostile = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
      fc
        .record({
          method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "TRACE", "CONNECT", "BREW"),
          path: fc.array(pathChars, { maxLength: 200 }).map((parts) => `/games/${parts.join("")}`),
          authenticated: fc.boolean(),
          contentType: fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-16", ""),
          body: fc.oneof(fc.string({ maxLength: 500 }), fc.json({ maxDepth: 6 }), fc.constant("")),
        })
        .map(({ method, path: target, authenticated, contentType, body }) =>
          Buffer.from(request(method, target.replace(/[\r\n ]/g, "%20"), { ...(authenticated ? bearer : {}), ...(contentType ? { "Content-Type": contentType } : {}) }, body)),
        ),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (bytes) => {
        // Half-closed, so bytes that are no request are judged at once (a held connection is the next test).
        const answer = await raw(port, bytes, 2_000, true);
        const key = String(answer.status ?? (answer.closed ? "closed" : "no answer"));
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (answer.status !== undefined) assert.ok((answer.status >= 400 && answer.status < 500) || answer.status === 200, `status ${answer.status} for ${JSON.stringify(bytes.toString("latin1").slice(0, 200))}`);
        assert.equal(creator.exited, false, `exited after ${JSON.stringify(bytes.toString("latin1").slice(0, 200))}`);
      }),
      { numRuns: 300 },
    );
    console.log(`      answers: ${[...statuses].map(([status, n]) => `${status}×${n}`).join(", ")}`);
    await stillAnswering();
    // A 200 can only be an authenticated GET /games/<valid id> of a game that exists: none here.
    assert.equal(statuses.get("200") ?? 0, 0);
    assert.equal(statuses.get("no answer") ?? 0, 0, "every request was answered or refused within 2 s");
  });

  it("bytes that are no HTTP request, left open: no answer, and the connection is closed by uWS's idle timeout (measured 10.5 and 11.7 s), not held", async function () {
    const started = Date.now();
    const answer = await raw(port, "hello world\r\n\r\n", 20_000);
    assert.equal(answer.closed, true, answer.text);
    console.log(`      closed after ${Date.now() - started} ms`);
    await stillAnswering();
  });

  it("limits: 429 past MAX_GAMES, MAX_PLAYERS_PER_GAME and MAX_WORKERS, naming the key; concurrent creates never pass the last slot; new code for a player is not a new worker", async function () {
    const creates = await Promise.all(["one", "two", "three", "four", "five"].map((id) => api.create({ id, type: "grid", tickHz: 2 })));
    const statuses = creates.map((reply) => reply.status).sort();
    assert.deepEqual(statuses, [201, 201, 429, 429, 429], JSON.stringify(creates.map((reply) => reply.body)));
    const refused = creates.find((reply) => reply.status === 429)!;
    assert.equal(refused.body.error, "TOO_MANY_GAMES");
    assert.match(refused.body.reason, /at most 2 games \(MAX_GAMES\)/);
    const [first, second] = creates.filter((reply) => reply.status === 201).map((reply) => reply.body.id as string);

    const bot = "function turn(view) { return { move: 'up' }; }";
    assert.equal((await api.submit(first, "ann", bot)).status, 202);
    assert.equal((await api.submit(first, "bob", bot)).status, 202);
    const thirdPlayer = await api.submit(first, "cy", bot);
    assert.equal(thirdPlayer.status, 429);
    assert.match(thirdPlayer.body.reason, /at most 2 players \(MAX_PLAYERS_PER_GAME\)/);
    assert.equal((await api.submit(first, "ann", `${bot} // v2`)).status, 202, "new code for ann replaces her worker, no new slot");
    assert.equal((await api.submit(second, "dee", bot)).status, 202);
    const fourthWorker = await api.submit(second, "eve", bot);
    assert.equal(fourthWorker.status, 429);
    assert.equal(fourthWorker.body.error, "TOO_MANY_WORKERS");
    assert.match(fourthWorker.body.reason, /at most 3 workers in all games \(MAX_WORKERS\)/);

    // Freeing a slot lets the next one in.
    assert.equal((await api.call("DELETE", `/games/${first}/players/bob`)).status, 202);
    assert.equal((await api.submit(second, "eve", bot)).status, 202);
    assert.equal((await api.remove(first)).status, 202);
    assert.equal((await api.create({ id: "six", type: "arena", tickHz: 2 })).status, 201);
    await stillAnswering();
  });
});
