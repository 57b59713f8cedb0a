/**
 * What both ends of a link share: the handlers that answer the peer's requests and consume its
 * notifications (a client's links also carry calls back from the server it dialled).
 */
import { EventEmitter } from "node:events";
import { RpcHandlers, type NotifyHandler, type RequestHandler } from "./handlers";

export abstract class RpcEndpoint<Events extends Record<keyof Events, unknown[]>> extends EventEmitter<Events> {
  readonly handlers = new RpcHandlers();

  /** Registers the answer to a request the peer sends over a link. */
  handle<P = unknown, R = unknown>(method: string, handler: RequestHandler<P, R>): this {
    this.handlers.handle(method, handler);
    return this;
  }

  /** Registers the consumer of a notification the peer sends over a link. */
  onNotify<P = unknown>(method: string, handler: NotifyHandler<P>): this {
    this.handlers.onNotify(method, handler);
    return this;
  }
}
