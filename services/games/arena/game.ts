/**
 * Arena: players join a room (up to ROOM_CAPACITY each), send moves, and every tick see everyone in
 * their room (broadcast `onState` {tick, room, players}) plus
 * their own last acknowledged input (`onAck`, one per-player message per tick). Uses only the
 * public game API (`@pomona/server`).
 *
 * Client routes: `arena.room.join` {name?}, `arena.room.move` {seq, x, y} or {seq, dir},
 * `arena.room.state` {} (what this server holds for the player: its record's incarnation, last
 * applied seq, position — the fault suite's loss check), `arena.room.leave` {}. Remote: `remote.arena.room.count` → {players}.
 *
 * The chat lobby (services/games/chat), over `ctx.rpc`: a join is announced there (best effort),
 * `arena.room.say` {text, chatServer?} posts to it and `arena.room.chatLog` {chatServer?} reads it,
 * each player through the same chat server while it lives (or the one named); a chat that is
 * gone, frozen or absent answers the player with the RemoteCallError's code (`CALLEE_GONE`,
 * `TIMEOUT`, `NO_SERVER`) within CHAT_TIMEOUT_MS.
 */
import { z } from "zod";
import { defineGame, GameError, RemoteCallError, type HandlerContext, type RemoteCallOptions } from "@pomona/server";
import type { chat } from "../chat/game";
import { Arena, FIELD_SIZE } from "./arena";
import { arenaProtos } from "./protos";

/** How long a player waits for the chat before an answer with the failure's code. */
export const CHAT_TIMEOUT_MS = 1000;

const ChatInput = z.object({ text: z.string().trim().min(1).max(500), chatServer: z.string().min(1).max(128).optional() }).strict();
const ChatLogInput = z.object({ chatServer: z.string().min(1).max(128).optional() }).strict();

/** The chat lobby, sticky per player unless a server is named. */
function lobby(ctx: HandlerContext<Arena>, chatServer?: string) {
  const options: RemoteCallOptions = { route: chatServer === undefined ? { session: ctx.session } : { serverId: chatServer }, timeoutMs: CHAT_TIMEOUT_MS };
  return ctx.rpc<typeof chat>("chat", options).lobby;
}

/** A chat failure as the player sees it: the RemoteCallError's code. */
function chatFailure(error: unknown): unknown {
  return error instanceof RemoteCallError ? new GameError(error.code, `the chat could not be reached (${error.code})`) : error;
}


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
          // Best effort: a join never waits for the chat, nor fails with it (counted in rpcFailures).
          lobby(ctx).post({ from: ctx.server.id, text: `${player.name} joined ${player.room}` }).catch(() => undefined);
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
      say: {
        input: ChatInput,
        async handle(ctx, input) {
          const player = ctx.state.players.get(ctx.session.id);
          if (player === undefined) throw new GameError("NOT_JOINED", "join the room before chatting");
          const posted = await lobby(ctx, input.chatServer).post({ from: player.name, text: input.text }).catch((error: unknown) => {
            throw chatFailure(error);
          });
          return { code: 200, id: posted.id, chatServer: posted.server };
        },
      },
      chatLog: {
        input: ChatLogInput,
        async handle(ctx, input) {
          const log = await lobby(ctx, input.chatServer).history({}).catch((error: unknown) => {
            throw chatFailure(error);
          });
          return { code: 200, chatServer: log.server, messages: log.messages };
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
