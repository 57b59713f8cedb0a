/**
 * One TCP connection between two servers, usable in both directions: either end may call
 * (multiplexed ids, pipelined, each with a deadline) or notify, and answers what the other
 * end sends with its handler table.
 *
 * Hot path: frames are encoded into the link's FrameWriter, never written one by one. Answers
 * produced while handling one incoming chunk leave in one write at the end of that chunk;
 * frames queued anywhere else leave together once the current callback and its microtasks
 * are done (process.nextTick), so a loop of calls or a tick's notifications share a syscall;
 * a burst is cut every 16 KiB. Calls with the link's default timeout need no timer of their
 * own: they expire in insertion order, so one sweep timer per link serves them all.
 */
import type net from "node:net";
import { performance } from "node:perf_hooks";
import { decodeMessage, MessageKind, PROTOCOL_VERSION, writeError, writeHello, writeNotify, writePing, writePong, writeRequest, writeResponse, writeWelcome, type RpcMessage } from "./codec";
import { PeerGoneError, RemoteError, RpcBackpressureError, RpcError, RpcFrameError, RpcTimeoutError, RpcWrongPeerError } from "./errors";
import { FrameReader, FrameWriter } from "./frame";
import type { RpcHandlers } from "./handlers";
import type { RpcLinkOptions } from "./options";

/**
 * Queued output beyond this is written at once instead of at the end of the turn, so the peer
 * starts on the first part of a burst while we encode the rest (measured: about 1.5× the
 * pipelined round trips/s of a 64 KiB cut, docs/benchmarks.md).
 */
const FLUSH_NOW_BYTES = 16 * 1024;
/** After a graceful close, a peer that never finishes the TCP close is cut off after this. */
const CLOSE_LINGER_MS = 2_000;

export type LinkRole =
  /** Dialled out: states `selfId`, then checks the peer is `expected`. */
  | { readonly kind: "client"; readonly selfId: string; readonly expected: { readonly id: string; readonly incarnation?: string } }
  /** Accepted: waits for the client's id, then answers with its own id and incarnation. */
  | { readonly kind: "server"; readonly selfId: string; readonly incarnation: string };

/** How a link reports to whoever owns it (the client's peer pool or the server). */
export interface LinkObserver {
  /** Handshake done; calls made before this are sent now. */
  onOpen(link: RpcLink): void;
  /** Exactly once. `reason` is undefined for a deliberate close (idle, shutdown). */
  onClose(link: RpcLink, reason: RpcError | undefined): void;
  /** A notification handler threw, or a notification had no handler. */
  onHandlerError(error: unknown, method: string, link: RpcLink): void;
}

export interface CallOptions {
  /** Overrides the link's `requestTimeoutMs` for this call. */
  timeoutMs?: number;
}

export type LinkState = "handshaking" | "open" | "closed";

class PendingCall {
  /** Only calls with a non-default timeout get their own timer. */
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly method: string,
    readonly timeoutMs: number,
    readonly deadlineMs: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: Error) => void,
  ) {}
}

export class RpcLink {
  /** Who is at the other end: the expected id for a dialled link, the stated id for an accepted one (known once open). */
  peerId: string;
  /** The server's incarnation, on the client end once open. */
  peerIncarnation: string | undefined;
  state: LinkState = "handshaking";
  /** Why the link closed (undefined while open, or when closed deliberately). */
  closeReason: RpcError | undefined;

  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  private idsWrapped = false;
  /** Requests from the peer whose async handler has not answered yet. */
  private answering = 0;
  private flushScheduled = false;
  /** True while frames of one socket chunk are being handled: their answers are flushed together at its end. */
  private readingChunk = false;
  /** Last frame of any kind from the peer (liveness). */
  private heardAtMs = performance.now();
  /** Last call, answer or notification in either direction (idle close). */
  private activeAtMs = this.heardAtMs;
  private sweepTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: RpcLinkOptions,
    private readonly handlers: RpcHandlers,
    private readonly role: LinkRole,
    private readonly observer: LinkObserver,
  ) {
    this.peerId = role.kind === "client" ? role.expected.id : `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.reader = new FrameReader(options.maxFrameBytes);
    this.writer = new FrameWriter(options.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.shutdown(new PeerGoneError(this.peerId, `connection error ${error.code ?? error.message}`, { cause: error }), false);
    });
    socket.on("close", () => this.shutdown(new PeerGoneError(this.peerId, "connection closed by peer"), false));
    this.handshakeTimer = setTimeout(() => {
      this.shutdown(new PeerGoneError(this.peerId, `handshake not completed within ${options.handshakeTimeoutMs} ms`), false);
    }, options.handshakeTimeoutMs).unref();
    if (role.kind === "client") {
      // Sent ahead of everything else; calls queue behind it until the peer proves who it is.
      writeHello(this.writer, role.selfId);
      for (const chunk of this.writer.take()) socket.write(chunk);
    }
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Calls awaiting an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Bytes encoded but not yet accepted by the kernel. */
  get queuedBytes(): number {
    return this.writer.queuedBytes + this.socket.writableLength;
  }

  /** Every byte this link has handed to the kernel so far (never decreases). */
  get sentBytes(): number {
    return this.writer.encodedBytes - this.queuedBytes;
  }

  /** Every byte ever queued on this link (never decreases): a frame queued now has left once `sentBytes` reaches this. */
  get encodedBytes(): number {
    return this.writer.encodedBytes;
  }

  call<T = unknown>(method: string, payload?: unknown, options?: CallOptions): Promise<T> {
    if (this.state === "closed") return Promise.reject(this.goneError());
    if (this.pending.size >= this.options.maxPendingRequests) {
      return Promise.reject(new RpcBackpressureError(this.peerId, "maxPendingRequests", this.options.maxPendingRequests));
    }
    if (this.queuedBytes >= this.options.maxQueuedBytes) {
      return Promise.reject(new RpcBackpressureError(this.peerId, "maxQueuedBytes", this.options.maxQueuedBytes));
    }
    const id = this.allocateId();
    try {
      writeRequest(this.writer, id, method, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    this.queued();
    const now = performance.now();
    this.activeAtMs = now;
    const timeoutMs = options?.timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const call = new PendingCall(method, timeoutMs, now + timeoutMs, resolve as (value: unknown) => void, reject);
      if (timeoutMs === this.options.requestTimeoutMs) {
        this.sweepTimer ??= setTimeout(this.sweep, timeoutMs).unref();
      } else {
        call.timer = setTimeout(this.expire, timeoutMs, id).unref();
      }
      this.pending.set(id, call);
    });
  }

  /** Fire-and-forget. Throws PeerGoneError on a closed link and RpcBackpressureError when `maxQueuedBytes` are queued. */
  notify(method: string, payload?: unknown): void {
    if (this.state === "closed") throw this.goneError();
    if (this.queuedBytes >= this.options.maxQueuedBytes) throw new RpcBackpressureError(this.peerId, "maxQueuedBytes", this.options.maxQueuedBytes);
    writeNotify(this.writer, method, payload);
    this.queued();
    this.activeAtMs = performance.now();
  }

  /** Sends what is queued, then closes; pending calls fail with PeerGoneError. */
  close(): void {
    if (this.state === "closed") return;
    this.flush();
    this.shutdown(undefined, true);
  }

  private allocateId(): number {
    let id = this.nextId;
    if (this.idsWrapped) while (this.pending.has(id)) id = id === 0xffffffff ? 1 : id + 1;
    if (id === 0xffffffff) {
      this.nextId = 1;
      this.idsWrapped = true;
    } else {
      this.nextId = id + 1;
    }
    return id;
  }

  private goneError(): PeerGoneError {
    const reason = this.closeReason;
    if (reason instanceof PeerGoneError) return reason;
    return new PeerGoneError(this.peerId, reason ? `link closed: ${reason.message}` : "link closed locally", { cause: reason });
  }

  private queued(): void {
    if (this.writer.queuedBytes >= FLUSH_NOW_BYTES) {
      this.flush();
    } else if (!this.flushScheduled && !this.readingChunk) {
      this.flushScheduled = true;
      process.nextTick(this.flushSoon);
    }
  }

  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.state !== "open") return;
    const chunks = this.writer.take();
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
    } else if (chunks.length > 1) {
      // One writev for the whole batch.
      this.socket.cork();
      for (const chunk of chunks) this.socket.write(chunk);
      this.socket.uncork();
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === "closed") return;
    this.heardAtMs = performance.now();
    this.readingChunk = true;
    try {
      this.reader.push(chunk, this.onFrame);
    } catch (error) {
      const reason = error instanceof RpcError ? error : new RpcFrameError("unreadable frame", { cause: error });
      this.shutdown(reason, false);
    } finally {
      this.readingChunk = false;
    }
    // Everything answered synchronously for this chunk leaves in one write.
    if (this.writer.queuedBytes > 0) this.flush();
  };

  private readonly onFrame = (body: Buffer): void => {
    if (this.state === "closed") return;
    const message = decodeMessage(body);
    if (this.state === "handshaking") {
      this.onHandshake(message);
      return;
    }
    switch (message.kind) {
      case MessageKind.Request:
        this.activeAtMs = this.heardAtMs;
        this.onRequest(message.id, message.method, message.payload);
        return;
      case MessageKind.Response: {
        this.activeAtMs = this.heardAtMs;
        const call = this.settle(message.id);
        if (call !== undefined) call.resolve(message.payload);
        return;
      }
      case MessageKind.Error: {
        this.activeAtMs = this.heardAtMs;
        const call = this.settle(message.id);
        if (call !== undefined) call.reject(new RemoteError(this.peerId, call.method, message.code, message.message));
        return;
      }
      case MessageKind.Notify:
        this.activeAtMs = this.heardAtMs;
        this.onNotify(message.method, message.payload);
        return;
      case MessageKind.Ping:
        writePong(this.writer);
        this.queued();
        return;
      case MessageKind.Pong:
        return;
      default:
        throw new RpcFrameError(`handshake message (kind ${message.kind}) on an open link`);
    }
  };

  /** Removes a pending call being answered; undefined for a late answer to a call that already timed out. */
  private settle(id: number): PendingCall | undefined {
    const call = this.pending.get(id);
    if (call === undefined) return undefined;
    this.pending.delete(id);
    if (call.timer !== undefined) clearTimeout(call.timer);
    return call;
  }

  private onHandshake(message: RpcMessage): void {
    const role = this.role;
    if (role.kind === "server") {
      if (message.kind !== MessageKind.Hello) throw new RpcFrameError(`expected hello, got message kind ${message.kind}`);
      if (message.version !== PROTOCOL_VERSION) throw new RpcFrameError(`unsupported protocol version ${message.version}`);
      this.peerId = message.serverId;
      writeWelcome(this.writer, role.selfId, role.incarnation);
    } else {
      if (message.kind !== MessageKind.Welcome) throw new RpcFrameError(`expected welcome, got message kind ${message.kind}`);
      if (message.version !== PROTOCOL_VERSION) throw new RpcFrameError(`unsupported protocol version ${message.version}`);
      const expected = role.expected;
      if (message.serverId !== expected.id || (expected.incarnation !== undefined && message.incarnation !== expected.incarnation)) {
        // Nothing queued behind the hello ever reaches the wrong server.
        this.shutdown(new RpcWrongPeerError(expected, { id: message.serverId, incarnation: message.incarnation }), false);
        return;
      }
      this.peerIncarnation = message.incarnation;
    }
    this.state = "open";
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    const pingEveryMs = Math.max(5, Math.floor(this.options.pingIntervalMs / 2));
    this.pingTimer = setInterval(this.checkLiveness, pingEveryMs).unref();
    if (this.options.idleCloseMs > 0) this.idleTimer = setTimeout(this.checkIdle, this.options.idleCloseMs).unref();
    this.observer.onOpen(this);
    this.flush();
  }

  private onRequest(id: number, method: string, payload: unknown): void {
    const handler = this.handlers.requestHandler(method);
    if (handler === undefined) {
      this.answerError(id, Object.assign(new Error(`no handler for ${method}`), { code: "METHOD_NOT_FOUND" }));
      return;
    }
    let result: unknown;
    try {
      result = handler(payload, this);
    } catch (error) {
      this.answerError(id, error);
      return;
    }
    if (isPromiseLike(result)) {
      this.answering++;
      result.then(
        (value) => {
          this.answering--;
          this.answer(id, value);
        },
        (error: unknown) => {
          this.answering--;
          this.answerError(id, error);
        },
      );
    } else {
      this.answer(id, result);
    }
  }

  private answer(id: number, value: unknown): void {
    if (this.state === "closed") return;
    try {
      writeResponse(this.writer, id, value);
    } catch (error) {
      this.answerError(id, error);
      return;
    }
    this.queued();
  }

  private answerError(id: number, error: unknown): void {
    if (this.state === "closed") return;
    const code = typeof (error as { code?: unknown } | null)?.code === "string" ? (error as { code: string }).code : "HANDLER_ERROR";
    const message = error instanceof Error ? error.message : String(error);
    writeError(this.writer, id, code, message);
    this.queued();
  }

  private onNotify(method: string, payload: unknown): void {
    const handler = this.handlers.notifyHandler(method);
    if (handler === undefined) {
      this.observer.onHandlerError(new Error(`no notification handler for ${method}`), method, this);
      return;
    }
    try {
      const result: unknown = handler(payload, this);
      // An async handler's rejection must not become an unhandled rejection (which would end the process).
      if (isPromiseLike(result)) result.then(undefined, (error: unknown) => this.observer.onHandlerError(error, method, this));
    } catch (error) {
      this.observer.onHandlerError(error, method, this);
    }
  }

  private readonly expire = (id: number): void => {
    const call = this.pending.get(id);
    if (call === undefined) return;
    this.pending.delete(id);
    call.reject(new RpcTimeoutError(this.peerId, call.method, call.timeoutMs));
  };

  /** Expires default-timeout calls from the oldest; they were inserted in deadline order. */
  private readonly sweep = (): void => {
    this.sweepTimer = undefined;
    const now = performance.now();
    for (const [id, call] of this.pending) {
      if (call.timer !== undefined) continue;
      if (call.deadlineMs > now) {
        this.sweepTimer = setTimeout(this.sweep, Math.max(1, Math.ceil(call.deadlineMs - now))).unref();
        return;
      }
      this.pending.delete(id);
      call.reject(new RpcTimeoutError(this.peerId, call.method, call.timeoutMs));
    }
  };

  private readonly checkLiveness = (): void => {
    const silentMs = performance.now() - this.heardAtMs;
    if (silentMs >= this.options.pingTimeoutMs) {
      this.shutdown(new PeerGoneError(this.peerId, `silent for ${Math.round(silentMs)} ms`), false);
    } else if (silentMs >= this.options.pingIntervalMs) {
      writePing(this.writer);
      this.queued();
    }
  };

  /** Closes the link once nothing was sent or received for idleCloseMs and nothing is in flight either way. */
  private readonly checkIdle = (): void => {
    const idleMs = performance.now() - this.activeAtMs;
    const limitMs = this.options.idleCloseMs;
    if (idleMs >= limitMs && this.pending.size === 0 && this.answering === 0) {
      this.idleTimer = undefined;
      this.close();
      return;
    }
    this.idleTimer = setTimeout(this.checkIdle, idleMs >= limitMs ? limitMs : Math.max(1, Math.ceil(limitMs - idleMs))).unref();
  };

  /** The single way a link ends: stops timers, fails pending calls at once, reports once. */
  private shutdown(reason: RpcError | undefined, graceful: boolean): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.closeReason = reason;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.sweepTimer);
    clearTimeout(this.idleTimer);
    clearInterval(this.pingTimer);
    this.writer.clear();
    if (graceful) {
      this.socket.end();
      const linger = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref();
      this.socket.once("close", () => clearTimeout(linger));
    } else {
      this.socket.destroy();
    }
    const pending = [...this.pending.values()];
    this.pending.clear();
    if (pending.length > 0) {
      const error = this.goneError();
      for (const call of pending) {
        if (call.timer !== undefined) clearTimeout(call.timer);
        call.reject(error);
      }
    }
    this.observer.onClose(this, reason);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
