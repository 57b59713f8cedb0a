/**
 * One game running on one server, without the network: the route table, input validation,
 * the contexts handed to game code, the sessions seen, the channels and the tick's batch.
 * The GameServer feeds it forwarded requests and ticks and ships the batches it returns.
 */
import { log } from "../logging";
import {
  ConnectorMethod,
  type BindRequest,
  type ForwardedRequest,
  type ForwardedResponse,
  type KickRequest,
  type SessionClosed,
  type SessionSettingsRequest,
  type SessionSnapshot,
  type TickBatch,
} from "../cluster/contract";
import { jsonBodyCodec, type RouteDictionary } from "../protocol";
import type { GameSettings } from "../cluster-model";
import type {
  ClosedSession,
  GameChannel,
  GameContext,
  GameDefinition,
  GameServerInfo,
  HandlerContext,
  HandlerFilter,
  HandlerSpec,
  RemoteApi,
  RemoteCallOptions,
  RemoteContext,
  RemoteSpec,
  SessionRef,
  TickContext,
} from "./api";
import { GameError, RemoteCallError } from "./api";
import { BatchBuilder } from "./batch-builder";
import { ChannelRegistry, type Channel, type ChannelMember } from "./channel";
import { runFiltered } from "./filters/chain";

/** How the runtime reaches a connector (the GameServer answers over the RPC link the connector opened). */
export interface ConnectorCalls {
  call(connectorId: string, method: string, payload: unknown): Promise<unknown>;
}

/** How the runtime calls other servers' remotes (the GameServer's RemoteCaller); rejects with RemoteCallError. */
export interface RemoteCalls {
  call(serverType: string, group: string, method: string, input: unknown, options?: RemoteCallOptions): Promise<unknown>;
  sessionClosed(sessionId: string): void;
}

export interface RuntimeCounters {
  requests: number;
  notifies: number;
  remoteCalls: number;
  /** Requests refused by an input schema or with a body that is not JSON. */
  badInput: number;
  unknownRoutes: number;
  /** Handlers and remotes that threw something other than a GameError. */
  handlerErrors: number;
  /** `onTick` throws (the tick's batch is still sent). */
  tickErrors: number;
  broadcasts: number;
  directMessages: number;
  /** Sessions replaced by a newer session of their uid (resume, new login). */
  sessionsMoved: number;
  /** Sessions closed because their connector left the cluster and they did not resume in time. */
  sessionsOrphaned: number;
}

export interface GameRuntimeOptions {
  readonly serverId: string;
  readonly tickHz: number;
  readonly dictionary?: RouteDictionary;
  readonly connectors: ConnectorCalls;
  /** Other servers' remotes (`ctx.rpc`); absent without discovery, and every call fails `NO_SERVER`. */
  readonly remotes?: RemoteCalls;
  /** How long the sessions of a connector that left the cluster wait for their clients to resume elsewhere. */
  readonly resumeGraceMs?: number;
  /** GAME_SETTINGS, validated: what `ctx.settings` returns (default none). */
  readonly settings?: GameSettings;
  /** Told every channel broadcast as it is made, with its JSON body text (the viewer stream). */
  readonly onBroadcast?: (channel: string, route: string, body: string) => void;
}

export const DEFAULT_RESUME_GRACE_MS = 30_000;
const NO_SETTINGS: GameSettings = Object.freeze({});

const MAX_CLIENT_MESSAGE_CHARS = 400;

export class GameRuntime<S> {
  readonly counters: RuntimeCounters = {
    requests: 0,
    notifies: 0,
    remoteCalls: 0,
    badInput: 0,
    unknownRoutes: 0,
    handlerErrors: 0,
    tickErrors: 0,
    broadcasts: 0,
    directMessages: 0,
    sessionsMoved: 0,
    sessionsOrphaned: 0,
  };
  readonly state: S;
  readonly server: GameServerInfo;
  readonly builder: BatchBuilder;
  readonly channels: ChannelRegistry;
  /** Number of the tick whose batch receives pushes made now. */
  tick = 1;
  private readonly sessions = new Map<string, SessionSnapshot>();
  /** uid → the id of its newest session here: a newer session of the uid takes the older one's place. */
  private readonly sessionOfUid = new Map<string, string>();
  /** Sessions of connectors that left the cluster → when they are closed unless they resumed. */
  private readonly orphanDeadlines = new Map<string, number>();
  /** Sessions orphaned because their connector left, by connector: cancelled if it comes back. */
  private readonly orphanedWithConnector = new Map<string, Set<string>>();
  private readonly handlers = new Map<string, { readonly spec: HandlerSpec<S, unknown>; readonly filters: readonly HandlerFilter<S>[] }>();
  private readonly remotes = new Map<string, RemoteSpec<S, unknown>>();
  private readonly gameChannels = new Map<string, JsonChannel>();
  private readonly context: GameContext<S>;

  constructor(
    readonly game: GameDefinition<S>,
    readonly options: GameRuntimeOptions,
  ) {
    this.server = { id: options.serverId, serverType: game.serverType, tickHz: options.tickHz };
    this.builder = new BatchBuilder(options.serverId, options.dictionary);
    this.channels = new ChannelRegistry(options.serverId, this.builder);
    this.state = game.state ? game.state() : (undefined as S);
    for (const [group, methods] of Object.entries(game.handlers)) {
      for (const [method, spec] of Object.entries(methods)) {
        this.handlers.set(`${game.serverType}.${assertName(group)}.${assertName(method)}`, { spec, filters: [...(game.filters ?? []), ...(spec.filters ?? [])] });
      }
    }
    for (const [group, methods] of Object.entries(game.remotes ?? {})) {
      for (const [method, spec] of Object.entries(methods)) this.remotes.set(`remote.${game.serverType}.${assertName(group)}.${assertName(method)}`, spec);
    }
    this.context = new BaseContext(this);
  }

  /** Sessions seen and not closed: the server's load. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Every session seen and not closed. */
  allSessions(): SessionSnapshot[] {
    return [...this.sessions.values()];
  }

  session(sessionId: string): SessionSnapshot | undefined {
    return this.sessions.get(sessionId);
  }

  routes(): string[] {
    return [...this.handlers.keys()];
  }

  remoteMethods(): string[] {
    return [...this.remotes.keys()];
  }

  async start(): Promise<void> {
    await this.game.onStart?.(this.context);
  }

  async stop(): Promise<void> {
    await this.game.onStop?.(this.context);
  }

  /** A client request: rejects with a GameError whose code and message are meant for the client. */
  async request(request: ForwardedRequest): Promise<ForwardedResponse> {
    this.counters.requests++;
    const result = await this.dispatch(request);
    let body: string;
    try {
      body = jsonBodyCodec.encode(request.route, result === undefined ? {} : result) as string;
    } catch (error) {
      throw this.clientError(request.route, error);
    }
    return { body: Buffer.from(body) };
  }

  /** A client notify: nothing is answered; failures are counted (and logged when unexpected). */
  async notify(request: ForwardedRequest): Promise<void> {
    this.counters.notifies++;
    try {
      await this.dispatch(request);
    } catch {
      // Already counted (and logged if unexpected) by dispatch.
    }
  }

  /** Another server called remote `method`. */
  async remote(method: string, payload: unknown, callerId: string): Promise<unknown> {
    this.counters.remoteCalls++;
    const spec = this.remotes.get(method);
    if (spec === undefined) throw new GameError("UNKNOWN_ROUTE", `no remote ${method}`);
    const input = this.validate(spec, method, payload);
    try {
      return await spec.handle(new RemoteCallContext(this, callerId), input);
    } catch (error) {
      throw this.clientError(method, error);
    }
  }

  /** A uid's session resumed on another connector and is bound here again. */
  sessionResumed(session: SessionSnapshot): void {
    this.track(session);
  }

  /**
   * A connector left the cluster: its sessions wait `resumeGraceMs` for their clients to resume on
   * another connector (moving them), and are closed by `closeOrphans` after that.
   */
  connectorGone(connectorId: string, nowMs = Date.now()): void {
    const deadline = nowMs + (this.options.resumeGraceMs ?? DEFAULT_RESUME_GRACE_MS);
    const orphaned = this.orphanedWithConnector.get(connectorId) ?? new Set<string>();
    for (const session of this.sessions.values()) {
      if (session.connectorId !== connectorId || this.orphanDeadlines.has(session.id)) continue;
      this.orphanDeadlines.set(session.id, deadline);
      orphaned.add(session.id);
    }
    if (orphaned.size > 0) this.orphanedWithConnector.set(connectorId, orphaned);
  }

  /**
   * A connector that had left is listed again (it was starved past its lease, not dead): its
   * sockets never closed, so the sessions orphaned with it are its players again.
   */
  connectorBack(connectorId: string): void {
    for (const sessionId of this.orphanedWithConnector.get(connectorId) ?? []) this.orphanDeadlines.delete(sessionId);
    this.orphanedWithConnector.delete(connectorId);
  }

  /** Closes orphaned sessions past their deadline; returns how many. */
  closeOrphans(nowMs = Date.now()): number {
    let closed = 0;
    for (const [sessionId, deadline] of this.orphanDeadlines) {
      if (deadline > nowMs) continue;
      this.orphanDeadlines.delete(sessionId);
      const session = this.sessions.get(sessionId);
      if (session === undefined) continue;
      this.counters.sessionsOrphaned++;
      closed++;
      this.sessionClosed({ sessionId, uid: session.uid, reason: `connector ${session.connectorId} left and the player did not resume` });
    }
    return closed;
  }

  sessionClosed(closed: SessionClosed, nowMs = Date.now()): void {
    if (closed.resumable === true) {
      // The player may come back through another socket (its resume moves the session); closeOrphans drops a no-show.
      if (this.sessions.has(closed.sessionId) && !this.orphanDeadlines.has(closed.sessionId)) this.orphanDeadlines.set(closed.sessionId, nowMs + (this.options.resumeGraceMs ?? DEFAULT_RESUME_GRACE_MS));
      return;
    }
    this.channels.forgetSession(closed.sessionId);
    this.orphanDeadlines.delete(closed.sessionId);
    this.options.remotes?.sessionClosed(closed.sessionId);
    const known = this.sessions.get(closed.sessionId);
    if (known === undefined) return;
    this.sessions.delete(closed.sessionId);
    if (known.uid !== null && this.sessionOfUid.get(known.uid) === known.id) this.sessionOfUid.delete(known.uid);
    const session: ClosedSession = { id: known.id, connectorId: known.connectorId, uid: closed.uid ?? known.uid, reason: closed.reason };
    try {
      this.game.onSessionClosed?.(this.context, session);
    } catch (error) {
      this.counters.handlerErrors++;
      log.error({ err: error, sessionId: session.id }, "onSessionClosed threw");
    }
  }

  /** Runs the game's tick and returns its batches, one per connector with anything. */
  runTick(tick: number, deltaMs: number): Map<string, TickBatch> {
    this.tick = tick;
    if (this.game.onTick !== undefined) {
      try {
        this.game.onTick(new TickCallContext(this, deltaMs));
      } catch (error) {
        const count = ++this.counters.tickErrors;
        // A bug that throws every tick must not flood the log at 20 Hz.
        if (count <= 3 || count % 1000 === 0) log.error({ err: error, tick, throwsSoFar: count }, "onTick threw");
      }
    }
    const batches = this.builder.build(tick);
    this.tick = tick + 1;
    return batches;
  }

  gameChannel(name: string): GameChannel {
    let channel = this.gameChannels.get(name);
    if (channel === undefined) {
      channel = new JsonChannel(this.channels.channel(name), this.counters, this.options.onBroadcast);
      this.gameChannels.set(name, channel);
    }
    return channel;
  }

  destroyChannel(name: string): boolean {
    this.gameChannels.delete(name);
    return this.channels.destroy(name);
  }

  pushTo(session: SessionRef, route: string, body: unknown): void {
    this.builder.push(session.connectorId, session.id, route, jsonBodyCodec.encode(route, body));
    this.counters.directMessages++;
  }

  async kickSession(session: SessionRef, reason: string): Promise<void> {
    await this.options.connectors.call(session.connectorId, ConnectorMethod.kick, { sessionId: session.id, reason } satisfies KickRequest);
  }

  async bind(session: SessionRef, uid: string): Promise<void> {
    await this.options.connectors.call(session.connectorId, ConnectorMethod.bind, { sessionId: session.id, uid } satisfies BindRequest);
    const known = this.sessions.get(session.id);
    if (known !== undefined) this.track({ ...known, uid });
  }

  async setSettings(session: SessionRef, settings: Readonly<Record<string, unknown>>): Promise<void> {
    await this.options.connectors.call(session.connectorId, ConnectorMethod.setSettings, { sessionId: session.id, settings } satisfies SessionSettingsRequest);
    const known = this.sessions.get(session.id);
    if (known !== undefined) this.sessions.set(session.id, { ...known, settings: { ...known.settings, ...settings } });
  }

  /** A remote of another server type, as `ctx.rpc(serverType, options)` returns it: `group.method(input)`. */
  remoteApi(serverType: string, options: RemoteCallOptions | undefined): unknown {
    const call = (group: string, method: string, input: unknown): Promise<unknown> =>
      this.options.remotes === undefined
        ? Promise.reject(new RemoteCallError("NO_SERVER", "this server runs without discovery: it knows no other server", serverType, `${serverType}.${group}.${method}`))
        : this.options.remotes.call(serverType, group, method, input, options);
    // Not thenable, so an accidental `await ctx.rpc(...)` does not call a remote named `then`.
    const member = <T>(make: (name: string) => T) => new Proxy({}, { get: (_, name) => (typeof name === "string" && name !== "then" ? make(name) : undefined) });
    return member((group) => member((method) => (input?: unknown) => call(group, method, input)));
  }

  /** Filters (game's, then the route's) around decoding, validation and the handler. */
  private async dispatch(request: ForwardedRequest): Promise<unknown> {
    const { route, session } = request;
    const handler = this.handlers.get(route);
    if (handler === undefined) {
      this.counters.unknownRoutes++;
      throw new GameError("UNKNOWN_ROUTE", `no handler for route ${route.slice(0, 255)}`);
    }
    this.track(session);
    const ctx = new RequestContext(this, session, route);
    try {
      return await runFiltered(handler.filters, ctx, () => {
        let decoded: unknown;
        try {
          decoded = jsonBodyCodec.decode(route, request.body);
        } catch {
          this.counters.badInput++;
          throw new GameError("BAD_INPUT", `the body of ${route} is not JSON`);
        }
        return Promise.resolve(handler.spec.handle(ctx, this.validate(handler.spec, route, decoded)));
      });
    } catch (error) {
      throw this.clientError(route, error);
    }
  }

  /**
   * Remembers the newest snapshot of a session. A session with a uid whose older session is still
   * here takes its place (channels, the game's state via onSessionMoved): one player, one session.
   */
  private track(session: SessionSnapshot): void {
    const known = this.sessions.get(session.id);
    this.sessions.set(session.id, session);
    if (session.uid === null || known?.uid === session.uid) return;
    const previousId = this.sessionOfUid.get(session.uid);
    this.sessionOfUid.set(session.uid, session.id);
    if (previousId === undefined || previousId === session.id) return;
    const previous = this.sessions.get(previousId);
    if (previous === undefined) return;
    this.sessions.delete(previousId);
    this.orphanDeadlines.delete(previousId);
    this.channels.moveSession(previousId, { uid: session.uid, sessionId: session.id, connectorId: session.connectorId });
    this.counters.sessionsMoved++;
    try {
      this.game.onSessionMoved?.(this.context, { from: previous, to: session });
    } catch (error) {
      this.counters.handlerErrors++;
      log.error({ err: error, from: previousId, sessionId: session.id }, "onSessionMoved threw");
    }
  }

  private validate(spec: HandlerSpec<S, unknown> | RemoteSpec<S, unknown>, route: string, value: unknown): unknown {
    if (spec.input === undefined) return value;
    const result = spec.input.safeParse(value);
    if (result.success) return result.data;
    this.counters.badInput++;
    const detail = describeIssues(result.error.issues, []).join("; ");
    throw new GameError("BAD_INPUT", `invalid input for ${route}: ${detail}`.slice(0, MAX_CLIENT_MESSAGE_CHARS));
  }

  /** What the client may see: a GameError as is; anything else is logged and answered as INTERNAL. */
  private clientError(route: string, error: unknown): GameError {
    if (error instanceof GameError) return error;
    this.counters.handlerErrors++;
    log.error({ err: error, route }, "handler failed");
    return new GameError("INTERNAL", `${route} failed`);
  }
}

interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  /** zod's invalid_union: the issues of each alternative. */
  readonly errors?: readonly (readonly SchemaIssue[])[];
}

/** "path: message" per issue; for a union, the issues of the alternative that came closest. */
function describeIssues(issues: readonly SchemaIssue[], prefix: readonly PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors !== undefined && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, candidate) => (candidate.length < best.length ? candidate : best));
      if (closest.length > 0) return describeIssues(closest, path);
    }
    return [path.length > 0 ? `${path.map(String).join(".")}: ${issue.message}` : issue.message];
  });
}

function assertName(name: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`handler and remote names must be identifiers (no dots): "${name}"`);
  return name;
}

class JsonChannel implements GameChannel {
  constructor(
    private readonly channel: Channel,
    private readonly counters: RuntimeCounters,
    private readonly onBroadcast?: (channel: string, route: string, body: string) => void,
  ) {}

  get name(): string {
    return this.channel.name;
  }

  get size(): number {
    return this.channel.size;
  }

  add(session: SessionRef): boolean {
    return this.channel.add({ uid: session.uid, sessionId: session.id, connectorId: session.connectorId });
  }

  remove(session: SessionRef | string): boolean {
    return this.channel.remove(typeof session === "string" ? session : session.id);
  }

  has(session: SessionRef | string): boolean {
    return this.channel.has(typeof session === "string" ? session : session.id);
  }

  members(): IterableIterator<ChannelMember> {
    return this.channel.members();
  }

  broadcast(route: string, body: unknown): void {
    const encoded = jsonBodyCodec.encode(route, body);
    this.channel.broadcast(route, encoded);
    this.counters.broadcasts++;
    if (this.onBroadcast !== undefined && typeof encoded === "string") this.onBroadcast(this.channel.name, route, encoded);
  }
}

class BaseContext<S> implements GameContext<S> {
  constructor(protected readonly runtime: GameRuntime<S>) {}

  get state(): S {
    return this.runtime.state;
  }

  get tick(): number {
    return this.runtime.tick;
  }

  get server(): GameServerInfo {
    return this.runtime.server;
  }

  get settings(): GameSettings {
    return this.runtime.options.settings ?? NO_SETTINGS;
  }

  channel(name: string): GameChannel {
    return this.runtime.gameChannel(name);
  }

  destroyChannel(name: string): boolean {
    return this.runtime.destroyChannel(name);
  }

  pushTo(session: SessionRef, route: string, body: unknown): void {
    this.runtime.pushTo(session, route, body);
  }

  kickSession(session: SessionRef, reason: string): Promise<void> {
    return this.runtime.kickSession(session, reason);
  }

  rpc<G extends GameDefinition<any, any>>(serverType: string, options?: RemoteCallOptions): RemoteApi<G> {
    return this.runtime.remoteApi(serverType, options) as RemoteApi<G>;
  }
}

class TickCallContext<S> extends BaseContext<S> implements TickContext<S> {
  constructor(
    runtime: GameRuntime<S>,
    readonly deltaMs: number,
  ) {
    super(runtime);
  }
}

class RemoteCallContext<S> extends BaseContext<S> implements RemoteContext<S> {
  constructor(
    runtime: GameRuntime<S>,
    readonly callerId: string,
  ) {
    super(runtime);
  }
}

class RequestContext<S> extends BaseContext<S> implements HandlerContext<S> {
  constructor(
    runtime: GameRuntime<S>,
    readonly session: SessionSnapshot,
    readonly route: string,
  ) {
    super(runtime);
  }

  push(route: string, body: unknown): void {
    this.runtime.pushTo(this.session, route, body);
  }

  bind(uid: string): Promise<void> {
    return this.runtime.bind(this.session, uid);
  }

  setSettings(settings: Readonly<Record<string, unknown>>): Promise<void> {
    return this.runtime.setSettings(this.session, settings);
  }

  kick(reason: string): Promise<void> {
    return this.runtime.kickSession(this.session, reason);
  }
}
