/**
 * Method tables for what a side of a link answers. Clients and servers both have one: a
 * connector answers a game server's push/kick/bind just as the game server answers forwarded
 * requests, over the same link.
 */
import type { RpcLink } from "./link";

/**
 * Answers one request. `link` is the link it came in on: its `peerId` says who asked, and the
 * handler may call or notify back on it. Throwing (or rejecting) sends a RemoteError to the
 * caller with the error's message and its string `code` if it has one.
 */
export type RequestHandler<P = unknown, R = unknown> = (payload: P, link: RpcLink) => R | Promise<R>;

/** Consumes one notification; nothing is sent back, and a throw is reported locally. */
export type NotifyHandler<P = unknown> = (payload: P, link: RpcLink) => void;

export class RpcHandlers {
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly notifyHandlers = new Map<string, NotifyHandler>();

  /** Registers the answer to `method`; the payload type is the caller's promise about the wire. */
  handle<P = unknown, R = unknown>(method: string, handler: RequestHandler<P, R>): this {
    this.requestHandlers.set(method, handler as RequestHandler);
    return this;
  }

  onNotify<P = unknown>(method: string, handler: NotifyHandler<P>): this {
    this.notifyHandlers.set(method, handler as NotifyHandler);
    return this;
  }

  requestHandler(method: string): RequestHandler | undefined {
    return this.requestHandlers.get(method);
  }

  notifyHandler(method: string): NotifyHandler | undefined {
    return this.notifyHandlers.get(method);
  }
}
