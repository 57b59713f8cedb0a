/**
 * One WebSocket to one connector speaking Pomelo: handshake → ack, heartbeats both ways with a
 * watchdog, requests matched by id with a timeout, notifies, pushes and kicks. It knows nothing of
 * gates or reconnection; PomonaClient replaces a dead one with a new one.
 *
 * Works on any WebSocket with the browser's interface (the browser's own, or `ws` in Node).
 */
import {
  decodeMessage,
  decodePackages,
  encodeDataPackage,
  encodePackage,
  MAX_PACKAGE_BODY_BYTES,
  MessageType,
  PackageType,
  parseHandshakeResponse,
  parseKick,
  ProtobufProtos,
  type MessageBody,
  type RouteDictionary,
} from "../protocol";
import { PomonaError } from "./errors";

/** The part of the browser WebSocket interface the client uses (`ws` implements it too). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface SocketEvents {
  push(route: string, body: unknown): void;
  kick(reason: string): void;
  /** Once, when the socket is gone (after open or not). */
  close(code: number, reason: string): void;
}

/** Protos a client holds between connections (Pomelo's clients keep them in localStorage). */
export interface ProtosCache {
  protos?: ProtobufProtos;
}

export interface OpenOptions {
  readonly url: string;
  readonly createWebSocket: WebSocketFactory;
  readonly timeoutMs: number;
  readonly sys: Readonly<Record<string, unknown>>;
  readonly user: Readonly<Record<string, unknown>>;
  /** Ask for protobuf bodies (Pomelo's useProtobuf), announcing the cached protos' version; new protos land here. */
  readonly protos?: ProtosCache;
}

/** Closed by the client itself when the connector stays silent past 2 × heartbeat. */
export const HEARTBEAT_TIMEOUT_CLOSE = 4002;
const OPEN = 1;
const MAX_REQUEST_ID = 0x7fffffff;

interface Pending {
  /** Responses carry no route: a protobuf answer is decoded by the request's. */
  readonly route: string;
  resolve(value: unknown): void;
  reject(error: PomonaError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class PomeloSocket {
  /** The connector's handshake `user` answer: `connectorId`, and `uid` + `resumeToken` when token-bound. */
  user: Readonly<Record<string, unknown>> = {};
  private dictionary: RouteDictionary | undefined;
  /** Set when the connector answered `useProto`: bodies on routes with a proto are protobuf. */
  private protobuf: ProtobufProtos | undefined;
  private heartbeatMs = 0;
  private lastHeardMs = Date.now();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private goneReported = false;

  private constructor(
    private readonly ws: WebSocketLike,
    private readonly events: SocketEvents,
  ) {}

  /** Opens the socket and completes the handshake; rejects (UNREACHABLE, HANDSHAKE, TIMEOUT) without emitting close. */
  static open(options: OpenOptions, events: SocketEvents): Promise<PomeloSocket> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let ws: WebSocketLike;
      try {
        ws = options.createWebSocket(options.url);
      } catch (error) {
        reject(new PomonaError("UNREACHABLE", `cannot open ${redact(options.url)}: ${(error as Error).message}`));
        return;
      }
      ws.binaryType = "arraybuffer";
      const socket = new PomeloSocket(ws, events);
      const fail = (error: PomonaError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A socket that never opened reports no close: the caller gets the rejection instead.
        socket.closed = true;
        socket.goneReported = true;
        try {
          ws.close();
        } catch {
          // Already closing.
        }
        reject(error);
      };
      const timer = setTimeout(() => fail(new PomonaError("TIMEOUT", `no handshake from ${redact(options.url)} within ${options.timeoutMs} ms`)), options.timeoutMs);
      // Pomelo's clients announce the version of the protos they hold, 0 for none.
      const sys = options.protos === undefined ? options.sys : { ...options.sys, protoVersion: options.protos.protos?.version ?? 0 };
      ws.onopen = () => ws.send(encodePackage(PackageType.Handshake, utf8(JSON.stringify({ sys, user: options.user }))));
      ws.onerror = () => undefined; // the close event that follows carries the outcome
      ws.onclose = (event) => {
        if (!settled) fail(new PomonaError("UNREACHABLE", `connection to ${redact(options.url)} closed before the handshake (${event.code}${event.reason ? ` ${event.reason}` : ""})`));
        else socket.gone(event.code, event.reason);
      };
      ws.onmessage = (event) => {
        if (socket.goneReported) return;
        if (settled) {
          socket.onMessage(event.data);
          return;
        }
        try {
          const [first] = decodePackages(bytesOf(event.data), MAX_PACKAGE_BODY_BYTES);
          if (first?.type !== PackageType.Handshake) return fail(new PomonaError("HANDSHAKE", "the connector did not answer the handshake"));
          const response = parseHandshakeResponse(first.body);
          if (response.code !== 200) return fail(new PomonaError("HANDSHAKE", `handshake refused with code ${response.code}`, { status: response.code }));
          socket.dictionary = response.dictionary;
          socket.user = response.user ?? {};
          if (options.protos !== undefined && response.useProto === true) {
            if (response.protos !== undefined) options.protos.protos = ProtobufProtos.fromHandshake(response.protos);
            if (options.protos.protos === undefined) return fail(new PomonaError("HANDSHAKE", "the connector uses protobuf but sent no protos"));
            socket.protobuf = options.protos.protos;
          }
          socket.heartbeatMs = response.heartbeatSeconds * 1000;
          ws.send(encodePackage(PackageType.HandshakeAck));
          settled = true;
          clearTimeout(timer);
          socket.startHeartbeats();
          resolve(socket);
        } catch (error) {
          fail(new PomonaError("HANDSHAKE", `bad handshake answer: ${(error as Error).message}`));
        }
      };
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === OPEN;
  }

  request(route: string, body: unknown, timeoutMs: number): Promise<unknown> {
    if (!this.isOpen) return Promise.reject(new PomonaError("CONNECTION_LOST", "the connection is not open"));
    let encoded: MessageBody;
    try {
      encoded = this.encodeBody(route, body);
    } catch (error) {
      return Promise.reject(new PomonaError("BAD_REQUEST", (error as Error).message));
    }
    const id = this.nextId;
    this.nextId = id >= MAX_REQUEST_ID ? 1 : id + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PomonaError("TIMEOUT", `${route}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { route, resolve, reject, timer });
      this.ws.send(encodeDataPackage({ type: MessageType.Request, id, route, body: encoded }, this.dictionary));
    });
  }

  /** False when the connection is not open; throws BAD_REQUEST when the body does not fit the route's protobuf message. */
  notify(route: string, body: unknown): boolean {
    if (!this.isOpen) return false;
    let encoded: MessageBody;
    try {
      encoded = this.encodeBody(route, body);
    } catch (error) {
      throw new PomonaError("BAD_REQUEST", (error as Error).message);
    }
    this.ws.send(encodeDataPackage({ type: MessageType.Notify, route, body: encoded }, this.dictionary));
    return true;
  }

  private encodeBody(route: string, body: unknown): MessageBody {
    const value = body ?? {};
    return this.protobuf?.client.has(route) ? this.protobuf.client.encode(route, value) : JSON.stringify(value);
  }

  private decodeBody(route: string, bytes: Uint8Array): unknown {
    return this.protobuf?.server.has(route) ? this.protobuf.server.decode(route, bytes) : parseJson(bytes);
  }

  close(code = 1000, reason = "client closed"): void {
    if (this.closed) return;
    try {
      this.ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.gone(code, reason);
  }

  private startHeartbeats(): void {
    this.lastHeardMs = Date.now();
    this.heartbeatTimer = setInterval(() => {
      // The connector closes a client silent for 2 × heartbeat; the client holds it to the same rule.
      if (Date.now() - this.lastHeardMs > 2 * this.heartbeatMs) {
        this.close(HEARTBEAT_TIMEOUT_CLOSE, "heartbeat timeout");
        return;
      }
      if (this.isOpen) this.ws.send(encodePackage(PackageType.Heartbeat));
    }, this.heartbeatMs);
    (this.heartbeatTimer as { unref?: () => void }).unref?.();
  }

  private onMessage(data: unknown): void {
    this.lastHeardMs = Date.now();
    let packages;
    try {
      packages = decodePackages(bytesOf(data), MAX_PACKAGE_BODY_BYTES);
    } catch {
      this.close(1002, "undecodable package from the connector");
      return;
    }

    try {
      for (const pkg of packages) {
        if (pkg.type === PackageType.Kick) this.events.kick(parseKick(pkg.body).reason ?? "");
        else if (pkg.type === PackageType.Data) this.onData(pkg.body);
      }
    } catch (error) {
      // A connector this client cannot understand (another dictionary, a bad body): start over elsewhere.
      this.close(1002, `bad message from the connector: ${(error as Error).message}`);
    }
  }

  private onData(body: Uint8Array): void {
    const message = decodeMessage(body, this.dictionary);
    if (message.type === MessageType.Response) {
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      const value = this.decodeBody(pending.route, message.body);
      const failure = serverError(value);
      if (failure === undefined) pending.resolve(value);
      else pending.reject(failure);
    } else if (message.type === MessageType.Push) {
      this.events.push(message.route, this.decodeBody(message.route, message.body));
    }
  }

  /** Once per socket: the first of a local close and the WebSocket's close event. */
  private gone(code: number, reason: string): void {
    if (this.goneReported) return;
    this.goneReported = true;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new PomonaError("CONNECTION_LOST", `the connection closed (${code}) before request ${id} was answered`));
    }
    this.pending.clear();
    this.events.close(code, reason);
  }
}

/** A connector's error answer: `{code: ≥ 400, error: "<CODE>", message, handlerCode?}` (docs/connector.md). */
function serverError(value: unknown): PomonaError | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const body = value as { code?: unknown; error?: unknown; message?: unknown; handlerCode?: unknown };
  if (typeof body.error !== "string" || typeof body.code !== "number" || body.code < 400) return undefined;
  return new PomonaError("SERVER", typeof body.message === "string" ? body.message : body.error, {
    status: body.code,
    serverCode: body.error,
    ...(typeof body.handlerCode === "string" ? { handlerCode: body.handlerCode } : {}),
  });
}

function parseJson(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function bytesOf(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new PomonaError("UNREACHABLE", "the connector sent a text frame");
}

/** The token stays out of error messages and logs. */
function redact(url: string): string {
  return url.replace(/([?&]token=)[^&]*/, "$1…");
}
