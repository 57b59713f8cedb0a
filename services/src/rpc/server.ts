/**
 * The accepting side. Each accepted connection becomes a link once the client has stated its
 * server id; the server keeps the newest link per client id so it can call or notify that
 * client back (backend → frontend: push, kick, bind, the per-tick batch).
 */
import { log } from "../logging";
import net from "node:net";
import type { RpcError } from "./errors";
import { RpcEndpoint } from "./endpoint";
import { RpcLink, type LinkObserver } from "./link";
import { parseRpcServerOptions, type RpcLinkOptions, type RpcServerOptions, type RpcServerOptionsInput } from "./options";

export type RpcServerEvents = {
  /** A client completed the handshake; `link.peerId` is its server id. */
  linkOpen: [link: RpcLink];
  /** A link ended; `reason` is undefined for a deliberate close. Malformed input shows up here as RpcFrameError. */
  linkClose: [link: RpcLink, reason: RpcError | undefined];
  /** A notification handler threw (printed to stderr when nobody listens). */
  handlerError: [error: unknown, method: string, peerId: string];
};

export class RpcServer extends RpcEndpoint<RpcServerEvents> {
  readonly options: RpcServerOptions;
  private readonly linkOptions: RpcLinkOptions;
  private readonly byPeer = new Map<string, RpcLink>();
  /** Every link, including those still handshaking, so `close` reaches them all. */
  private readonly all = new Set<RpcLink>();
  private readonly listener: net.Server;
  private readonly observer: LinkObserver;
  private incarnation: string;

  constructor(input: RpcServerOptionsInput) {
    super();
    this.options = parseRpcServerOptions(input);
    this.incarnation = this.options.incarnation;
    this.linkOptions = { ...this.options };
    this.observer = {
      onOpen: (link) => {
        const previous = this.byPeer.get(link.peerId);
        this.byPeer.set(link.peerId, link);
        // The client redialled, so its old link is dead even if we have not noticed yet.
        if (previous !== undefined && previous !== link) previous.close();
        this.report("linkOpen", link);
      },
      onClose: (link, reason) => {
        this.all.delete(link);
        // Only the newest link for an id may unregister it (a late close of an old link must not hide the new one).
        if (this.byPeer.get(link.peerId) === link) this.byPeer.delete(link.peerId);
        this.report("linkClose", link, reason);
      },
      onHandlerError: (error, method, link) => {
        if (this.listenerCount("handlerError") > 0) this.report("handlerError", error, method, link.peerId);
        else log.error({ err: error, method, peer: link.peerId }, "rpc notification failed");
      },
    };
    this.listener = net.createServer((socket) => this.accept(socket));
  }



  /** Starts accepting; port 0 picks a free one. Resolves with the bound address. */
  listen(port = 0, host = "127.0.0.1"): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.listener.once("error", onError);
      this.listener.listen(port, host, () => {
        this.listener.off("error", onError);
        // Accept errors after start (EMFILE…) affect one connection, never the process.
        this.listener.on("error", (error) => log.error({ err: error }, "rpc listener error"));
        resolve(this.address()!);
      });
    });
  }

  address(): { host: string; port: number } | undefined {
    const address = this.listener.address();
    return address !== null && typeof address === "object" ? { host: address.address, port: address.port } : undefined;
  }

  /** The open link from client `peerId`, to call or notify it back; undefined if it has none. */
  link(peerId: string): RpcLink | undefined {
    return this.byPeer.get(peerId);
  }

  /** Open links, one per connected client id. */
  links(): RpcLink[] {
    return [...this.byPeer.values()];
  }

  /** Stops accepting and closes every link; calls pending on them fail with PeerGoneError. */
  close(): Promise<void> {
    for (const link of [...this.all]) link.close();
    return new Promise((resolve) => {
      if (!this.listener.listening) resolve();
      else this.listener.close(() => resolve());
    });
  }

  /** Emits from inside link machinery: a throwing listener is reported, never allowed to break the link. */
  private report<K extends keyof RpcServerEvents>(event: K, ...args: RpcServerEvents[K]): void {
    try {
      // Cast: the typed emit signature does not resolve for a generic event name.
      (this.emit as (event: K, ...args: RpcServerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      log.error({ err: error, event }, "an rpc listener threw");
    }
  }

  /**
   * The process registered again under a new incarnation: links open now belong to the old one, so
   * they are closed (their calls fail as "peer gone"), and peers dial again expecting the new one.
   */
  reincarnate(incarnation: string): void {
    this.incarnation = incarnation;
    for (const link of [...this.all]) link.close();
  }

  private accept(socket: net.Socket): void {
    const role = { kind: "server", selfId: this.options.serverId, incarnation: this.incarnation } as const;
    this.all.add(new RpcLink(socket, this.linkOptions, this.handlers, role, this.observer));
  }
}
