import assert from "node:assert/strict";
import net from "node:net";
import { GameServer } from "../../services/src/game";
import { arena } from "../../services/games/arena/game";
import { waitUntil } from "../helpers/wait";

describe("game server: HTTP probes and metrics", () => {
  it("answers /healthz and /readyz, and /metrics shows the tick moving", async () => {
    const server = new GameServer(arena, { id: "arena-http", host: "127.0.0.1", httpPort: 0, tickHz: 50 });
    assert.ok(server.http, "an HTTP server exists when httpPort is set");
    await server.start();
    const base = `http://127.0.0.1:${server.http.port}`;
    try {
      assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { ok: true, server: "arena-http" });
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const ticks = async () => Number(/^pomona_game_ticks_total\{[^}]*\} (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? "0");
      const first = await ticks();
      await waitUntil(async () => (await ticks()) > first + 5, 3_000, "ticks counted");
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.match(text, /pomona_game_tick_duration_seconds_count\{role="game",server="arena-http"\} \d+/);
      assert.match(text, /pomona_nodejs_eventloop_lag_seconds\{role="game",server="arena-http"\}/);
      assert.match(text, /pomona_game_sessions\{role="game",server="arena-http"\} 0/);
      assert.equal((await fetch(`${base}/nope`)).status, 404);
    } finally {
      await server.stop();
    }
    const port = Number(new URL(base).port);
    const refused = await new Promise<boolean>((resolve) => net.connect(port, "127.0.0.1").once("connect", () => resolve(false)).once("error", () => resolve(true)));
    assert.ok(refused, "the port is closed after stop");
  });

  it("runs no HTTP server without httpPort", () => {
    assert.equal(new GameServer(arena, { id: "arena-quiet" }).http, undefined);
  });
});
