/** The viewer WebSocket of a game server (`/game-<id>` on its HTTP port), in this process, and the nginx include of viewer routes. */
import assert from "node:assert/strict";
import WebSocket from "ws";
import { defineGame, GameServer } from "../../services/src/game";
import { renderGameRoutes } from "../../services/src/proxy";
import { renderNginxConfig } from "../../services/src/proxy";
import { waitUntil } from "../helpers/wait";

const watched = defineGame({
  serverType: "watched",
  tickHz: 50,
  state: () => ({ n: 0 }),
  handlers: {},
  onTick(ctx) {
    ctx.state.n++;
    // Nobody is in these channels: viewers see the broadcasts all the same.
    ctx.channel("world").broadcast("onWorld", { n: ctx.state.n, text: 'quotes " and \\ survive' });
    if (ctx.tick % 2 === 0) ctx.channel("even").broadcast("onEven", { tick: ctx.tick });
  },
});

describe("viewer stream of a game server", function () {
  this.timeout(20_000);
  let server: GameServer<{ n: number }>;
  let url: string;

  before(async function () {
    server = new GameServer(watched, { id: "watched-1", httpPort: 0, gameId: "w1", maxViewers: 2 });
    await server.start();
    url = `ws://127.0.0.1:${server.http!.port}/game-w1`;
  });
  after(async () => server?.stop());

  const open = (target = url) =>
    new Promise<{ socket: WebSocket; frames: any[] }>((resolve, reject) => {
      const socket = new WebSocket(target);
      const frames: any[] = [];
      socket.on("message", (data) => frames.push(JSON.parse(data.toString())));
      socket.once("open", () => resolve({ socket, frames }));
      socket.once("unexpected-response", (_req, res) => reject(new Error(String(res.statusCode))));
      socket.once("error", reject);
    });

  it("sends every viewer one message per tick with that tick's broadcasts, also of channels without players", async function () {
    const a = await open();
    const b = await open();
    await waitUntil(() => a.frames.length >= 6 && b.frames.length >= 6, 5_000, "6 frames each");
    const frame = a.frames.find((f) => f.tick % 2 === 0)!;
    assert.equal(frame.server, "watched-1");
    // One replica, no discovery: the view is its own part.
    assert.deepEqual(frame.replicas.map((r: { server: string; tick: number }) => [r.server, r.tick]), [["watched-1", frame.tick]]);
    assert.ok(frame.broadcasts.every((x: { server: string }) => x.server === "watched-1"));
    assert.deepEqual(frame.broadcasts.map((x: { channel: string; route: string }) => `${x.channel}/${x.route}`), ["world/onWorld", "even/onEven"]);
    assert.equal(frame.broadcasts[0].body.text, 'quotes " and \\ survive');
    const ticks = a.frames.map((f) => f.tick);
    assert.ok(ticks.every((t, i) => i === 0 || t === ticks[i - 1] + 1), "consecutive ticks");
    // Read-only: what a viewer sends changes nothing.
    a.socket.send("hello?");
    assert.equal(server.viewers!.counters.viewers, 2);
    a.socket.close();
    b.socket.close();
    await waitUntil(() => server.viewers!.counters.viewers === 0, 2_000, "viewers gone");
  });

  it("refuses viewers beyond maxViewers (503), answers a plain GET with the game and tick, and has no other paths", async function () {
    const a = await open();
    const b = await open();
    await assert.rejects(open(), /503/);
    const info = (await (await fetch(`http://127.0.0.1:${server.http!.port}/game-w1`)).json()) as { game: string; server: string; viewers: number; tick: number };
    assert.deepEqual([info.game, info.server, info.viewers], ["w1", "watched-1", 2]);
    assert.ok(info.tick > 0);
    assert.equal((await fetch(`http://127.0.0.1:${server.http!.port}/game-other`)).status, 404);
    a.socket.close();
    b.socket.close();
  });
});

describe("nginx viewer routes (renderGameRoutes)", function () {
  it("one exact location per game, sorted, proxied with the WebSocket upgrade", function () {
    const text = renderGameRoutes({ routes: [{ id: "b", host: "127.0.0.1", port: 4002 }, { id: "a", host: "127.0.0.1", port: 4001 }] });
    assert.deepEqual(text.match(/location = \/game-[a-z]+ /g), ["location = /game-a ", "location = /game-b "]);
    assert.match(text, /location = \/game-a \{\n    proxy_pass http:\/\/127\.0\.0\.1:4001;\n    proxy_http_version 1\.1;\n    proxy_set_header Upgrade \$http_upgrade;/);
    assert.equal(renderGameRoutes({ routes: [] }).includes("location"), false);
  });

  it("refuses a duplicate game, an id that is not a label, and a host that is not an address (no directive can be smuggled in)", function () {
    assert.throws(() => renderGameRoutes({ routes: [{ id: "a", host: "127.0.0.1", port: 1 }, { id: "a", host: "127.0.0.1", port: 2 }] }), /listed twice/);
    assert.throws(() => renderGameRoutes({ routes: [{ id: "a; include /etc", host: "127.0.0.1", port: 1 }] }), /DNS-1123 label/);
    assert.throws(() => renderGameRoutes({ routes: [{ id: "a", host: "evil.example.com", port: 1 }] }), /IPv4 address/);
  });

  it("nginx.conf includes the routes file only when asked (the cluster ConfigMap's bytes are unchanged)", function () {
    const base = { mode: "local" as const, domain: "localhost", connectors: 1, connectorPorts: [3010], listenPort: 8080 };
    assert.doesNotMatch(renderNginxConfig(base), /include/);
    assert.match(renderNginxConfig({ ...base, gameRoutesInclude: "games.conf" }), /\n        include games\.conf;\n[\s\S]*location = \/healthz/);
  });
});
