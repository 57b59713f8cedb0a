/**
 * The dialling side: a pool of lazily opened links, one per peer this server actually talks
 * to. A link opens on the first call to a peer, closes after `idleCloseMs` without traffic,
 * and is redialled with backoff after a drop while still in use, so the number of links
 * follows real traffic rather than connectors × game servers.
 *
 * The same links carry the peer's calls and notifications back to us (push, kick, bind),
 * answered by the handlers registered here.
 */
import { log } from "../logging";
import { PeerGoneError, type RpcError } from "./errors";
import { RpcEndpoint } from "./endpoint";
import type { CallOptions, RpcLink } from "./link";
import { parseRpcClientOptions, type RpcClientOptions, type RpcClientOptionsInput, type RpcLinkOptions } from "./options";
import { PeerChannel, type ChannelOwner, type PeerAddress } from "./peer-channel";

export type RpcClientEvents = {
  /** Handshake done with `peerId`; calls queued while dialling are on their way. */
  linkOpen: [peerId: string, link: RpcLink];
  /** `reason` is undefined for a deliberate close (idle, `forget`, `close`). */
  linkClose: [peerId: string, reason: RpcError | undefined];
  /** After a failed dial or a drop: the next attempt waits `delayMs` (attempt 1 = first retry). */
  reconnectScheduled: [peerId: string, attempt: number, delayMs: number, reason: RpcError];
  /** A handler for the peer's notification threw (printed to stderr when nobody listens). */
  handlerError: [error: unknown, method: string, peerId: string];
};

export class RpcClient extends RpcEndpoint<RpcClientEvents> {
  readonly options: RpcClientOptions;
  private readonly channels = new Map<string, PeerChannel>();
  private readonly owner: ChannelOwner;
  private closed = false;

  constructor(input: RpcClientOptionsInput) {
    super();
    this.options = parseRpcClientOptions(input);
    const linkOptions: RpcLinkOptions = { ...this.options, handshakeTimeoutMs: this.options.connectTimeoutMs };
    const channels = this.channels;
    this.owner = {
      options: this.options,
      linkOptions,
      handlers: this.handlers,
      linkOpened: (channel, link) => this.report("linkOpen", channel.id, link),
      linkClosed: (channel, reason) => this.report("linkClose", channel.id, reason),
      reconnectScheduled: (channel, attempt, delayMs, reason) => this.report("reconnectScheduled", channel.id, attempt, delayMs, reason),
      handlerError: (error, method, link) => {
        if (this.listenerCount("handlerError") > 0) this.report("handlerError", error, method, link.peerId);
        else log.error({ err: error, method, peer: link.peerId }, "rpc notification failed");
      },
      channelIdle: (channel) => {
        if (channels.get(channel.id) === channel) channels.delete(channel.id);
      },
    };
  }



  /**
   * Calls `method` on `peer`, dialling a link if none is open. Rejects with RpcTimeoutError,
   * PeerGoneError (RpcWrongPeerError), RemoteError, RpcBackpressureError or RpcFrameError.
   */
  call<T = unknown>(peer: PeerAddress, method: string, payload?: unknown, options?: CallOptions): Promise<T> {
    const channel = this.channel(peer);
    return channel === undefined ? Promise.reject(new PeerGoneError(peer.id, "client closed")) : channel.call<T>(method, payload, options);
  }

  /** Fire-and-forget to `peer`; throws PeerGoneError or RpcBackpressureError when it cannot even be queued. */
  notify(peer: PeerAddress, method: string, payload?: unknown): void {
    const channel = this.channel(peer);
    if (channel === undefined) throw new PeerGoneError(peer.id, "client closed");
    channel.notify(method, payload);
  }

  /** The open link to `peerId`, if any (never dials). */
  link(peerId: string): RpcLink | undefined {
    const link = this.channels.get(peerId)?.link;
    return link?.isOpen ? link : undefined;
  }

  /** Number of open links. */
  get linkCount(): number {
    let open = 0;
    for (const channel of this.channels.values()) if (channel.link?.isOpen) open++;
    return open;
  }

  /** Ids of peers with an open link. */
  linkedPeers(): string[] {
    return [...this.channels.values()].filter((channel) => channel.link?.isOpen).map((channel) => channel.id);
  }

  /** Closes the link to a peer that left the cluster and stops redialling it; its pending calls fail with PeerGoneError. */
  forget(peerId: string): void {
    this.channels.get(peerId)?.shutdown();
  }

  /** Closes every link; pending calls fail with PeerGoneError and later calls are refused. */
  close(): void {
    this.closed = true;
    for (const channel of [...this.channels.values()]) channel.shutdown();
    this.channels.clear();
  }

  /** Emits from inside link machinery: a throwing listener is reported, never allowed to break the link. */
  private report<K extends keyof RpcClientEvents>(event: K, ...args: RpcClientEvents[K]): void {
    try {
      // Cast: the typed emit signature does not resolve for a generic event name.
      (this.emit as (event: K, ...args: RpcClientEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      log.error({ err: error, event }, "an rpc listener threw");
    }
  }

  private channel(peer: PeerAddress): PeerChannel | undefined {
    if (this.closed) return undefined;
    let channel = this.channels.get(peer.id);
    if (channel !== undefined && !channel.sameAddress(peer)) {
      // The peer moved or restarted (new incarnation): the old link talks to the past.
      channel.shutdown();
      channel = undefined;
    }
    if (channel === undefined) {
      channel = new PeerChannel({ id: peer.id, host: peer.host, port: peer.port, ...(peer.incarnation === undefined ? {} : { incarnation: peer.incarnation }) }, this.owner);
      this.channels.set(peer.id, channel);
    }
    return channel;
  }
}
