/**
 * The game developer's API: everything a studio needs to write a game server on Pomona.
 *
 *   export const arena = defineGame({
 *     serverType: "arena",
 *     tickHz: 20,
 *     state: () => new Arena(),
 *     handlers: {
 *       room: {
 *         join: { handle(ctx) { ctx.channel("room").add(ctx.session); return { ok: true }; } },
 *         move: { input: MoveInput, handle(ctx, input) { ctx.state.move(ctx.session.id, input); } },
 *       },
 *     },
 *     onTick(ctx) { ctx.channel("room").broadcast("onState", ctx.state.snapshot()); },
 *   });
 *
 * Bodies are JSON. Every push and broadcast — from `onTick`, a handler or a remote — joins the
 * batch of the tick in progress (or of the next tick, between ticks) and reaches the players at
 * the end of that tick, in one batch per connector. See docs/game-api.md.
 */
import type { z } from "zod";
import type { SessionSnapshot } from "../cluster/contract";
import type { ChannelMember } from "./channel";

/** What identifies a player's session; a `SessionSnapshot` is one. */
export interface SessionRef {
  readonly id: string;
  readonly connectorId: string;
  readonly uid: string | null;
}

/**
 * A player's session replaced by a newer one of the same uid: the client resumed on another
 * connector after its own died, or logged in again elsewhere. Channels already hold `to`.
 */
export interface MovedSession {
  readonly from: SessionRef;
  readonly to: SessionRef;
}

/** A session that ended, as `onSessionClosed` sees it. */
export interface ClosedSession extends SessionRef {
  readonly reason: string;
}

/** This server, as the game sees it. */
export interface GameServerInfo {
  readonly id: string;
  readonly serverType: string;
  readonly tickHz: number;
}

/** A named group of players; broadcasts reach every member at the end of the tick. */
export interface GameChannel {
  readonly name: string;
  readonly size: number;
  /** False if already a member. The connector subscribes the socket with the next batch. */
  add(session: SessionRef): boolean;
  /** False if not a member. */
  remove(session: SessionRef | string): boolean;
  has(session: SessionRef | string): boolean;
  members(): IterableIterator<ChannelMember>;
  /** `body` is JSON-encoded once, now; the package is sent once per connector that has members. */
  broadcast(route: string, body: unknown): void;
}

/** What every hook, handler and remote can use. */
export interface GameContext<S> {
  /** The game's state, made once by `state()` at start. */
  readonly state: S;
  /** The tick whose batch receives what is pushed now (the one running, or the next one between ticks). */
  readonly tick: number;
  readonly server: GameServerInfo;
  /** This game's settings (GAME_SETTINGS: the stack's `settings` or the game-creator request's). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** The channel called `name`, created empty on first use. */
  channel(name: string): GameChannel;
  /** Removes every member and forgets the channel. */
  destroyChannel(name: string): boolean;
  /** A per-player push (JSON body), sent with this tick's batch for that session's connector. */
  pushTo(session: SessionRef, route: string, body: unknown): void;
  /** Closes the session's connection with `reason` (sent to the client as the kick body). */
  kickSession(session: SessionRef, reason: string): Promise<void>;
}

/** The tick callback's context. */
export interface TickContext<S> extends GameContext<S> {
  /** Time since the previous tick started, ms (one period on time, more after a stall). */
  readonly deltaMs: number;
}

/** A client request's or notify's context: the player who sent it, and what can be done to it. */
export interface HandlerContext<S> extends GameContext<S> {
  readonly session: SessionSnapshot;
  readonly route: string;
  /** Pushes to this player with this tick's batch. */
  push(route: string, body: unknown): void;
  /** Binds a uid to this session on its connector (login done here). */
  bind(uid: string): Promise<void>;
  /** Sets session values on the connector; later requests carry them in `ctx.session.settings`. */
  setSettings(settings: Readonly<Record<string, unknown>>): Promise<void>;
  /** Closes this player's connection with `reason`. */
  kick(reason: string): Promise<void>;
}

/** A remote call's context (another server called us). */
export interface RemoteContext<S> extends GameContext<S> {
  /** The calling server's id. */
  readonly callerId: string;
}

/**
 * A client route `<serverType>.<group>.<method>`. With `input`, the decoded JSON body is checked
 * first and a mismatch answers the client with error `BAD_INPUT` and the schema's message.
 * The returned value is the response body (JSON; `undefined` answers `{}`); a notify's is ignored.
 */
export interface HandlerSpec<S, I> {
  readonly input?: z.ZodType<I>;
  handle(ctx: HandlerContext<S>, input: I): unknown;
}

/** A method other servers call as `remote.<serverType>.<group>.<method>` (see `remoteMethod`). */
export interface RemoteSpec<S, I> {
  readonly input?: z.ZodType<I>;
  handle(ctx: RemoteContext<S>, input: I): unknown;
}

export interface GameHooks<S> {
  /** Before the server accepts traffic. */
  onStart?(ctx: GameContext<S>): void | Promise<void>;
  /** Every tick, synchronously; what it pushes leaves at the end of this tick. */
  onTick?(ctx: TickContext<S>): void;
  /** A session this server has seen is gone; it has already left every channel. */
  onSessionClosed?(ctx: GameContext<S>, session: ClosedSession): void;
  /** A uid's session moved to a new one (resume, or a new login): re-key the player's state. */
  onSessionMoved?(ctx: GameContext<S>, moved: MovedSession): void;
  /** After the last tick, before the RPC server closes. */
  onStop?(ctx: GameContext<S>): void | Promise<void>;
}

/** A game as the server runs it (what `defineGame` returns). */
export interface GameDefinition<S = unknown> extends GameHooks<S> {
  readonly serverType: string;
  /** Ticks per second; the server config may override it. Default 20. */
  readonly tickHz?: number;
  readonly state?: () => S;
  /** Routes this game pushes, so they can be put in the route dictionary (`gameRoutes`). */
  readonly pushRoutes?: readonly string[];
  readonly handlers: Readonly<Record<string, Readonly<Record<string, HandlerSpec<S, any>>>>>;
  readonly remotes?: Readonly<Record<string, Readonly<Record<string, RemoteSpec<S, any>>>>>;
}

/**
 * Declares a game. Types flow from `state` into every context and from each `input` schema into
 * its handler's `input` parameter.
 */
export function defineGame<
  S = undefined,
  H extends Record<string, Record<string, unknown>> = Record<string, never>,
  R extends Record<string, Record<string, unknown>> = Record<string, never>,
>(
  definition: GameHooks<S> & {
    readonly serverType: string;
    readonly tickHz?: number;
    readonly state?: () => S;
    readonly pushRoutes?: readonly string[];
    readonly handlers: { [G in keyof H]: { [M in keyof H[G]]: HandlerSpec<S, H[G][M]> } };
    readonly remotes?: { [G in keyof R]: { [M in keyof R[G]]: RemoteSpec<S, R[G][M]> } };
  },
): GameDefinition<S> {
  return definition as GameDefinition<S>;
}

/**
 * An error meant for the client: its `code` and `message` reach the player as the error
 * response (any other error answers `INTERNAL` and is logged on the server instead).
 */
export class GameError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "GameError";
  }
}

/** The RPC method other servers call to reach remote `group.method` of `serverType`. */
export function remoteMethod(serverType: string, group: string, method: string): string {
  return `remote.${serverType}.${group}.${method}`;
}

/** Every client route of the game (handlers) plus its declared push routes, for a route dictionary. */
export function gameRoutes(game: GameDefinition<any>): string[] {
  const routes: string[] = [];
  for (const [group, methods] of Object.entries(game.handlers)) {
    for (const method of Object.keys(methods)) routes.push(`${game.serverType}.${group}.${method}`);
  }
  return [...routes, ...(game.pushRoutes ?? [])];
}
