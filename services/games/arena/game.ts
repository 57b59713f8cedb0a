/**
 * Arena: players join a room (up to ROOM_CAPACITY each), send moves, and every tick see everyone in
 * their room (broadcast `onState` {tick, room, players}) plus
 * their own last acknowledged input (`onAck`, one per-player message per tick). Uses only the
 * public game API (`services/src/game`).
 *
 * Client routes: `arena.room.join` {name?}, `arena.room.move` {seq, x, y} or {seq, dir},
 * `arena.room.state` {} (what this server holds for the player: its record's incarnation, last
 * applied seq, position — the fault suite's loss check), `arena.room.leave` {}. Remote: `remote.arena.room.count` → {players}.
 */
import { z } from "zod";
import { defineGame, GameError } from "../../src/game";
import { Arena, FIELD_SIZE } from "./arena";
import { arenaProtos } from "./protos";


/**
 * `uid` logs the player in (one live session per uid across the cluster). The arena trusts it because
 * it is a demo; a real game binds the uid from a verified login token instead.
 */
const JoinInput = z.object({ name: z.string().trim().min(1).max(32).optional(), uid: z.string().min(1).max(64).optional() }).strict();

const MoveInput = z.union([
  z.object({ seq: z.number().int().min(1), x: z.number().min(0).max(FIELD_SIZE), y: z.number().min(0).max(FIELD_SIZE) }).strict(),
  z.object({ seq: z.number().int().min(1), dir: z.enum(["up", "down", "left", "right"]) }).strict(),
]);

export const arena = defineGame({
  serverType: "arena",
  tickHz: 20,
  state: () => new Arena(),
  pushRoutes: ["onState", "onAck"],
  protos: arenaProtos,

  handlers: {
    room: {
      join: {
        input: JoinInput,
        async handle(ctx, input) {
          if (input.uid !== undefined && ctx.session.uid === null) await ctx.bind(input.uid);
          const player = ctx.state.join(ctx.session, input.name ?? ctx.session.uid ?? `player-${ctx.state.players.size + 1}`);
          ctx.channel(player.room).add(ctx.session);
          return { code: 200, id: ctx.session.id, server: ctx.server.id, record: player.record, seq: player.seq, room: player.room, x: player.x, y: player.y, tick: ctx.tick, players: ctx.state.rooms.get(player.room)!.size };
        },
      },
      move: {
        input: MoveInput,
        handle(ctx, input) {
          const player = ctx.state.players.get(ctx.session.id);
          if (player === undefined) throw new GameError("NOT_JOINED", "join the room before moving");
          ctx.state.move(player, input.seq, "dir" in input ? { dir: input.dir } : { x: input.x, y: input.y });
          return { code: 200, seq: player.seq, server: ctx.server.id, record: player.record };
        },
      },
      state: {
        input: z.object({}).strict(),
        handle(ctx) {
          const player = ctx.state.players.get(ctx.session.id);
          if (player === undefined) throw new GameError("NOT_JOINED", "this server holds no player for the session");
          return { code: 200, server: ctx.server.id, record: player.record, seq: player.seq, x: player.x, y: player.y };
        },
      },
      leave: {
        handle(ctx) {
          const player = ctx.state.leave(ctx.session.id);
          if (player !== undefined) ctx.channel(player.room).remove(ctx.session);
          return { code: 200, left: player !== undefined };
        },
      },
    },
  },

  remotes: {
    room: {
      count: {
        handle(ctx) {
          return { players: ctx.state.players.size };
        },
      },
    },
  },

  onTick(ctx) {
    for (const [room, members] of ctx.state.rooms) {
      if (members.size > 0) ctx.channel(room).broadcast("onState", { tick: ctx.tick, room, players: ctx.state.snapshot(room) });
    }
    for (const player of ctx.state.players.values()) ctx.pushTo(player.session, "onAck", { tick: ctx.tick, seq: player.seq });
  },

  onSessionClosed(ctx, session) {
    ctx.state.leave(session.id);
  },

  // Resumed on another connector: same player, same position and input sequence, new session.
  onSessionMoved(ctx, { from, to }) {
    ctx.state.rekey(from.id, to);
  },
});
