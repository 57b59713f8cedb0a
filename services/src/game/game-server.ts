/**
 * The game server role: answers connectors over RPC (forwarded requests, notifies, closed
 * sessions) and other servers (remotes), runs the tick, and at the end of every tick sends each
 * connector its one TickBatch over the link that connector opened. Registers in discovery with
 * load = sessions it serves.
 *
 *   const server = new GameServer(arena, { id: "arena-1", host: podIp, port: 4100, discovery: { redis: { url } } });
 *   await server.start();
 *   …
 *   await server.stop();   // deregisters, stops the tick, closes the links
 */
import { log } from "../logging";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { BackendMethod, ConnectorMethod, type ForwardedRequest, type SessionClosed, type SessionSnapshot, type TickBatch } from "../cluster/contract";
import { ServiceDiscovery } from "../discovery";
import { BindingStore } from "../session/binding-store";
import { RouteDictionary } from "../protocol";
import { RpcServer, type RpcLink } from "../rpc";
import { GameError, RemoteCallError, type GameDefinition, type RemoteCallOptions } from "./api";
import { parseGameServerConfig, type GameServerConfig, type GameServerConfigInput } from "./config";
import { createMetricsRegistry } from "../metrics";
import type { Registry } from "prom-client";
import { GameHttpServer } from "./http-server";
import { ViewerStream } from "./viewer-stream";
import { ViewerRelay } from "./viewer-relay";
import { registerGameMetrics, type GameTickMetrics } from "./metrics";
import { RemoteCaller } from "./remote-calls";
import { GameRuntime, type RuntimeCounters } from "./runtime";
import { TickBacklog } from "./tick-backlog";
import { UnsentMembership } from "./unsent-membership";
import { TickLoop, type TickLoopStats } from "./tick-loop";

export const DEFAULT_TICK_HZ = 20;

/** A plain snapshot of every counter, ready for a metrics exporter. */
export interface GameServerStats extends RuntimeCounters, TickLoopStats {
  readonly tick: number;
  readonly sessions: number;
  /** Batches handed to each connector's link. */
  readonly batchesSent: Readonly<Record<string, number>>;
  /** Batches dropped per connector: no open link (its clients are gone or moving), `maxQueuedTicks` batches still waiting in its link, or the link refused (backpressure). */
  readonly batchesDropped: Readonly<Record<string, number>>;
  /** Bytes queued on the link of each connector sent tick batches, not yet taken by the kernel (batches and everything else). */
  readonly linkQueuedBytes: Readonly<Record<string, number>>;
  /** `ctx.rpc` calls made, and those that failed by RemoteCallError code. */
  readonly rpcCalls: number;
  readonly rpcFailures: Readonly<Record<string, number>>;
}

export class GameServer<S = unknown> {
  readonly config: GameServerConfig;
  readonly runtime: GameRuntime<S>;
  readonly tickHz: number;
  private readonly loop: TickLoop;
  private readonly batchesSent: Record<string, number> = {};
  private readonly batchesDropped: Record<string, number> = {};
  /** Per connector, the batches waiting in its current link (a new link starts a new count). */
  private readonly backlogs = new Map<string, { readonly link: RpcLink; readonly backlog: TickBacklog }>();
  private readonly unsentMembership = new UnsentMembership();
  /** Connectors whose current link has not yet had its resync batch (every membership held through it). */
  private readonly needsResync = new Set<string>();
  private rpc: RpcServer | undefined;
  private discovery: ServiceDiscovery | undefined;
  /** `ctx.rpc`: links to the other servers this one calls; made at start, with discovery. */
  private remoteCaller: RemoteCaller | undefined;
  private lastTickStartMs = 0;
  private orphanTimer: NodeJS.Timeout | undefined;
  /** Probes, /metrics and viewers; present when `httpPort` is configured. */
  readonly http: GameHttpServer | undefined;
  readonly metrics: Registry | undefined;
  private readonly tickMetrics: GameTickMetrics | undefined;
  /** The read-only viewer WebSocket `/game-<gameId>`; present with `httpPort` and `gameId`. */
  readonly viewers: ViewerStream | undefined;
  private draining = false;
  private state: "idle" | "starting" | "running" | "stopped" = "idle";

  constructor(
    readonly game: GameDefinition<S>,
    config: GameServerConfigInput,
  ) {
    this.config = parseGameServerConfig(config);
    this.tickHz = this.config.tickHz ?? game.tickHz ?? DEFAULT_TICK_HZ;
    const dictionary = this.config.routes === undefined ? undefined : RouteDictionary.fromRoutes(this.config.routes);
    const gameId = this.config.httpPort === undefined ? undefined : this.config.gameId;
    const viewers = gameId === undefined ? undefined : new ViewerStream({ gameId, serverId: this.config.id, maxViewers: this.config.maxViewers, maxBackpressureBytes: 1024 * 1024 });
    this.viewers = viewers;
    this.runtime = new GameRuntime(game, {
      serverId: this.config.id,
      tickHz: this.tickHz,
      ...(dictionary === undefined ? {} : { dictionary }),
      connectors: { call: (connectorId, method, payload) => this.callConnector(connectorId, method, payload) },
      ...(this.config.discovery === undefined
        ? {}
        : { remotes: { call: (serverType: string, group: string, method: string, input: unknown, options?: RemoteCallOptions) => this.callRemote(serverType, group, method, input, options), sessionClosed: (sessionId: string) => this.remoteCaller?.sessionClosed(sessionId) } }),
      resumeGraceMs: this.config.resumeGraceMs,
      settings: this.config.settings,
      ...(viewers === undefined ? {} : { onBroadcast: (channel: string, route: string, body: string) => viewers.collect(channel, route, body) }),
    });
    this.loop = new TickLoop({ hz: this.tickHz, maxLagTicks: this.config.maxLagTicks }, this.onTick);
    if (this.config.httpPort !== undefined) {
      this.metrics = createMetricsRegistry("game", this.config.id);
      this.tickMetrics = registerGameMetrics(this.metrics, () => this.stats());
      this.http = new GameHttpServer({
        host: this.config.httpHost ?? this.config.listenHost ?? this.config.host,
        port: this.config.httpPort,
        serverId: this.config.id,
        isReady: () => this.state === "running" && !this.draining,
        metrics: this.metrics,
      });
      viewers?.mount(this.http.app, () => this.runtime.tick);
    }
  }

  /** The RPC address connectors dial, once started. */
  get address(): { host: string; port: number } | undefined {
    return this.rpc?.address();
  }

  private resolveIdentityLost: ((reason: string) => void) | undefined;
  /** Resolves with a reason if this process lost its cluster identity; the process should then exit and be restarted. */
  readonly identityLost = new Promise<string>((resolve) => (this.resolveIdentityLost = resolve));

  private loseIdentity(reason: string): void {
    log.error({ reason }, "game server lost its cluster identity");
    this.resolveIdentityLost?.(reason);
  }

  /** Frozen past the TTL and registered again as a new incarnation: the connectors move every player of the old one, so all are dropped here (none served twice). */
  private reincarnate(incarnation: string, frozenMs: number): void {
    const sessions = this.runtime.allSessions();
    log.warn({ frozenMs, incarnation, players: sessions.length }, "lease lost while frozen: registered again under a new incarnation; its players were moved");
    this.rpc?.reincarnate(incarnation);
    for (const session of sessions) this.runtime.sessionClosed({ sessionId: session.id, uid: session.uid, reason: "this server's lease was lost while it was frozen; the cluster moved the player" });
  }

  /** After a lapse: drops every player whose saved binding names another server (or incarnation); keeps the rest. */
  private async dropMovedPlayers(unacknowledgedMs: number): Promise<void> {
    const discovery = this.discovery;
    if (discovery === undefined) return;
    const store = new BindingStore(discovery.redisClient, { namespace: discovery.options.namespace });
    const sessions = this.runtime.allSessions();
    const bindings = await Promise.all(sessions.map((session) => store.load(session)));
    let dropped = 0;
    for (const [index, session] of sessions.entries()) {
      const binding = bindings[index]!.get(this.game.serverType);
      if (binding === undefined || (binding.serverId === this.config.id && binding.incarnation === discovery.incarnation)) continue;
      this.runtime.sessionClosed({ sessionId: session.id, uid: session.uid, reason: `moved to ${binding.serverId} while this server's lease had lapsed` });
      dropped++;
    }
    log.warn({ unacknowledgedMs, dropped, kept: sessions.length - dropped }, "lease lapsed: registered again; dropped the players the cluster moved away");
  }

  /** Listens, runs `onStart`, registers in discovery, starts ticking. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.state !== "idle") throw new Error(`game server ${this.config.id} was already started`);
    this.state = "starting";
    const listenHost = this.config.listenHost ?? this.config.host;
    // Discovery publishes the port, and the RPC handshake must answer with discovery's incarnation.
    const port = this.config.port !== 0 || this.config.discovery === undefined ? this.config.port : await reservePort(listenHost);
    if (this.config.discovery !== undefined) {
      this.discovery = new ServiceDiscovery(this.config.discovery, {
        id: this.config.id,
        type: this.game.serverType,
        host: this.config.host,
        port,
        ...(this.config.podIp === undefined ? {} : { podIp: this.config.podIp }),
        // The game's replicas find each other by it (the viewer relay).
        ...(this.config.gameId === undefined ? {} : { metadata: { gameId: this.config.gameId } }),
      });
      // Frozen past the TTL: registered again under a new incarnation, and every connector moves
      // the players bound to the old one. Serve on, without them.
      this.discovery.on("lease-lost", (event) => this.reincarnate(event.incarnation, event.unacknowledgedMs));
      // Cut off from Redis past the TTL: peers may have moved some players; keep the others.
      this.discovery.on("lapsed", (event) => void this.dropMovedPlayers(event.unacknowledgedMs));
      this.discovery.on("conflict", () => this.loseIdentity("another live process holds this id"));
      // A connector that left takes its sockets with it; its players get resumeGraceMs to come back through another.
      this.discovery.on("removed", (server) => this.runtime.connectorGone(server.id));
      this.discovery.on("added", (server) => this.runtime.connectorBack(server.id));
      this.remoteCaller = new RemoteCaller({ serverId: this.config.id, membership: this.discovery, timeoutMs: this.config.remoteTimeoutMs });
    }
    const rpc = new RpcServer({ serverId: this.config.id, incarnation: this.discovery?.incarnation ?? randomUUID() });
    this.rpc = rpc;
    this.registerRpc(rpc);
    const address = await rpc.listen(port, listenHost);
    try {
      await this.http?.listen();
      await this.runtime.start();
      await this.discovery?.start();
      if (this.discovery !== undefined && this.viewers !== undefined) {
        this.viewers.relayThrough(new ViewerRelay({ gameId: this.config.gameId!, serverId: this.config.id, serverType: this.game.serverType, tickHz: this.tickHz, discovery: this.discovery }));
      }
    } catch (error) {
      this.http?.close();
      this.remoteCaller?.close();
      await rpc.close();
      this.state = "stopped";
      throw error;
    }
    this.lastTickStartMs = performance.now();
    this.loop.start();
    this.orphanTimer = setInterval(() => this.runtime.closeOrphans(), Math.min(1_000, Math.max(50, this.config.resumeGraceMs / 4)));
    this.orphanTimer.unref();
    this.state = "running";
    return address;
  }

  /**
   * Drain (SIGTERM): marked draining — connectors bind no new session here, /readyz answers 503 —
   * while the players already here keep playing, until they have all left or `timeoutMs` passed.
   * The `stop()` that follows deregisters, and connectors move whoever is left to another server
   * (`onRebind`): the hand-over.
   */
  async drain(timeoutMs: number): Promise<{ sessionsLeft: number }> {
    this.draining = true;
    await this.discovery?.setDraining(true).catch(() => undefined);
    const deadline = performance.now() + timeoutMs;
    while (this.runtime.sessionCount > 0 && this.state === "running" && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return { sessionsLeft: this.runtime.sessionCount };
  }

  /** Deregisters first (no new players are routed here), then stops the tick, runs `onStop` and closes the links. */
  async stop(): Promise<void> {
    if (this.state === "stopped" || this.state === "idle") {
      this.state = "stopped";
      return;
    }
    this.state = "stopped";
    try {
      await this.discovery?.stop();
    } catch (error) {
      log.error({ err: error }, "deregistering failed (the lease expires instead)");
    }
    this.loop.stop();
    clearInterval(this.orphanTimer);
    try {
      await this.runtime.stop();
    } catch (error) {
      log.error({ err: error }, "onStop threw");
    }
    this.remoteCaller?.close();
    await this.rpc?.close();
    this.viewers?.closeAll();
    this.http?.close();
  }

  stats(): GameServerStats {
    return {
      ...this.runtime.counters,
      ...this.loop.stats,
      tick: this.runtime.tick,
      sessions: this.runtime.sessionCount,
      batchesSent: { ...this.batchesSent },
      batchesDropped: { ...this.batchesDropped },
      linkQueuedBytes: Object.fromEntries([...this.backlogs].map(([connectorId, { link }]) => [connectorId, link.queuedBytes])),
      rpcCalls: this.remoteCaller?.stats.calls ?? 0,
      rpcFailures: { ...this.remoteCaller?.stats.failures },
    };
  }

  private readonly onTick = (tick: number): void => {
    const startedMs = performance.now();
    const batches = this.runtime.runTick(tick, startedMs - this.lastTickStartMs);
    this.lastTickStartMs = startedMs;
    this.send(tick, batches);
    this.viewers?.flush(tick);
    this.discovery?.setLoad(this.runtime.sessionCount);
    if (this.tickMetrics !== undefined) {
      for (const batch of batches.values()) this.tickMetrics.observeBatch(batch.broadcasts.length + batch.directSessions.length);
      this.tickMetrics.observeTick(performance.now() - startedMs);
    }
  };

  private send(tick: number, batches: ReadonlyMap<string, TickBatch>): void {
    for (const [connectorId, built] of batches) this.sendTo(connectorId, built);
    if (this.needsResync.size === 0 && this.unsentMembership.isEmpty) return;
    // Owed a resync or waiting membership changes, with nothing else this tick: a batch of their own, once the link can take one.
    for (const connectorId of new Set(this.owed())) {
      if (batches.has(connectorId)) continue;
      const link = this.rpc?.link(connectorId);
      if (link !== undefined && link.isOpen && this.backlogOf(connectorId, link).admits(link.sentBytes)) this.sendTo(connectorId, emptyBatch(this.config.id, tick));
    }
  }

  private *owed(): Iterable<string> {
    yield* this.needsResync;
    yield* this.unsentMembership.connectors();
  }

  private sendTo(connectorId: string, built: TickBatch): void {
    const link = this.rpc?.link(connectorId);
    if (link === undefined || !link.isOpen) {
      // Gone or reconnecting: its next link starts with a resync, so nothing is kept for this one.
      this.countDropped(connectorId);
      return;
    }
    const backlog = this.backlogOf(connectorId, link);
    if (!backlog.admits(link.sentBytes)) {
      // Not reading: this tick would be stale before it left. Its membership changes wait.
      this.countDropped(connectorId);
      this.unsentMembership.dropped(connectorId, built);
      return;
    }
    const resync = this.needsResync.has(connectorId);
    const batch: TickBatch = resync
      ? { ...built, unsubscribe: [], subscribe: this.runtime.channels.membershipsOn(connectorId), resync: true }
      : this.unsentMembership.merge(connectorId, built, (sessionId) => this.runtime.session(sessionId)?.connectorId === connectorId);
    try {
      link.notify(ConnectorMethod.batch, batch);
    } catch {
      // Over the link's own byte limit, or closed under us.
      this.countDropped(connectorId);
      if (!resync && link.isOpen) this.unsentMembership.dropped(connectorId, batch);
      return;
    }
    backlog.queued(link.encodedBytes);
    this.batchesSent[connectorId] = (this.batchesSent[connectorId] ?? 0) + 1;
    if (resync) {
      this.needsResync.delete(connectorId);
      this.unsentMembership.forget(connectorId);
    }
  }

  private countDropped(connectorId: string): void {
    this.batchesDropped[connectorId] = (this.batchesDropped[connectorId] ?? 0) + 1;
  }

  /** The tick backlog of the connector's current link; a new link starts a new one, and owes a resync. */
  private backlogOf(connectorId: string, link: RpcLink): TickBacklog {
    const known = this.backlogs.get(connectorId);
    if (known !== undefined && known.link === link) return known.backlog;
    const backlog = new TickBacklog(this.config.maxQueuedTicks);
    this.backlogs.set(connectorId, { link, backlog });
    this.needsResync.add(connectorId);
    return backlog;
  }

  private registerRpc(rpc: RpcServer): void {
    rpc.handle(BackendMethod.request, (payload: unknown) => this.runtime.request(forwardedRequest(payload)));
    rpc.onNotify(BackendMethod.notify, (payload: unknown) => void this.runtime.notify(forwardedRequest(payload)));
    rpc.onNotify(BackendMethod.sessionClosed, (payload: unknown) => this.runtime.sessionClosed(sessionClosed(payload)));
    rpc.onNotify(BackendMethod.sessionResumed, (payload: unknown) => this.runtime.sessionResumed(sessionSnapshot(payload)));
    for (const method of this.runtime.remoteMethods()) {
      rpc.handle(method, (payload: unknown, link) => this.runtime.remote(method, payload, link.peerId));
    }
    rpc.on("handlerError", (error, method, peerId) => log.error({ err: error, method, peer: peerId }, "rpc handler failed"));
    rpc.on("linkClose", (link) => {
      if (this.backlogs.get(link.peerId)?.link !== link) return;
      // What it still queued is lost with it; the next link's first batch is a resync.
      this.backlogs.delete(link.peerId);
      this.unsentMembership.forget(link.peerId);
      this.needsResync.delete(link.peerId);
    });
  }

  private callRemote(serverType: string, group: string, method: string, input: unknown, options: RemoteCallOptions | undefined): Promise<unknown> {
    if (this.remoteCaller === undefined) return Promise.reject(new RemoteCallError("NO_SERVER", `server ${this.config.id} has not started`, serverType, `${serverType}.${group}.${method}`));
    return this.remoteCaller.call(serverType, group, method, input, options);
  }

  private callConnector(connectorId: string, method: string, payload: unknown): Promise<unknown> {
    const link = this.rpc?.link(connectorId);
    if (link === undefined) return Promise.reject(new GameError("CONNECTOR_GONE", `connector ${connectorId} has no open link to this server`));
    return link.call(method, payload, { timeoutMs: this.config.requestTimeoutMs });
  }
}

/** Cheap shape checks: msgpack can decode to anything, and game code must only see well-formed sessions. */
function isSessionSnapshot(value: unknown): value is SessionSnapshot {
  const session = value as Partial<SessionSnapshot> | null;
  return (
    typeof session === "object" &&
    session !== null &&
    typeof session.id === "string" &&
    typeof session.connectorId === "string" &&
    (session.uid === null || typeof session.uid === "string") &&
    typeof session.settings === "object" &&
    session.settings !== null
  );
}

function forwardedRequest(payload: unknown): ForwardedRequest {
  const request = payload as Partial<ForwardedRequest> | null;
  if (typeof request !== "object" || request === null || typeof request.route !== "string" || !(request.body instanceof Uint8Array) || !isSessionSnapshot(request.session)) {
    throw new GameError("BAD_REQUEST", "malformed forwarded request");
  }
  return request as ForwardedRequest;
}

function sessionSnapshot(payload: unknown): SessionSnapshot {
  if (!isSessionSnapshot(payload)) throw new GameError("BAD_REQUEST", "malformed session snapshot");
  return payload;
}

function sessionClosed(payload: unknown): SessionClosed {
  const closed = payload as Partial<SessionClosed> | null;
  if (typeof closed !== "object" || closed === null || typeof closed.sessionId !== "string") throw new GameError("BAD_REQUEST", "malformed sessionClosed");
  return { sessionId: closed.sessionId, uid: typeof closed.uid === "string" ? closed.uid : null, reason: typeof closed.reason === "string" ? closed.reason : "", resumable: closed.resumable === true };
}

/** A free port to publish before listening (only when none is configured; a fixed port is the production case). */
function reservePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function emptyBatch(serverId: string, tick: number): TickBatch {
  return { serverId, tick, unsubscribe: [], subscribe: [], broadcasts: [], directSessions: [], directEnds: [], directPackages: Buffer.alloc(0) };
}
