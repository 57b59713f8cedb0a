/**
 * The game the broadcast benchmark runs on Pomona, written with the public game API: every client
 * joins one room; each tick the room gets one state broadcast and (with --per-player) each player
 * one message of its own. Bodies start with the tick number and send time, as the load generator
 * expects (`{"k":…,"t":…}`).
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { defineGame, GameServer, type SessionRef } from "../../services/src/game";

const { values } = parseArgs({
  options: {
    redis: { type: "string" },
    namespace: { type: "string" },
    id: { type: "string", default: "bench-1" },
    port: { type: "string" },
    hz: { type: "string", default: "20" },
    players: { type: "string", default: "10" },
    "per-player": { type: "boolean", default: false },
  },
});
const statePlayers = Number(values.players);
const perPlayer = values["per-player"]!;
const now = () => Number((performance.timeOrigin + performance.now()).toFixed(3));

const bench = defineGame({
  serverType: "bench",
  tickHz: Number(values.hz),
  state: () => ({
    state: Array.from({ length: statePlayers }, (_, i) => [i, (i * 7) % 500, (i * 13) % 500]),
    sessions: new Map<string, SessionRef>(),
  }),
  pushRoutes: ["onState", "onMine"],
  handlers: {
    room: {
      join: {
        handle(ctx) {
          ctx.channel("all").add(ctx.session);
          ctx.state.sessions.set(ctx.session.id, ctx.session);
          return { code: 200 };
        },
      },
    },
  },
  onTick(ctx) {
    const room = ctx.channel("all");
    if (room.size === 0) return;
    if (perPlayer) {
      for (const session of ctx.state.sessions.values()) ctx.pushTo(session, "onMine", { k: ctx.tick, t: now(), you: session.id });
    } else {
      room.broadcast("onState", { k: ctx.tick, t: now(), p: ctx.state.state });
    }
  },
  onSessionClosed(ctx, session) {
    ctx.state.sessions.delete(session.id);
  },
});

const server = new GameServer(bench, {
  id: values.id!,
  host: "127.0.0.1",
  port: Number(values.port),
  discovery: { redis: { url: values.redis! }, namespace: values.namespace! },
});
server.start().then(
  () => process.send?.({ kind: "ready" }),
  (error: unknown) => {
    console.error("bench game failed to start:", error);
    process.exit(1);
  },
);
process.on("message", (message: { kind: string }) => {
  if (message.kind === "stats") process.send?.({ kind: "stats", stats: server.stats() });
});
process.on("disconnect", () => process.exit(0));
