/**
 * The Pomona client SDK, for browsers and Node: asks the gate for a connector, speaks Pomelo to
 * it, and when that connector dies comes back through the gate on another one with its resume
 * token — same uid, same game servers, no new login (docs/client-sdk.md).
 *
 *   const client = new PomonaClient({ gateUrl: "https://gate.play.example.com", credentials: () => studio.idToken() });
 *   client.on("onState", (state) => draw(state));
 *   await client.connect();
 *   await client.request("arena.room.join", {});
 *   client.notify("arena.room.move", { seq: 1, dir: "up" });
 *
 * Events (`on(name, listener)`): every push route the servers send (`onState`, `onRebind`,
 * `onResume` …), plus `connected` {connectorId, uid, resumed}, `disconnected` {code, reason,
 * willReconnect}, `reconnecting` {attempt, delayMs, reason}, `kicked` {reason} and `closed`
 * {code, reason} (final: the client will not reconnect).
 */
import { backoffDelayMs, type BackoffPolicy } from "../util/backoff";
import { Emitter } from "./emitter";
import { PomonaError } from "./errors";
import { queryGate, type Entry, type EntryQuery, type FetchLike } from "./gate-query";
import { PomeloSocket, type ProtosCache, type WebSocketFactory } from "./pomelo-socket";
import { shouldReconnect } from "./reconnect-policy";

export interface ReconnectOptions {
  /** Attempts before giving up (then `closed`). Default 20. */
  readonly maxAttempts?: number;
  /** First retry after a failed attempt; doubles up to `maxDelayMs`, with jitter. The first attempt is immediate. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface PomonaClientOptions {
  /** The gate's HTTP address, `https://gate.play.example.com`. */
  readonly gateUrl: string;
  /**
   * The player's studio credential (a JWT in the gate's jwt mode, whatever the studio's webhook
   * checks in webhook mode), sent as `Authorization: Bearer`. A function is asked again before
   * every login, so a refreshed token is used after a long disconnect.
   */
  readonly credentials?: string | (() => string | Promise<string>);
  /** Who logs in, for a gate in trust-uid mode only (local development); other modes refuse it. */
  readonly uid?: string;
  /** Default: the global WebSocket (browsers). In Node: `(url) => new WebSocket(url)` from `ws`. */
  readonly createWebSocket?: WebSocketFactory;
  /** Default: the global fetch. */
  readonly fetch?: FetchLike;
  /** Sent as the handshake's `user` (the game's own handshake check reads it). */
  readonly handshakeUser?: Readonly<Record<string, unknown>>;
  /** Sent as the handshake's `sys.type`/`sys.version`. */
  readonly clientType?: string;
  readonly clientVersion?: string;
  /** Per request; also how long a request made while reconnecting waits for the connection. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Gate query plus socket open plus handshake. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Reconnect with resume after an unexpected close; `false` turns it off. */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * Pomelo's `useProtobuf`: bodies are protobuf on every route the connector has protos for. The
   * protos come in the first handshake and are kept by version for the client's later connections.
   */
  readonly useProtobuf?: boolean;
}

export type ClientState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

const RESUME_ROUTE = "connector.session.resume";

export class PomonaClient extends Emitter {
  private readonly options: PomonaClientOptions;
  private readonly createWebSocket: WebSocketFactory;
  private readonly fetchImpl: FetchLike;
  private readonly backoff: BackoffPolicy;
  private readonly maxAttempts: number;
  private socket: PomeloSocket | undefined;
  /** The protos of the last handshake that sent them (useProtobuf): announced by version, so they are not sent again. */
  private readonly protos: ProtosCache = {};
  private stateValue: ClientState = "idle";
  private uidValue: string | undefined;
  private resumeToken: string | undefined;
  private resumeTimer: ReturnType<typeof setTimeout> | undefined;
  private connectorIdValue: string | undefined;
  private lastKick: string | undefined;
  private waiters: Array<() => void> = [];
  /** Times the client came back on a new connector (tests and the demo show it). */
  reconnects = 0;

  constructor(options: PomonaClientOptions) {
    super();
    if (typeof options.gateUrl !== "string" || !/^https?:\/\//.test(options.gateUrl)) throw new PomonaError("GATE", `gateUrl must be an http(s) URL, got ${String(options.gateUrl)}`);
    this.options = options;
    this.uidValue = options.uid;
    const globals = globalThis as { WebSocket?: new (url: string) => unknown; fetch?: FetchLike };
    const NativeWebSocket = globals.WebSocket;
    this.createWebSocket = options.createWebSocket ?? ((url) => {
      if (NativeWebSocket === undefined) throw new PomonaError("UNREACHABLE", "no global WebSocket here: pass createWebSocket (in Node, from the ws package)");
      return new NativeWebSocket(url) as ReturnType<WebSocketFactory>;
    });
    const nativeFetch = globals.fetch;
    if (options.fetch === undefined && nativeFetch === undefined) throw new PomonaError("UNREACHABLE", "no global fetch here: pass fetch");
    this.fetchImpl = options.fetch ?? ((url, init) => nativeFetch!(url, init));
    const reconnect = options.reconnect === false ? { maxAttempts: 0 } : (options.reconnect ?? {});
    this.maxAttempts = reconnect.maxAttempts ?? 20;
    this.backoff = { baseMs: reconnect.baseDelayMs ?? 100, maxMs: reconnect.maxDelayMs ?? 5_000, jitter: 0.5 };
  }

  get state(): ClientState {
    return this.stateValue;
  }

  /** The uid the connector holds for this client (from the gate's token). */
  get uid(): string | undefined {
    return this.uidValue;
  }

  /** The connector serving this client now. */
  get connectorId(): string | undefined {
    return this.connectorIdValue;
  }

  /** Gate → connector → handshake. Rejects with a PomonaError (GATE, UNREACHABLE, HANDSHAKE, TIMEOUT). */
  async connect(): Promise<void> {
    if (this.stateValue !== "idle") throw new PomonaError("CLOSED", `connect() is called once; the client is ${this.stateValue}`);
    this.setState("connecting");
    try {
      await this.attach(this.loginQuery(), false);
    } catch (error) {
      this.setState("closed");
      throw error;
    }
  }

  /** Resolves with the response body; rejects with a PomonaError (SERVER carries the server's codes). */
  async request<T = unknown>(route: string, body: unknown = {}): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    await this.whenOpen(deadline, route);
    return (await this.socket!.request(route, body, Math.max(1, deadline - Date.now()))) as T;
  }

  /** Fire and forget; false when there is no open connection to send it on. */
  notify(route: string, body: unknown = {}): boolean {
    return this.socket?.notify(route, body) ?? false;
  }

  /** A connector round trip that never reaches a game server: resolves with the milliseconds it took. */
  async ping(): Promise<number> {
    const started = Date.now();
    await this.request("connector.session.ping");
    return Date.now() - started;
  }

  /** Closes for good: no reconnect; pending and waiting requests fail with CLOSED / CONNECTION_LOST. */
  close(): void {
    if (this.stateValue === "closed") return;
    this.setState("closed");
    clearTimeout(this.resumeTimer);
    this.socket?.close(1000, "client closed");
    this.socket = undefined;
    this.emit("closed", { code: 1000, reason: "client closed" });
  }

  /** A login: the configured uid (trust-uid gates); credentials go with every query that is not a resume. */
  private loginQuery(): EntryQuery {
    return this.options.uid === undefined ? {} : { uid: this.options.uid };
  }

  private async credentials(): Promise<string | undefined> {
    const given = this.options.credentials;
    return typeof given === "function" ? await given() : given;
  }

  /** Asks the gate, opens the connector it names, and adopts the socket. */
  private async attach(query: EntryQuery, resumed: boolean): Promise<void> {
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000;
    // A resume token proves the uid by itself: the credential stays with the client.
    const credentials = query.resume === undefined ? await this.credentials() : undefined;
    const entry: Entry = await queryGate(this.options.gateUrl, query, credentials, this.fetchImpl, connectTimeoutMs);
    const socket = await PomeloSocket.open(
      {
        url: entry.url,
        createWebSocket: this.createWebSocket,
        timeoutMs: connectTimeoutMs,
        sys: { type: this.options.clientType ?? "pomona-js", version: this.options.clientVersion ?? "1.0.0" },
        user: this.options.handshakeUser ?? {},
        ...(this.options.useProtobuf === true ? { protos: this.protos } : {}),
      },
      {
        push: (route, body) => this.emit(route, body),
        kick: (reason) => {
          this.lastKick = reason;
          this.emit("kicked", { reason });
        },
        close: (code, reason) => this.socketClosed(socket, code, reason),
      },
    );
    if (this.stateValue === "closed") {
      socket.close(1000, "client closed");
      return;
    }
    this.socket = socket;
    if (!socket.isOpen) {
      // Closed between the handshake and here: its close event was dropped as not yet ours.
      this.socketClosed(socket, 1006, "closed right after the handshake");
      return;
    }
    this.lastKick = undefined;
    this.connectorIdValue = typeof socket.user.connectorId === "string" ? socket.user.connectorId : entry.connectorId;
    if (typeof socket.user.uid === "string") this.uidValue = socket.user.uid;
    this.adoptResumeToken(socket.user.resumeToken, socket.user.resumeExpiresAtMs);
    this.setState("open");
    this.emit("connected", { connectorId: this.connectorIdValue, uid: this.uidValue, resumed });
  }

  private socketClosed(socket: PomeloSocket, code: number, reason: string): void {
    if (socket !== this.socket || this.stateValue === "closed") return;
    this.socket = undefined;
    clearTimeout(this.resumeTimer);
    const willReconnect = this.maxAttempts > 0 && shouldReconnect(code, this.lastKick);
    this.emit("disconnected", { code, reason: this.lastKick ?? reason, willReconnect });
    if (!willReconnect) {
      this.setState("closed");
      this.emit("closed", { code, reason: this.lastKick ?? reason });
      return;
    }
    this.setState("reconnecting");
    void this.reconnect(this.connectorIdValue, this.lastKick ?? reason);
  }

  /** Back through the gate to another connector: resume token first, a fresh login if the gate refuses it. */
  private async reconnect(lostConnectorId: string | undefined, why: string): Promise<void> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      // A connector's death disconnects all its clients at once: spread the first attempts a little.
      const delayMs = attempt === 1 ? Math.floor(Math.random() * 50) : backoffDelayMs(attempt - 1, this.backoff);
      this.emit("reconnecting", { attempt, delayMs, reason: why });
      await sleep(delayMs);
      if (this.stateValue === "closed") return;
      const query: EntryQuery = this.resumeToken !== undefined ? { resume: this.resumeToken } : this.loginQuery();
      try {
        // The lost connector stays listed in discovery until its lease expires: every attempt avoids it.
        await this.attach(lostConnectorId === undefined ? query : { ...query, avoid: lostConnectorId }, this.resumeToken !== undefined);
        if (this.stateValue === "open") this.reconnects++;
        return;
      } catch (error) {
        const failure = error as PomonaError;
        // A refused resume token (expired, rotated secret): log in again. Refused credentials or a bad query: give up.
        if (failure.code === "GATE" && failure.details.status === 401 && this.resumeToken !== undefined) {
          this.resumeToken = undefined;
        } else if (failure.code === "GATE" && (failure.details.status === 400 || failure.details.status === 401)) {
          break;
        }
        why = failure.message;
      }
    }
    if (this.stateValue === "closed") return;
    this.setState("closed");
    this.emit("closed", { code: 1006, reason: `gave up reconnecting: ${why}` });
  }

  /** Keeps a fresh resume token: refreshed at half its life through the connector. */
  private adoptResumeToken(token: unknown, expiresAtMs: unknown): void {
    if (typeof token !== "string" || typeof expiresAtMs !== "number") return;
    this.resumeToken = token;
    clearTimeout(this.resumeTimer);
    const refreshInMs = Math.max(1_000, (expiresAtMs - Date.now()) / 2);
    this.resumeTimer = setTimeout(() => {
      this.request<{ resumeToken: string; expiresAtMs: number }>(RESUME_ROUTE).then(
        (answer) => this.adoptResumeToken(answer.resumeToken, answer.expiresAtMs),
        () => undefined,
      );
    }, refreshInMs);
    (this.resumeTimer as { unref?: () => void }).unref?.();
  }

  private whenOpen(deadline: number, route: string): Promise<void> {
    if (this.stateValue === "open" && this.socket?.isOpen) return Promise.resolve();
    if (this.stateValue === "closed" || this.stateValue === "idle") return Promise.reject(new PomonaError("CLOSED", `${route}: the client is ${this.stateValue}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
        reject(new PomonaError("TIMEOUT", `${route}: not reconnected within the request timeout`));
      }, Math.max(1, deadline - Date.now()));
      const wake = () => {
        clearTimeout(timer);
        if (this.stateValue === "open") resolve();
        else reject(new PomonaError("CLOSED", `${route}: the client closed while reconnecting`));
      };
      this.waiters.push(wake);
    });
  }

  private setState(state: ClientState): void {
    this.stateValue = state;
    if (state !== "open" && state !== "closed") return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
