/**
 * The game `npm run bench:broadcast` runs on Pomona, written with the public game API: every client
 * joins one room; each tick, by workload, the room gets one state broadcast (`broadcast`), each
 * player one message of its own (`per-player`), or both, the broadcast first (`mixed`). Bodies
 * start with the tick number and send time, as the load generator expects (`{"k":…,"t":…}`).
 */
import { performance } from "node:perf_hooks";
import { defineGame, type SessionRef } from "@pomona/server";

export const BENCH_WORKLOADS = ["broadcast", "per-player", "mixed"] as const;
export type BenchWorkload = (typeof BENCH_WORKLOADS)[number];

const now = () => Number((performance.timeOrigin + performance.now()).toFixed(3));

/** `statePlayers`: entries in the broadcast state, so its bytes match a small real game's. */
export function benchGame(workload: BenchWorkload, statePlayers: number, tickHz: number) {
  const broadcasts = workload !== "per-player";
  const perPlayer = workload !== "broadcast";
  return defineGame({
    serverType: "bench",
    tickHz,
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
      const k = ctx.tick;
      const t = now();
      if (broadcasts) room.broadcast("onState", { k, t, p: ctx.state.state });
      if (perPlayer) for (const session of ctx.state.sessions.values()) ctx.pushTo(session, "onMine", { k, t, you: session.id });
    },
    onSessionClosed(ctx, session) {
      ctx.state.sessions.delete(session.id);
    },
  });
}
