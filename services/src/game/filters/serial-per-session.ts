/**
 * One request of a session at a time, in the order they arrived (Pomelo's `serial` filter): a
 * handler that awaits (a connector call, `ctx.rpc`) cannot be overtaken by the same player's next
 * request. Each session's queue is bounded; past it the request is refused with SESSION_QUEUE_FULL.
 */
import { GameError, type HandlerFilter } from "../api";

export interface SerialPerSessionOptions {
  /** Requests of one session waiting behind the running one; more are refused. Default 32. */
  readonly maxQueued?: number;
}

export function serialPerSession(options: SerialPerSessionOptions = {}): HandlerFilter {
  const maxQueued = options.maxQueued ?? 32;
  /** Session id → the last request in its queue, and how many wait (the running one included). */
  const queues = new Map<string, { tail: Promise<unknown>; length: number }>();
  return {
    name: "serialPerSession",
    async around(ctx, next) {
      const id = ctx.session.id;
      const queue = queues.get(id) ?? { tail: Promise.resolve(), length: 0 };
      if (queue.length > maxQueued) throw new GameError("SESSION_QUEUE_FULL", `more than ${maxQueued} requests of this session are waiting`);
      const previous = queue.tail;
      const mine = previous.then(next, next);
      queue.tail = mine.catch(() => undefined);
      queue.length++;
      queues.set(id, queue);
      try {
        return await mine;
      } finally {
        if (--queue.length === 0 && queues.get(id) === queue) queues.delete(id);
      }
    },
  };
}
