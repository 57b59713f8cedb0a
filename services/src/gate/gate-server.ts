/**
 * The gate: tells a player which connector to use and hands it a connect token (docs/gate.md).
 *
 * One uWS app serves
 *   - Pomelo WebSocket clients: handshake, ack, heartbeats, and the one route
 *     `gate.gateHandler.queryEntry` `{access_token}` → `{code: 200, host, port, url, token}`;
 *   - plain HTTP: `GET /entry` with `Authorization: Bearer …` (same answer as JSON) and `GET /healthz`.
 * Each query passes the per-address rate limit, then the player authenticator (auth/identity: jwt,
 * webhook, anonymous or trust-uid), then the choice, made from the discovery view in memory: no
 * Redis on the hot path. Credentials are never logged.
 */
import { log } from "../logging";
import { createOriginCheck, type OriginVerdict } from "../auth/origin-policy";
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from "uWebSockets.js";
import type { ServerInfo } from "../discovery/member";
import {
  decodeMessage,
  decodePackages,
  encodeDataPackage,
  encodeHandshakeResponse,
  encodeKickPackage,
  encodePackage,
  HandshakeCode,
  MessageType,
  PackageType,
  parseClientHandshake,
  ProtocolError,
  RouteDictionary,
} from "../protocol";
import { loadUws, serveProbes, writeJson, type Uws } from "../transport";
import { parseGateConfig, type GateConfig, type GateConfigInput } from "./config";
import { chooseEntry, readEntryQuery, type EntryQuery, type EntryRefusal, type EntryResult } from "./entry";
import { createResumeTokenVerifier, type ConnectTokenVerdict } from "../auth";
import { createPlayerAuthenticator, type PlayerAuthenticator } from "../auth/identity";
import { AddressRateLimiter } from "./rate-limit";
import type { StaticSite } from "./static-site";
import { serveMetrics } from "../metrics";
import type { Registry } from "prom-client";

export const QUERY_ENTRY_ROUTE = "gate.gateHandler.queryEntry";

/** What the gate needs from discovery: the current (cached) view. `ServiceDiscovery` fits. */
export interface GateMembership {
  members(type: string): readonly ServerInfo[];
}

export interface GateServerOptions {
  readonly config: GateConfigInput;
  readonly membership: GateMembership;
  /** Files served under `/` (the browser demo); none: `/` is 404. */
  readonly site?: StaticSite;
  /** Readiness beyond listening (registered in discovery) for `GET /readyz`. */
  readonly isReady?: () => boolean;
  /** Served at `GET /metrics`. */
  readonly metrics?: Registry;
}

/** Close codes, matching the connector's (docs/connector.md). */
export const GateCloseCode = {
  protocolError: 1002,
  unsupportedData: 1003,
  shutdown: 1001,
  tooManyQueries: 1008,
  heartbeatTimeout: 4002,
  handshakeTimeout: 4004,
} as const;

export interface GateCounters {
  /** Entry queries by outcome, over both transports. */
  queries: {
    ok: number;
    badUid: number;
    badQuery: number;
    badResume: number;
    noConnector: number;
    resumed: number;
    unauthenticated: number;
    authUnavailable: number;
    rateLimited: number;
  };
  /** Queries by transport. */
  http: number;
  ws: number;
  /** Requests and upgrades refused for their Origin. */
  originRejected: number;
  /** Pomelo requests for a route other than queryEntry (answered 404). */
  unknownRoutes: number;
  /** WebSocket connections: open now, opened in total, closed by the gate by reason. */
  clients: number;
  connections: number;
  closes: { protocolError: number; unsupportedData: number; handshakeTimeout: number; heartbeatTimeout: number; tooManyQueries: number; shutdown: number };
}

const enum Phase {
  AwaitingHandshake,
  AwaitingAck,
  Ready,
}

class GateConnection {
  phase = Phase.AwaitingHandshake;
  ws: WebSocket<{ connection: GateConnection }> | undefined;
  lastHeardMs: number;
  queries = 0;
  closing = false;
  constructor(
    readonly openedMs: number,
    /** The client's address, for the rate limit. */
    readonly address: string,
  ) {
    this.lastHeardMs = openedMs;
  }
}

const HEARTBEAT_PACKAGE = encodePackage(PackageType.Heartbeat);
const HANDSHAKE_FAILED = encodeHandshakeResponse({ code: HandshakeCode.Fail });

export class GateServer {
  readonly config: GateConfig;
  readonly counters: GateCounters = {
    queries: { ok: 0, badUid: 0, badQuery: 0, badResume: 0, noConnector: 0, resumed: 0, unauthenticated: 0, authUnavailable: 0, rateLimited: 0 },
    http: 0,
    ws: 0,
    originRejected: 0,
    unknownRoutes: 0,
    clients: 0,
    connections: 0,
    closes: { protocolError: 0, unsupportedData: 0, handshakeTimeout: 0, heartbeatTimeout: 0, tooManyQueries: 0, shutdown: 0 },
  };
  /** The gate's route dictionary: clients may send the query route as a 2-byte code. */
  readonly dictionary = RouteDictionary.fromRoutes([QUERY_ENTRY_ROUTE]);
  private readonly uws: Uws;
  private readonly app: TemplatedApp;
  private readonly membership: GateMembership;
  private readonly checkOrigin: (origin: string) => OriginVerdict;
  private readonly handshakeAccepted: Buffer;
  private readonly connections = new Set<GateConnection>();
  private readonly verifyResume: (token: unknown) => ConnectTokenVerdict;
  private readonly authenticator: PlayerAuthenticator;
  private readonly rateLimiter: AddressRateLimiter;
  private lastUnavailableLogMs = -Infinity;
  private readonly site: StaticSite | undefined;
  private readonly isReady: () => boolean;
  private readonly metrics: Registry | undefined;
  /** Set by a drain: /readyz answers 503 so load balancers stop sending players here, while queries are still answered. */
  draining = false;
  private listenSocket: us_listen_socket | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(options: GateServerOptions) {
    this.config = parseGateConfig(options.config);
    this.membership = options.membership;
    this.checkOrigin = createOriginCheck(this.config.allowedOrigins, this.config.allowMissingOrigin);
    this.verifyResume = createResumeTokenVerifier({ secrets: this.config.tokenSecrets });
    this.authenticator = createPlayerAuthenticator(this.config.auth);
    this.rateLimiter = new AddressRateLimiter(this.config.rateLimit);
    if (this.config.auth.mode === "trust-uid") log.warn({ authMode: "trust-uid" }, "gate trusts client-claimed uids: any client can log in as any player (development only)");
    this.site = options.site;
    this.isReady = options.isReady ?? (() => true);
    this.metrics = options.metrics;
    this.handshakeAccepted = encodeHandshakeResponse({ code: HandshakeCode.Ok, heartbeatSeconds: this.config.heartbeatSec, dictionary: this.dictionary });
    this.uws = loadUws();
    this.app = this.createApp();
  }

  /** Starts serving; resolves with the bound port. */
  listen(): Promise<number> {
    if (this.listenSocket !== undefined) return Promise.resolve(this.port!);
    return new Promise((resolve, reject) => {
      this.app.listen(this.config.host, this.config.port, (socket) => {
        if (socket === false) {
          reject(new Error(`gate ${this.config.gateId} cannot listen on ${this.config.host}:${this.config.port}`));
          return;
        }
        this.listenSocket = socket;
        this.stopping = false;
        const everyMs = Math.min(1_000, Math.max(50, (this.config.heartbeatSec * 1_000) / 4));
        this.sweepTimer = setInterval(() => this.guard("liveness sweep", () => this.sweep(performance.now())), everyMs);
        this.sweepTimer.unref();
        resolve(this.uws.us_socket_local_port(socket as never));
      });
    });
  }

  get port(): number | undefined {
    return this.listenSocket === undefined ? undefined : this.uws.us_socket_local_port(this.listenSocket as never);
  }

  /** Frees the port and closes every WebSocket client (1001). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    if (this.listenSocket !== undefined) this.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    for (const connection of [...this.connections]) this.close(connection, "shutdown", "gate shutting down", true);
  }

  /** The entry for a query (what both transports answer), counted by outcome: resume token or authenticated login, then the choice. */
  async queryEntry(query: EntryQuery): Promise<EntryResult> {
    const request = readEntryQuery(query, this.verifyResume);
    let result: EntryResult;
    if (!request.ok) result = request;
    else if (request.resumed !== undefined) result = this.choose(request.resumed.uid, request.avoid, request.resumed.from);
    else {
      const identity = await this.authenticator.identify({ uid: query.uid, credentials: query.credentials });
      result = identity.ok ? this.choose(identity.uid, request.avoid, undefined) : identity;
    }
    this.count(result, request.ok && request.resumed !== undefined);
    return result;
  }

  /** One token from the address's bucket; a refusal is counted and says when to come back. */
  admit(address: string): EntryRefusal | undefined {
    const verdict = this.rateLimiter.take(address, performance.now());
    if (verdict.ok) return undefined;
    this.counters.queries.rateLimited++;
    return { ok: false, reason: "RATE_LIMITED", message: `too many entry queries from this address: retry in ${verdict.retryAfterSec} s`, retryAfterSec: verdict.retryAfterSec };
  }

  /** Addresses the rate limiter tracks now (bounded by rateLimit.maxAddresses). */
  get rateLimitedAddresses(): number {
    return this.rateLimiter.size;
  }

  private choose(uid: string, avoid: string | undefined, resumeFrom: string | undefined): EntryResult {
    const config = this.config;
    return chooseEntry(this.membership.members(config.connectorType), uid, {
      frontDoor: config.frontDoor,
      connectorType: config.connectorType,
      tokenSecrets: config.tokenSecrets,
      tokenTtlMs: config.tokenTtlMs,
      ...(avoid === undefined ? {} : { avoid }),
      ...(resumeFrom === undefined ? {} : { resumeFrom }),
    });
  }

  private count(result: EntryResult, resumed: boolean): void {
    const counts = this.counters.queries;
    if (result.ok) {
      counts.ok++;
      if (resumed) counts.resumed++;
      return;
    }
    const counter = REFUSAL_COUNTER[result.reason];
    counts[counter]++;
    // The authenticator's messages name the failed check, never the credentials.
    log.debug({ reason: result.reason, authMode: this.authenticator.mode, message: result.message }, "entry refused");
    const now = performance.now();
    if (result.reason === "AUTH_UNAVAILABLE" && now - this.lastUnavailableLogMs > 5_000) {
      this.lastUnavailableLogMs = now;
      log.warn({ authMode: this.authenticator.mode, message: result.message, refusedSoFar: counts.authUnavailable }, "player authentication unavailable: logins refused");
    }
  }

  /** Same policy as the connector: a present Origin must be listed exactly; a missing one passes unless allowMissingOrigin is false. */
  originAllowed(origin: string): boolean {
    return this.checkOrigin(origin) === "ok";
  }

  private createApp(): TemplatedApp {
    const config = this.config;
    const app = this.uws.App();
    app.ws<{ connection: GateConnection }>("/*", {
      maxPayloadLength: config.maxPayloadBytes,
      maxBackpressure: 64 * 1024,
      closeOnBackpressureLimit: true,
      idleTimeout: config.idleTimeoutSec,
      sendPingsAutomatically: false,
      upgrade: (res, req, context) => {
        if (this.stopping) {
          res.writeStatus("503 Service Unavailable").end("gate stopping");
          return;
        }
        if (!this.originAllowed(req.getHeader("origin"))) {
          this.counters.originRejected++;
          res.writeStatus("403 Forbidden").writeHeader("Content-Type", "text/plain; charset=utf-8").end("origin not allowed");
          return;
        }
        res.upgrade(
          { connection: new GateConnection(performance.now(), remoteAddress(res)) },
          req.getHeader("sec-websocket-key"),
          req.getHeader("sec-websocket-protocol"),
          req.getHeader("sec-websocket-extensions"),
          context,
        );
      },
      open: (ws) =>
        this.guard("open", () => {
          const connection = ws.getUserData().connection;
          connection.ws = ws;
          this.connections.add(connection);
          this.counters.clients++;
          this.counters.connections++;
        }),
      message: (ws, data, isBinary) => this.guard("message", () => this.onMessage(ws.getUserData().connection, data, isBinary)),
      close: (ws) =>
        this.guard("close", () => {
          const connection = ws.getUserData().connection;
          connection.ws = undefined;
          if (this.connections.delete(connection)) this.counters.clients--;
        }),
    });
    app.get("/entry", (res, req) => this.guard("GET /entry", () => this.httpEntry(res, req)));
    app.options("/entry", (res, req) => this.guard("OPTIONS /entry", () => this.httpPreflight(res, req)));
    app.any("/entry", (res) => {
      res.writeStatus("405 Method Not Allowed").writeHeader("Allow", "GET, OPTIONS").writeHeader("Content-Type", "application/json").end(JSON.stringify({ code: 405, message: "use GET" }));
    });
    serveProbes(app, { gate: config.gateId }, () => this.listenSocket !== undefined && !this.stopping && !this.draining && this.isReady());
    if (this.metrics !== undefined) serveMetrics(app, this.metrics);
    const site = this.site;
    if (site !== undefined) {
      app.get("/*", (res, req) => {
        const file = site.get(req.getUrl());
        if (file === undefined) {
          writeJson(res, "404 Not Found", { code: 404, message: "not found" });
          return;
        }
        res.cork(() => {
          res.writeHeader("Content-Type", file.contentType).writeHeader("Cache-Control", "no-cache").writeHeader("X-Content-Type-Options", "nosniff");
          res.writeHeader("Content-Security-Policy", site.contentSecurityPolicy).writeHeader("Referrer-Policy", "no-referrer");
          res.end(file.body);
        });
      });
    }
    app.any("/*", (res) => {
      res.writeStatus("404 Not Found").writeHeader("Content-Type", "application/json").end(JSON.stringify({ code: 404, message: "not found" }));
    });
    return app;
  }

  // ---- HTTP ----

  private httpEntry(res: HttpResponse, req: HttpRequest): void {
    const origin = req.getHeader("origin");
    // getQuery(key) answers the decoded value, undefined when absent. The header keeps a credential out of URLs and access logs.
    const credentials = bearerToken(req.getHeader("authorization")) ?? req.getQuery("access_token");
    const query: EntryQuery = { uid: req.getQuery("uid"), credentials, resume: req.getQuery("resume"), avoid: req.getQuery("avoid") };
    if (!this.originAllowed(origin)) {
      this.counters.originRejected++;
      writeJson(res, "403 Forbidden", { code: 403, message: "origin not allowed" });
      return;
    }
    this.counters.http++;
    const limited = this.admit(remoteAddress(res));
    if (limited !== undefined) {
      this.writeEntry(res, origin, limited);
      return;
    }
    let aborted = false;
    res.onAborted(() => (aborted = true));
    this.queryEntry(query).then(
      (result) => {
        if (!aborted) this.guard("GET /entry answer", () => this.writeEntry(res, origin, result));
      },
      (error: unknown) => {
        log.error({ err: error }, "entry query failed");
        if (!aborted) this.guard("GET /entry answer", () => writeJson(res, "500 Internal Server Error", { code: 500, message: "entry query failed" }));
      },
    );
  }

  private writeEntry(res: HttpResponse, origin: string, result: EntryResult): void {
    res.cork(() => {
      if (result.ok) {
        res.writeStatus("200 OK");
        this.writeCors(res, origin);
        res.writeHeader("Content-Type", "application/json").writeHeader("Cache-Control", "no-store").end(JSON.stringify(entryBody(result)));
        return;
      }
      const [status, code] = HTTP_FAILURE[result.reason];
      res.writeStatus(status);
      this.writeCors(res, origin);
      if (code === 503 || code === 429) res.writeHeader("Retry-After", String("retryAfterSec" in result ? result.retryAfterSec : 1));
      if (code === 401) res.writeHeader("WWW-Authenticate", 'Bearer realm="pomona-gate"');
      res.writeHeader("Content-Type", "application/json").writeHeader("Cache-Control", "no-store").end(JSON.stringify(refusalBody(result, code)));
    });
  }

  private httpPreflight(res: HttpResponse, req: HttpRequest): void {
    const origin = req.getHeader("origin");
    if (!this.originAllowed(origin)) {
      this.counters.originRejected++;
      writeJson(res, "403 Forbidden", { code: 403, message: "origin not allowed" });
      return;
    }
    res.writeStatus("204 No Content");
    this.writeCors(res, origin);
    res.writeHeader("Access-Control-Allow-Methods", "GET, OPTIONS").writeHeader("Access-Control-Allow-Headers", "Authorization").writeHeader("Access-Control-Max-Age", "600").endWithoutBody();
  }

  /** CORS for an origin that passed the allowlist: echoed when there is a list, `*` when any origin may come. */
  private writeCors(res: HttpResponse, origin: string): void {
    if (origin === "") return;
    res.writeHeader("Access-Control-Allow-Origin", this.config.allowedOrigins === undefined ? "*" : origin);
    if (this.config.allowedOrigins !== undefined) res.writeHeader("Vary", "Origin");
  }

  // ---- Pomelo WebSocket ----

  private onMessage(connection: GateConnection, data: ArrayBuffer, isBinary: boolean): void {
    if (connection.closing) return;
    connection.lastHeardMs = performance.now();
    if (!isBinary) {
      this.close(connection, "unsupportedData", "text frames are not Pomelo packages: send binary", true);
      return;
    }
    try {
      // uWS reuses `data` after this handler returns; everything is handled synchronously.
      const packages = decodePackages(Buffer.from(data), this.config.maxPayloadBytes);
      if (packages.length > this.config.maxPackagesPerMessage) {
        this.close(connection, "protocolError", `too many packages in one message: ${packages.length}`, true);
        return;
      }
      for (const pkg of packages) {
        if (connection.closing) return;
        this.onPackage(connection, pkg.type, pkg.body);
      }
    } catch (error) {
      if (error instanceof ProtocolError) this.close(connection, "protocolError", `bad package: ${error.code}: ${error.message}`, true);
      else throw error;
    }
  }

  private onPackage(connection: GateConnection, type: number, body: Buffer): void {
    switch (type) {
      case PackageType.Handshake: {
        if (connection.phase !== Phase.AwaitingHandshake) return this.close(connection, "protocolError", "protocol violation: second handshake", true);
        try {
          parseClientHandshake(body);
        } catch (error) {
          this.send(connection, HANDSHAKE_FAILED);
          return this.close(connection, "protocolError", `handshake rejected (500): ${(error as Error).message}`, false);
        }
        connection.phase = Phase.AwaitingAck;
        this.send(connection, this.handshakeAccepted);
        return;
      }
      case PackageType.HandshakeAck:
        if (connection.phase !== Phase.AwaitingAck) return this.close(connection, "protocolError", "protocol violation: handshake ack without a handshake", true);
        connection.phase = Phase.Ready;
        return;
      case PackageType.Heartbeat:
        if (connection.phase === Phase.AwaitingHandshake) return this.close(connection, "protocolError", "protocol violation: heartbeat before handshake", true);
        this.send(connection, HEARTBEAT_PACKAGE);
        return;
      case PackageType.Data:
        if (connection.phase !== Phase.Ready) return this.close(connection, "protocolError", "protocol violation: data before handshake ack", true);
        this.onData(connection, body);
        return;
      default:
        this.close(connection, "protocolError", "protocol violation: clients do not send kick packages", true);
    }
  }

  private onData(connection: GateConnection, body: Buffer): void {
    const message = decodeMessage(body, this.dictionary);
    if (message.type === MessageType.Notify) return; // nothing to answer; the gate has no notify routes
    if (message.type !== MessageType.Request) return this.close(connection, "protocolError", "protocol violation: clients send only requests and notifies", true);
    if (message.route !== QUERY_ENTRY_ROUTE) {
      this.counters.unknownRoutes++;
      this.respond(connection, message.id, { code: 404, message: `unknown route ${message.route}: the gate answers ${QUERY_ENTRY_ROUTE} only` });
      return;
    }
    if (++connection.queries > this.config.maxQueriesPerConnection) {
      return this.close(connection, "tooManyQueries", `over ${this.config.maxQueriesPerConnection} queries on one connection`, true);
    }
    this.counters.ws++;
    const limited = this.admit(connection.address);
    if (limited !== undefined) return this.respond(connection, message.id, refusalBody(limited, POMELO_FAILURE[limited.reason]));
    let query: EntryQuery = {};
    try {
      const parsed: unknown = JSON.parse(message.body.toString("utf8"));
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        const { uid, access_token: credentials, resume, avoid } = parsed as { uid?: unknown; access_token?: unknown; resume?: unknown; avoid?: unknown };
        query = { uid, credentials, resume, avoid };
      }
    } catch {
      // Not JSON: answered as a query without uid or credentials.
    }
    this.queryEntry(query).then(
      (result) => this.guard("queryEntry answer", () => this.respond(connection, message.id, result.ok ? entryBody(result) : refusalBody(result, POMELO_FAILURE[result.reason]))),
      (error: unknown) => {
        log.error({ err: error }, "entry query failed");
        this.guard("queryEntry answer", () => this.respond(connection, message.id, { code: 500, message: "entry query failed" }));
      },
    );
  }

  private respond(connection: GateConnection, id: number, body: object): void {
    this.send(connection, encodeDataPackage({ type: MessageType.Response, id, body: JSON.stringify(body) }));
  }

  private send(connection: GateConnection, bytes: Uint8Array): void {
    const ws = connection.ws;
    if (ws === undefined || connection.closing) return;
    ws.cork(() => {
      ws.send(bytes, true);
    });
  }

  private close(connection: GateConnection, kind: keyof GateCounters["closes"], reason: string, kick: boolean): void {
    const ws = connection.ws;
    if (ws === undefined || connection.closing) return;
    connection.closing = true;
    this.counters.closes[kind]++;
    if (kick) {
      ws.cork(() => {
        ws.send(encodeKickPackage(reason), true);
      });
    }
    const bytes = Buffer.from(reason, "utf8");
    ws.end(GateCloseCode[kind], bytes.length <= 123 ? reason : kind);
  }

  /** Dead-client detection (Pomelo #814): no handshake + ack in time, or silent for 2× heartbeat. */
  private sweep(nowMs: number): void {
    const silenceLimitMs = 2 * this.config.heartbeatSec * 1_000;
    for (const connection of [...this.connections]) {
      if (connection.phase !== Phase.Ready) {
        if (nowMs - connection.openedMs > this.config.handshakeTimeoutMs) {
          this.close(connection, "handshakeTimeout", `handshake not completed within ${this.config.handshakeTimeoutMs} ms`, true);
        }
      } else if (nowMs - connection.lastHeardMs > silenceLimitMs) {
        this.close(connection, "heartbeatTimeout", `heartbeat timeout: silent for over ${silenceLimitMs} ms`, true);
      }
    }
  }

  /** uWS callbacks must never throw. */
  private guard(what: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      log.error({ err: error, handler: what }, "gate handler failed");
    }
  }
}

function entryBody(result: Extract<EntryResult, { ok: true }>): { code: 200; host: string; port: number; url: string; token: string; connectorId: string } {
  return { code: 200, host: result.host, port: result.port, url: result.url, token: result.token, connectorId: result.connectorId };
}

type RefusalReason = Extract<EntryResult, { ok: false }>["reason"];

const HTTP_FAILURE: Readonly<Record<RefusalReason, readonly [status: string, code: number]>> = {
  BAD_UID: ["400 Bad Request", 400],
  BAD_QUERY: ["400 Bad Request", 400],
  BAD_RESUME: ["401 Unauthorized", 401],
  UNAUTHENTICATED: ["401 Unauthorized", 401],
  RATE_LIMITED: ["429 Too Many Requests", 429],
  AUTH_UNAVAILABLE: ["503 Service Unavailable", 503],
  NO_CONNECTOR: ["503 Service Unavailable", 503],
};

/** The Pomelo `code` of a refused queryEntry: the HTTP one, except Pomelo's convention answers "no server" as 500. */
const POMELO_FAILURE: Readonly<Record<RefusalReason, number>> = Object.fromEntries(
  Object.entries(HTTP_FAILURE).map(([reason, [, code]]) => [reason, reason === "NO_CONNECTOR" ? 500 : code]),
) as Record<RefusalReason, number>;

const REFUSAL_COUNTER: Readonly<Record<RefusalReason, Exclude<keyof GateCounters["queries"], "ok" | "resumed">>> = {
  BAD_UID: "badUid",
  BAD_QUERY: "badQuery",
  BAD_RESUME: "badResume",
  UNAUTHENTICATED: "unauthenticated",
  AUTH_UNAVAILABLE: "authUnavailable",
  RATE_LIMITED: "rateLimited",
  NO_CONNECTOR: "noConnector",
};

/** `{code, error, message}` (+ `retryAfterSec`): `error` is the machine-readable reason. */
function refusalBody(result: Extract<EntryResult, { ok: false }>, code: number): { code: number; error: RefusalReason; message: string; retryAfterSec?: number } {
  return { code, error: result.reason, message: result.message, ...("retryAfterSec" in result ? { retryAfterSec: result.retryAfterSec } : {}) };
}

/** The token of `Authorization: Bearer <token>`; another scheme is passed on whole, to be refused by the authenticator. */
function bearerToken(header: string): string | undefined {
  if (header === "") return undefined;
  const match = /^Bearer +(\S+)$/i.exec(header);
  return match ? match[1] : header;
}

/** The peer's address as text (uWS writes IPv6 in full); the rate limit's key. */
function remoteAddress(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString("utf8");
}
