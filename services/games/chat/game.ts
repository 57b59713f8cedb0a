/**
 * Chat: a lobby that other game servers post to with `ctx.rpc` and players may listen to. The
 * arena announces every player who joins and relays what they say (services/games/arena/game.ts).
 * Uses only the public game API (`services/src/game`).
 *
 * Remotes (typed for callers through `typeof chat`): `lobby.post` {from, text} → {id, server},
 * `lobby.history` {limit?} → {server, messages}. Client routes: `chat.lobby.enter` {} (listen:
 * answers the recent history, then pushes `onChat` {id, from, text}), `chat.lobby.say` {text}.
 */
import { z } from "zod";
import { defineGame } from "@pomona/server";

/** Messages kept for `history`; older ones are dropped. */
export const HISTORY_LENGTH = 100;
export const LOBBY = "lobby";

export interface ChatMessage {
  readonly id: number;
  readonly from: string;
  readonly text: string;
}

export class Lobby {
  private nextId = 1;
  readonly messages: ChatMessage[] = [];

  post(from: string, text: string): ChatMessage {
    const message = { id: this.nextId++, from, text };
    this.messages.push(message);
    if (this.messages.length > HISTORY_LENGTH) this.messages.shift();
    return message;
  }

  recent(limit: number): ChatMessage[] {
    return this.messages.slice(-limit);
  }
}

const Text = z.string().trim().min(1).max(500);
const PostInput = z.object({ from: z.string().min(1).max(64), text: Text }).strict();
const HistoryInput = z.object({ limit: z.number().int().min(1).max(HISTORY_LENGTH).optional() }).strict();

export const chat = defineGame({
  serverType: "chat",
  tickHz: 10,
  state: () => new Lobby(),
  pushRoutes: ["onChat"],

  handlers: {
    lobby: {
      enter: {
        input: z.object({}).strict(),
        handle(ctx) {
          ctx.channel(LOBBY).add(ctx.session);
          return { code: 200, server: ctx.server.id, messages: ctx.state.recent(20) };
        },
      },
      say: {
        input: z.object({ text: Text }).strict(),
        handle(ctx, input) {
          const message = ctx.state.post(ctx.session.uid ?? ctx.session.id, input.text);
          ctx.channel(LOBBY).broadcast("onChat", message);
          return { code: 200, id: message.id };
        },
      },
    },
  },

  remotes: {
    lobby: {
      post: {
        input: PostInput,
        handle(ctx, input) {
          const message = ctx.state.post(input.from, input.text);
          ctx.channel(LOBBY).broadcast("onChat", message);
          return { id: message.id, server: ctx.server.id };
        },
      },
      history: {
        input: HistoryInput,
        handle(ctx, input) {
          return { server: ctx.server.id, messages: ctx.state.recent(input.limit ?? HISTORY_LENGTH) };
        },
      },
    },
  },
});
