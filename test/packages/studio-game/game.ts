/**
 * A studio's game outside the Pomona repository, written against the packed `@pomona/server` only:
 * `tiny.room.join` puts the player in a channel and answers; every tick broadcasts `onTick`, and a
 * joining player gets a per-player `onWelcome`.
 */
import { defineGame } from "@pomona/server";

export const tiny = defineGame({
  serverType: "tiny",
  tickHz: 20,
  state: () => ({ joined: 0 }),
  handlers: {
    room: {
      join: {
        handle(ctx) {
          ctx.state.joined++;
          ctx.channel("room").add(ctx.session);
          ctx.pushTo(ctx.session, "onWelcome", { joined: ctx.state.joined });
          return { ok: true, server: ctx.server.id };
        },
      },
    },
  },
  onTick(ctx) {
    ctx.channel("room").broadcast("onTick", { tick: ctx.tick, joined: ctx.state.joined });
  },
});

type TickHz = Parameters<typeof defineGame>[0]["tickHz"];
// @ts-expect-error tickHz is a number: the package's declarations carry real types, not `any`.
export const notATickRate: TickHz = "fast";
