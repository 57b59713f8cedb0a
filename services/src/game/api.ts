/**
 * The game developer's API: everything a studio needs to write a game server on Pomona.
 *
 *   import type { chat } from "../chat/game";          // another game's definition, for its types
 *
 *   export const arena = defineGame({
 *     serverType: "arena",
 *     tickHz: 20,
 *     state: () => new Arena(),
 *     filters: [tooBusy({ maxLagMs: 200 }), serialPerSession(), handlerTimeout({ ms: 1000 })],
 *     handlers: {
 *       room: {
 *         join: { handle(ctx) { ctx.channel("room").add(ctx.session); return { ok: true }; } },
 *         move: { input: MoveInput, handle(ctx, input) { ctx.state.move(ctx.session.id, input); } },
 *         say: {
 *           input: SayInput,
 *           // Another server, typed from its remotes: sticky per player; resolves within 500 ms or rejects with RemoteCallError.
 *           handle: (ctx, input) => ctx.rpc<typeof chat>("chat", { route: { session: ctx.session }, timeoutMs: 500 }).lobby.post({ from: ctx.session.id, text: input.text }),
 *         },
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
import type { ServerChooser } from "../routing/choose-server";
import type { ProtosSource } from "../protocol";
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
  /**
   * Calls the remotes of another server type, typed from its definition (`typeof chat`):
   * `await ctx.rpc<typeof chat>("chat", options).room.post(input)` resolves with what the
   * remote returned, or rejects with a `RemoteCallError`.
   */
  rpc<G extends GameDefinition<any, any>>(serverType: ServerTypeOf<G>, options?: RemoteCallOptions): RemoteApi<G>;
}

/**
 * Which server of the callee's type a call goes to (default: the least loaded). The same
 * choices as client requests: a route function, sticky by session, or a named server.
 */
export type ServerRoute =
  /** That server, or `NO_SERVER` when it is not live (or of another type). */
  | { readonly serverId: string }
  /** The same server for this session while it lives (first picked by consistent hashing on the uid or session id); then another. */
  | { readonly session: SessionRef }
  /** A route function over the live, non-draining servers of the type (`consistentHash` on a room name…); `key` is its `sessionId`. */
  | { readonly choose: ServerChooser; readonly key: string };

export interface RemoteCallOptions {
  readonly route?: ServerRoute;
  /** No answer within this: `TIMEOUT`. Default: the server's `remoteTimeoutMs` (2000). */
  readonly timeoutMs?: number;
}

/** Why a `ctx.rpc` call failed; branch on `code`. */
export type RemoteCallErrorCode =
  /** No live server of the type (or the named server is not live). Nothing was sent. */
  | "NO_SERVER"
  /** The link to the chosen server dropped or could not be opened (killed, restarted): it failed now, not at the timeout. */
  | "CALLEE_GONE"
  /** No answer within the timeout (the callee is frozen, overloaded or slow); a late answer is dropped. */
  | "TIMEOUT"
  /** The remote threw or refused the input: `remoteCode` is its GameError code (`BAD_INPUT`, `UNKNOWN_ROUTE`, `INTERNAL`…). */
  | "REMOTE_ERROR"
  /** Too many calls in flight to that server: shed, not queued. */
  | "OVERLOADED";

export class RemoteCallError extends Error {
  constructor(
    readonly code: RemoteCallErrorCode,
    message: string,
    readonly serverType: string,
    readonly method: string,
    /** The server the call went to (absent for `NO_SERVER`). */
    readonly serverId?: string,
    /** With `REMOTE_ERROR`: the code the remote threw (and `message` its message). */
    readonly remoteCode?: string,
  ) {
    super(message);
    this.name = "RemoteCallError";
  }
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
  /** This route's filters, run inside the game's (see `HandlerFilter`). */
  readonly filters?: readonly HandlerFilter<S>[];
  handle(ctx: HandlerContext<S>, input: I): unknown;
}

/** What a handler did, as `after` filters see it. */
export type HandlerOutcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Runs around every client request and notify of a game (`filters` of the definition) or of one
 * route (`filters` of the handler). Filter i: `before`, then `around` wrapping everything inner
 * (later filters, input validation, the handler), then `after`. The game's filters are outer, in
 * the order listed, then the route's. A GameError thrown by `before` or `around` answers the
 * client (the handler does not run). Built in: `serialPerSession`, `handlerTimeout`, `tooBusy`.
 */
export interface HandlerFilter<S = any> {
  /** Shown in logs when the filter itself fails. */
  readonly name: string;
  before?(ctx: HandlerContext<S>): void | Promise<void>;
  /** `next()` runs what is inside; return (or throw) what the client gets. */
  around?(ctx: HandlerContext<S>, next: () => Promise<unknown>): Promise<unknown>;
  /** Sees the outcome (the handler's result, or what was thrown); cannot change it. */
  after?(ctx: HandlerContext<S>, outcome: HandlerOutcome): void;
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

declare const remoteApi: unique symbol;

/** A game as the server runs it (what `defineGame` returns); `A` types its remotes for `ctx.rpc` callers. */
export interface GameDefinition<S = unknown, A extends RemoteApiShape = RemoteApiShape> extends GameHooks<S> {
  readonly serverType: string;
  /** Ticks per second; the server config may override it. Default 20. */
  readonly tickHz?: number;
  readonly state?: () => S;
  /** Routes this game pushes, so they can be put in the route dictionary (`gameRoutes`). */
  readonly pushRoutes?: readonly string[];
  /**
   * Pomelo protobuf bodies for clients that ask for them (`sys.protoVersion` in their handshake), in
   * Pomelo's JSON proto format: `server` for responses (by request route) and pushes, `client` for
   * requests. Connectors encode and decode; the game still sees and returns plain values. docs/protocol.md.
   */
  readonly protos?: ProtosSource;
  readonly handlers: Readonly<Record<string, Readonly<Record<string, HandlerSpec<S, any>>>>>;
  readonly remotes?: Readonly<Record<string, Readonly<Record<string, RemoteSpec<S, any>>>>>;
  /** Run around every handler of the game, outermost first (see `HandlerFilter`). */
  readonly filters?: readonly HandlerFilter<S>[];
  /** Types only: what callers of this game's remotes see. */
  readonly [remoteApi]?: A;
}

type RemoteApiShape = Record<string, Record<string, (input?: any) => Promise<unknown>>>;

/** `ctx.rpc(...)`'s value: `group.method(input)` per remote of the callee, resolving with its result. */
export type RemoteApi<G> = G extends GameDefinition<any, infer A> ? A : never;

type ServerTypeOf<G> = G extends { readonly serverType: infer T } ? T : string;

/** One remote as a caller sees it: input optional when the remote declares none. */
type RemoteMethod<I, O> = unknown extends I ? (input?: unknown) => Promise<Awaited<O>> : (input: I) => Promise<Awaited<O>>;

/**
 * Declares a game. Types flow from `state` into every context, from each `input` schema into its
 * handler's `input` parameter, and from each remote's `input` and result into `ctx.rpc` callers.
 */
export function defineGame<
  S = undefined,
  H extends Record<string, Record<string, unknown>> = Record<string, never>,
  R extends Record<string, Record<string, unknown>> = Record<string, never>,
  O extends Record<string, Record<string, unknown>> = Record<string, never>,
  T extends string = string,
>(
  definition: GameHooks<S> & {
    readonly serverType: T;
    readonly tickHz?: number;
    readonly state?: () => S;
    readonly pushRoutes?: readonly string[];
    readonly filters?: readonly HandlerFilter<S>[];
    readonly protos?: ProtosSource;
    readonly handlers: { [G in keyof H]: { [M in keyof H[G]]: HandlerSpec<S, H[G][M]> } };
    // Two views of one object: the first types each remote's input, the second captures its result type.
    readonly remotes?: { [G in keyof R]: { [M in keyof R[G]]: RemoteSpec<S, R[G][M]> } } & {
      [G in keyof O]: { [M in keyof O[G]]: { handle(ctx: RemoteContext<S>, input: G extends keyof R ? (M extends keyof R[G] ? R[G][M] : never) : never): O[G][M] } };
    };
  },
): GameDefinition<S, { [G in keyof R]: { [M in keyof R[G]]: RemoteMethod<R[G][M], G extends keyof O ? (M extends keyof O[G] ? O[G][M] : unknown) : unknown> } }> & { readonly serverType: T } {
  return definition as GameDefinition<S, any> & { readonly serverType: T };
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
export function gameRoutes(game: GameDefinition<any, any>): string[] {
  const routes: string[] = [];
  for (const [group, methods] of Object.entries(game.handlers)) {
    for (const method of Object.keys(methods)) routes.push(`${game.serverType}.${group}.${method}`);
  }
  return [...routes, ...(game.pushRoutes ?? [])];
}
