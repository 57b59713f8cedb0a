/**
 * The client's state for one peer: at most one link, dialled on first use, redialled with
 * backoff after a drop while callers still use it, forgotten once they stop.
 *
 * While backing off, calls fail at once with PeerGoneError rather than waiting: the caller
 * (session routing) learns immediately that its game server is unreachable and can rebind.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import { backoffDelayMs } from "../util/backoff";
import { PeerGoneError, RpcWrongPeerError, type RpcError } from "./errors";
import type { RpcHandlers } from "./handlers";
import { RpcLink, type CallOptions, type LinkObserver } from "./link";
import type { RpcClientOptions, RpcLinkOptions } from "./options";

/** Where a peer listens and who it must be. Discovery's ServerInfo fits as is. */
export interface PeerAddress {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** When given, a server with the same id but another incarnation is refused (it restarted: its state is gone). */
  readonly incarnation?: string;
}

/** What a channel reports to the pool that owns it. */
export interface ChannelOwner {
  readonly options: RpcClientOptions;
  readonly linkOptions: RpcLinkOptions;
  readonly handlers: RpcHandlers;
  linkOpened(channel: PeerChannel, link: RpcLink): void;
  linkClosed(channel: PeerChannel, reason: RpcError | undefined): void;
  reconnectScheduled(channel: PeerChannel, attempt: number, delayMs: number, reason: RpcError): void;
  handlerError(error: unknown, method: string, link: RpcLink): void;
  /** No link and nothing scheduled: the pool may drop the channel. */
  channelIdle(channel: PeerChannel): void;
}

export class PeerChannel implements LinkObserver {
  link: RpcLink | undefined;
  private failures = 0;
  private retryAtMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastFailure: RpcError | undefined;
  /** Last time a caller used this peer: reconnects happen only while it is recent. */
  private usedAtMs = performance.now();
  private shutDown = false;

  constructor(
    readonly address: PeerAddress,
    private readonly owner: ChannelOwner,
  ) {}

  get id(): string {
    return this.address.id;
  }

  sameAddress(other: PeerAddress): boolean {
    const a = this.address;
    return a.host === other.host && a.port === other.port && a.incarnation === other.incarnation;
  }

  call<T>(method: string, payload: unknown, options: CallOptions | undefined): Promise<T> {
    let link: RpcLink | undefined;
    try {
      link = this.acquire();
    } catch (error) {
      // net.connect throws synchronously on an invalid address; a call still only rejects.
      return Promise.reject(error);
    }
    return link === undefined ? Promise.reject(this.backingOffError()) : link.call<T>(method, payload, options);
  }

  notify(method: string, payload: unknown): void {
    const link = this.acquire();
    if (link === undefined) throw this.backingOffError();
    link.notify(method, payload);
  }

  /** Closes the link (pending calls fail with PeerGoneError) and stops reconnecting. */
  shutdown(): void {
    this.shutDown = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.link !== undefined) this.link.close();
    else this.owner.channelIdle(this);
  }

  onOpen(link: RpcLink): void {
    this.failures = 0;
    this.lastFailure = undefined;
    this.owner.linkOpened(this, link);
  }

  onClose(link: RpcLink, reason: RpcError | undefined): void {
    if (link !== this.link) return;
    this.link = undefined;
    this.owner.linkClosed(this, reason);
    if (reason === undefined || this.shutDown) {
      this.owner.channelIdle(this);
      return;
    }
    this.failures++;
    this.lastFailure = reason;
    const delayMs = backoffDelayMs(this.failures, {
      baseMs: this.owner.options.reconnectBaseMs,
      maxMs: this.owner.options.reconnectMaxMs,
      jitter: this.owner.options.reconnectJitter,
    });
    this.retryAtMs = performance.now() + delayMs;
    this.retryTimer = setTimeout(this.retry, delayMs).unref();
    this.owner.reconnectScheduled(this, this.failures, delayMs, reason);
  }

  onHandlerError(error: unknown, method: string, link: RpcLink): void {
    this.owner.handlerError(error, method, link);
  }

  /** The current link, dialling one if there is none; undefined while backing off. */
  private acquire(): RpcLink | undefined {
    const now = performance.now();
    this.usedAtMs = now;
    if (this.link !== undefined) return this.link;
    if (this.shutDown || now < this.retryAtMs) return undefined;
    return this.dial();
  }

  private dial(): RpcLink {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const { host, port, id, incarnation } = this.address;
    const socket = net.connect({ host, port });
    const expected = incarnation === undefined ? { id } : { id, incarnation };
    const role = { kind: "client", selfId: this.owner.options.serverId, expected } as const;
    const link = new RpcLink(socket, this.owner.linkOptions, this.owner.handlers, role, this);
    this.link = link;
    return link;
  }

  private readonly retry = (): void => {
    this.retryTimer = undefined;
    if (this.shutDown) return;
    const idleCloseMs = this.owner.options.idleCloseMs;
    const stillUsed = idleCloseMs === 0 || performance.now() - this.usedAtMs < idleCloseMs;
    if (stillUsed) this.dial();
    else this.owner.channelIdle(this);
  };

  private backingOffError(): PeerGoneError {
    const failure = this.lastFailure;
    if (failure instanceof RpcWrongPeerError) return new RpcWrongPeerError(failure.expected, failure.actual);
    if (this.shutDown) return new PeerGoneError(this.id, "client closed");
    const retryInMs = Math.max(0, Math.ceil(this.retryAtMs - performance.now()));
    const why = failure instanceof PeerGoneError ? failure.detail : (failure?.message ?? "unreachable");
    return new PeerGoneError(this.id, `${why}; next attempt in ${retryInMs} ms`, { cause: failure });
  }
}
