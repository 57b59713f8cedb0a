/**
 * A handler (and every filter inside this one) that has not answered within `ms` is answered
 * HANDLER_TIMEOUT. The handler is not stopped — JavaScript cannot stop a promise — so what it does
 * later still happens, but the client has its answer and a `serialPerSession` outside this filter
 * lets the session's next request run.
 */
import { GameError, type HandlerFilter } from "../api";

export interface HandlerTimeoutOptions {
  readonly ms: number;
}

export function handlerTimeout(options: HandlerTimeoutOptions): HandlerFilter {
  if (!Number.isFinite(options.ms) || options.ms <= 0) throw new Error(`handlerTimeout: ms must be a positive number of milliseconds, got ${options.ms}`);
  return {
    name: "handlerTimeout",
    around(ctx, next) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new GameError("HANDLER_TIMEOUT", `${ctx.route} did not answer within ${options.ms} ms`)), options.ms);
        next().then(resolve, reject).finally(() => clearTimeout(timer));
      });
    },
  };
}
