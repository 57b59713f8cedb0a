/**
 * The connector (frontend): holds client WebSockets on uWebSockets.js, speaks Pomelo's protocol,
 * owns their sessions, routes their messages (connector.* locally, the rest through the
 * BackendGateway) and answers backends' calls (tick batch, push, kick, bind, setSettings) over
 * the RPC links it opened. docs/connector.md describes the behaviour and every close reason.
 */
import { log } from "../logging";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import type { TemplatedApp, us_listen_socket, WebSocket } from "uWebSockets.js";
import { ConnectorMethod, type BindRequest, type KickRequest, type PushRequest, type SessionSettingsRequest } from "../cluster/contract";
import type { BackendGateway, SessionEvents } from "../routing/backend-gateway";
import type { RpcClient } from "../rpc";
import { issueResumeToken } from "../auth";
import type { JsonObject } from "../protocol";
import { SessionRegistry } from "../session/registry";
import { Session } from "../session/session";
import { loadUws, serveProbes } from "../transport";
import * as sessionCalls from "./backend-to-client/session-calls";
import { FanoutTimer } from "./backend-to-client/fanout-timer";
import { isTickBatch } from "./backend-to-client/tick-batch";
import { TickFanout } from "./backend-to-client/tick-fanout";
import { TopicMembers } from "./backend-to-client/topic-members";
import { MessageRouter, pushJson, type RequestObserver } from "./client-to-backend/message-router";
import { serveMetrics } from "../metrics";
import type { Registry } from "prom-client";
import { LocalHandlerError, LocalHandlers, pingHandler } from "./client-to-connector/local-handlers";
import { ClientPackageHandler, type HandshakeCheck } from "./client-to-connector/package-handler";
import { parseConnectorConfig, type ConnectorConfig, type ConnectorConfigInput } from "./config";
import { emptyCounters, type ConnectorCounters } from "./counters";
import { ProtobufTranscoder } from "./protobuf-transcoder";
import { ClientConnection, type SocketData } from "./socket/client-connection";
import { resumableClose, type CloseKind } from "./socket/close-reasons";
import { sweepConnections, sweepIntervalMs } from "./socket/liveness";
import { TokenBucket } from "./socket/token-bucket";
import { createUpgradeCheck, UPGRADE_REJECTION_TEXT, type UpgradeCheck, type UpgradeVerdict } from "./socket/upgrade";

/** The kick reason of a drain: the client SDK reconnects elsewhere on it (client/reconnect-policy.ts). */
export const DRAIN_KICK_REASON = "reconnect";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ConnectorOptions {
  readonly config: ConnectorConfigInput;
  /** The connector's RPC client: it dials backends, and their calls back arrive on it. */
  readonly rpc: RpcClient;
  /** Where non-connector routes go; a factory receives the connector's SessionEvents (StickyRouter needs them). */
  readonly gateway: BackendGateway | ((events: SessionEvents) => BackendGateway);
  /** The game's handshake check (client version, user data); default accepts every well-formed handshake. */
  readonly handshakeCheck?: HandshakeCheck;
  /** Readiness beyond listening (registered, not draining) for `GET /readyz`; default: ready while listening. */
  readonly isReady?: () => boolean;
  /** Served at `GET /metrics` on the client port. */
  readonly metrics?: Registry;
  /** Told of every forwarded request's latency and outcome, and every batch's fan-out time (metrics). */
  readonly observer?: ConnectorObserver;
}

export interface ConnectorObserver {
  request: RequestObserver;
  fanout(durationMs: number): void;
}

export type ConnectorEvents = {
  sessionOpen: [session: Session];
  /** A uid was bound to a session here (the cross-connector uniqueness listens to this). */
  sessionBound: [session: Session, uid: string];
  /**
   * The client finished the handshake and may receive data. `resumedFrom` is the session a resume
   * token came from: the uid's bindings are restored now, so no push reaches it before its handshake.
   */
  sessionReady: [session: Session, resumedFrom: string | undefined];
  /** Once per session, after the socket closed; `kind` and `reason` say why. */
  sessionClosed: [session: Session, kind: CloseKind, reason: string];
};

export class Connector extends EventEmitter<ConnectorEvents> implements SessionEvents {
  readonly config: ConnectorConfig;
  readonly counters: ConnectorCounters = emptyCounters();
  readonly localHandlers = new LocalHandlers().handle("connector.session.ping", pingHandler).handle("connector.session.resume", (request) => this.resumeTokenFor(request.session));
  readonly sessions = new SessionRegistry<ClientConnection>();
  /** Time from a tick batch's arrival to its last socket write (the connector's fan-out), for stats and the benchmark. */
  readonly fanout = new FanoutTimer();
  /** Longest synchronous runs of fan-out writes (how long the event loop was held). */
  readonly fanoutSlices = new FanoutTimer();
  readonly topicMembers = new TopicMembers();
  /** Distinguishes this process's session ids from those of any earlier run of the same connector. */
  readonly incarnation = `${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
  private readonly uws = loadUws();
  private readonly app: TemplatedApp;
  private readonly gateway: BackendGateway;
  private readonly packages: ClientPackageHandler;
  private readonly callTarget: sessionCalls.SessionCallTarget;
  private readonly upgradeCheck: UpgradeCheck;
  private readonly isReady: () => boolean;
  private readonly observer: ConnectorObserver | undefined;
  private readonly tickFanout: TickFanout;
  /** Protobuf bodies for clients that ask for them; absent without protos. */
  private readonly protobuf: ProtobufTranscoder | undefined;
  private listenSocket: us_listen_socket | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sessionCounter = 0;
  private stopping = false;

  constructor(options: ConnectorOptions) {
    super();
    this.config = parseConnectorConfig(options.config);
    this.gateway = typeof options.gateway === "function" ? options.gateway(this) : options.gateway;
    this.protobuf = this.config.protos === undefined || this.config.protos.empty ? undefined : new ProtobufTranscoder(this.config.protos, this.config.routeDictionary, this.counters);
    const router = new MessageRouter(
      this.gateway,
      this.localHandlers,
      this.counters,
      this.config.maxInFlightRequestsPerClient,
      options.observer?.request,
      new Map(Object.entries(this.config.routeRateLimits)),
      this.protobuf,
    );
    this.observer = options.observer;
    this.packages = new ClientPackageHandler(
      this.config,
      router,
      this.counters,
      options.handshakeCheck,
      (connection) => this.handshakeUser(connection),
      (connection) => this.report("sessionReady", connection.session, connection.authClaims?.uid === connection.session.uid ? connection.authClaims?.resume : undefined),
      this.protobuf,
    );
    this.isReady = options.isReady ?? (() => true);
    this.callTarget = {
      sessions: this.sessions,
      kickSession: (connection, reason) => this.kickConnection(connection, "kicked", reason),
      bindUid: (connection, uid) => this.bindUid(connection, uid),
      setSettings: (connection, settings) => connection.session.setSettings(settings),
      countUnknownSession: () => this.counters.unknownSessionsSkipped++,
      protobuf: this.protobuf,
    };
    this.upgradeCheck = createUpgradeCheck(this.config.auth, this.config.connectorId);
    this.app = this.createApp();
    this.tickFanout = new TickFanout(this.app, this.sessions, this.topicMembers, this.counters, {
      batchDone: (durationMs) => {
        this.fanout.record(durationMs);
        this.observer?.fanout(durationMs);
      },
      slice: (durationMs) => this.fanoutSlices.record(durationMs),
    }, this.config.fanoutSliceMs, this.config.maxWaitingTicksPerServer, this.protobuf);
    if (options.metrics !== undefined) serveMetrics(this.app, options.metrics);
    this.registerBackendCalls(options.rpc);
  }

  /** Starts accepting clients; resolves with the bound port. */
  listen(): Promise<number> {
    if (this.listenSocket !== undefined) return Promise.resolve(this.port!);
    return new Promise((resolve, reject) => {
      this.app.listen(this.config.host, this.config.port, (socket) => {
        if (socket === false) {
          reject(new Error(`connector ${this.config.connectorId} cannot listen on ${this.config.host}:${this.config.port}`));
          return;
        }
        this.listenSocket = socket;
        this.stopping = false;
        const everyMs = sweepIntervalMs(this.config);
        this.sweepTimer = setInterval(() => this.sweep(), everyMs);
        this.sweepTimer.unref();
        resolve(this.uws.us_socket_local_port(socket as never));
      });
    });
  }

  get port(): number | undefined {
    return this.listenSocket === undefined ? undefined : this.uws.us_socket_local_port(this.listenSocket as never);
  }

  /**
   * Drain (SIGTERM): refuses new upgrades (503) and asks every client to reconnect elsewhere — kick
   * reason `reconnect`, spread evenly over `spreadMs` so the other connectors and the gate take them
   * in stride. Backends keep the players' state for their resume. Resolves when every client is
   * gone, or after `timeoutMs` with how many were still open.
   */
  async drain(options: { spreadMs: number; timeoutMs: number }): Promise<{ asked: number; remaining: number }> {
    this.stopping = true;
    const connections = [...this.sessions.values()];
    const stepMs = 20;
    const steps = Math.max(1, Math.floor(options.spreadMs / stepMs));
    const perStep = Math.ceil(connections.length / steps);
    const deadline = performance.now() + options.timeoutMs;
    for (let index = 0; index < connections.length; index += perStep) {
      for (const connection of connections.slice(index, index + perStep)) this.kickConnection(connection, "draining", DRAIN_KICK_REASON);
      if (index + perStep < connections.length) await sleep(stepMs);
    }
    while (this.sessions.size > 0 && performance.now() < deadline) await sleep(stepMs);
    return { asked: connections.length, remaining: this.sessions.size };
  }

  /** Kicks every client with `reason` (close 1001) and frees the port. */
  async stop(reason = "server shutting down"): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    if (this.listenSocket !== undefined) this.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    for (const connection of [...this.sessions.values()]) connection.close("shutdown", reason);
  }

  /** Kicks the local session bound to `uid` (the cross-connector uniqueness calls this). True if one was kicked. */
  kickUid(uid: string, reason: string, kind: CloseKind = "duplicateLogin"): boolean {
    const connection = this.sessions.getByUid(uid);
    return connection !== undefined && this.kickConnection(connection, kind, reason);
  }

  kickSession(sessionId: string, reason: string, kind: CloseKind = "kicked"): boolean {
    const connection = this.sessions.get(sessionId);
    return connection !== undefined && this.kickConnection(connection, kind, reason);
  }

  /** A push (JSON, or protobuf for a protobuf client) to one local session now, outside any tick batch. False if the session is gone. */
  pushTo(sessionId: string, route: string, body: unknown): boolean {
    const connection = this.sessions.get(sessionId);
    return connection !== undefined && connection.isOpen && pushJson(connection, route, body, this.config.routeDictionary, this.protobuf);
  }

  /** SessionEvents: the session moved to another server of `serverType`; the client hears `onRebind`. */
  rebound(session: Session, serverType: string, serverId: string): void {
    const connection = this.sessions.get(session.id);
    if (connection !== undefined) pushJson(connection, "onRebind", { serverType, serverId }, this.config.routeDictionary, this.protobuf);
  }

  /** SessionEvents: the session's server is gone and its policy is `end`. */
  ended(session: Session, _serverType: string, reason: string): void {
    const connection = this.sessions.get(session.id);
    if (connection !== undefined) this.kickConnection(connection, "serverLost", reason);
  }

  private kickConnection(connection: ClientConnection, kind: CloseKind, reason: string): boolean {
    if (!connection.isOpen) return false;
    connection.close(kind, reason);
    return true;
  }

  /** One live session per uid on this connector: a second login kicks the first, after the new binding is in place. */
  private bindUid(connection: ClientConnection, uid: string): void {
    const current = connection.session.uid;
    if (current === uid) return;
    if (current !== null) throw new sessionCalls.SessionCallError("ALREADY_BOUND", `session ${connection.session.id} is bound to another uid`);
    const previous = this.sessions.bindUid(connection, uid);
    if (previous !== undefined) this.kickConnection(previous, "duplicateLogin", "duplicate login");
    this.report("sessionBound", connection.session, uid);
  }

  /**
   * A resume token for a session holding a uid: the client trades it at the gate for a connect
   * token to another connector if this one dies, without logging in again.
   */
  private resumeTokenFor(session: Session): { code: 200; resumeToken: string; expiresAtMs: number } {
    const secrets = this.config.auth?.tokenSecrets;
    if (secrets === undefined) throw new LocalHandlerError("NO_RESUME", "this connector issues no resume tokens (no tokenSecrets configured)");
    if (session.uid === null) throw new LocalHandlerError("NOT_BOUND", "only a session bound to a uid can be resumed");
    const { token, expiresAtMs } = issueResumeToken({ secrets, uid: session.uid, sessionId: session.id, ttlMs: this.config.auth!.resumeTokenTtlMs });
    return { code: 200, resumeToken: token, expiresAtMs };
  }

  /** The handshake answer of a client that upgraded with a connect token names its uid and carries its first resume token. */
  private handshakeUser(connection: ClientConnection): JsonObject | undefined {
    const claims = connection.authClaims;
    if (claims === undefined || connection.session.uid !== claims.uid) return undefined;
    const { resumeToken, expiresAtMs } = this.resumeTokenFor(connection.session);
    return { uid: claims.uid, resumeToken, resumeExpiresAtMs: expiresAtMs, resumed: claims.resume !== undefined };
  }

  private createApp(): TemplatedApp {
    const config = this.config;
    const app = this.uws.App();
    serveProbes(app, { connector: config.connectorId }, () => this.listenSocket !== undefined && !this.stopping && this.isReady());
    return app.ws<SocketData>(config.path, {
      maxPayloadLength: config.maxPayloadBytes,
      maxBackpressure: config.maxBackpressureBytes,
      closeOnBackpressureLimit: true,
      idleTimeout: config.idleTimeoutSec,
      sendPingsAutomatically: false,
      upgrade: (res, req, context) => {
        if (this.stopping) {
          res.writeStatus("503 Service Unavailable").end("connector stopping");
          return;
        }
        // Everything is read from `req` here, synchronously: uWS frees it when this handler returns.
        let verdict: UpgradeVerdict;
        try {
          const token = config.auth?.tokenSecrets === undefined ? undefined : (req.getQuery(config.auth.tokenQueryParam) as string | undefined);
          verdict = this.upgradeCheck({ origin: req.getHeader("origin"), token });
        } catch (error) {
          log.error({ err: error }, "upgrade check failed");
          res.writeStatus("500 Internal Server Error").end("internal error");
          return;
        }
        if (!verdict.ok) {
          this.counters.upgradesRejected[verdict.reason]++;
          res.writeStatus(verdict.status).writeHeader("Content-Type", "text/plain; charset=utf-8").writeHeader("Cache-Control", "no-store");
          if (verdict.status === "401 Unauthorized") {
            res.writeHeader("WWW-Authenticate", verdict.reason === "MISSING" ? 'Bearer realm="pomona"' : 'Bearer realm="pomona", error="invalid_token"');
          }
          res.end(UPGRADE_REJECTION_TEXT[verdict.reason]);
          return;
        }
        const connection = this.newConnection();
        if (verdict.claims !== undefined) {
          connection.authClaims = verdict.claims;
          this.counters.upgradesAuthenticated++;
        }
        res.upgrade<SocketData>(
          { connection },
          req.getHeader("sec-websocket-key"),
          req.getHeader("sec-websocket-protocol"),
          req.getHeader("sec-websocket-extensions"),
          context,
        );
      },
      open: (ws) => this.guard("open", () => this.opened(ws)),
      message: (ws, data, isBinary) => this.guard("message", () => this.packages.onMessage(ws.getUserData().connection, data, isBinary, performance.now())),
      close: (ws, code, message) => this.guard("close", () => this.closed(ws.getUserData().connection, code, Buffer.from(message).toString("utf8"))),
    });
  }

  private newConnection(): ClientConnection {
    const session = new Session(`${this.config.connectorId}.${this.incarnation}.${(++this.sessionCounter).toString(36)}`, this.config.connectorId);
    const now = performance.now();
    const rate = new TokenBucket(this.config.rateLimitPackagesPerSec, this.config.rateLimitBurstPackages, now);
    return new ClientConnection(session, rate, now, this.counters, this.config.maxBackpressureBytes);
  }

  private opened(ws: WebSocket<SocketData>): void {
    const connection = ws.getUserData().connection;
    connection.ws = ws;
    this.sessions.add(connection);
    this.counters.clients++;
    this.counters.sessions = this.sessions.size;
    this.report("sessionOpen", connection.session);
    // A verified connect token vouches for the uid: bind through the usual path, so a local
    // duplicate is kicked and sessionBound drives the cross-connector uniqueness.
    if (connection.authClaims !== undefined) this.bindUid(connection, connection.authClaims.uid);
  }

  private closed(connection: ClientConnection, code: number, message: string): void {
    const kind = connection.socketClosed(code, message);
    const reason = connection.closeReason ?? kind;
    this.counters.closes[kind]++;
    if (kind === "backpressure") this.counters.backpressureCloses++;
    this.counters.clients--;
    this.sessions.remove(connection);
    this.topicMembers.removeConnection(connection);
    this.counters.sessions = this.sessions.size;
    if (!connection.session.markClosed(reason)) return;
    try {
      this.gateway.sessionClosed(connection.session, reason, resumableClose(kind, code));
    } catch (error) {
      log.error({ err: error, sessionId: connection.session.id }, "gateway.sessionClosed threw (it must not)");
    }
    this.report("sessionClosed", connection.session, kind, reason);
  }

  private sweep(): void {
    this.guard("liveness sweep", () => sweepConnections(this.sessions.values(), this.config, performance.now()));
  }

  private registerBackendCalls(rpc: RpcClient): void {
    rpc.onNotify(ConnectorMethod.batch, (batch: unknown, link) => {
      if (!isTickBatch(batch)) throw new Error("connector.batch payload is not a TickBatch");
      // A batch speaks for its sender only: a resync drops the subscriptions to the named server's
      // topics, and the waiting bound (tick-fanout.ts) counts batches per named server.
      if (batch.serverId !== link.peerId) throw new Error(`connector.batch from ${link.peerId} names server ${batch.serverId}`);
      this.tickFanout.enqueue(batch);
    });
    rpc.handle(ConnectorMethod.push, (request: PushRequest) => sessionCalls.push(this.callTarget, request));
    rpc.handle(ConnectorMethod.kick, (request: KickRequest) => sessionCalls.kick(this.callTarget, request));
    rpc.handle(ConnectorMethod.bind, (request: BindRequest) => sessionCalls.bind(this.callTarget, request));
    rpc.handle(ConnectorMethod.setSettings, (request: SessionSettingsRequest) => sessionCalls.setSettings(this.callTarget, request));
  }

  /** uWS callbacks must never throw: a bug is logged, and the process keeps serving. */
  private guard(what: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      log.error({ err: error, handler: what }, "connector handler failed");
    }
  }

  /** A throwing listener is reported, never allowed into uWS or RPC machinery. */
  private report<K extends keyof ConnectorEvents>(event: K, ...args: ConnectorEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ConnectorEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      log.error({ err: error, event }, "a connector listener threw");
    }
  }
}
