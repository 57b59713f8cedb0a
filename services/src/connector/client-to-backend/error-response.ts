/**
 * The body of an error response: `{"code":<number>,"error":"<CODE>","message":"…"}` (plus
 * `handlerCode` when a handler chose one). Numbers follow Pomelo's convention of HTTP-like codes
 * in the body (200 ok, 500 failure); the table is in docs/connector.md.
 */
import type { BackendFailureCode } from "../../routing/backend-gateway";

export type LocalFailureCode =
  /** A `connector.*` route with no local handler. */
  | "UNKNOWN_ROUTE"
  /** A body a local handler cannot decode (not UTF-8 JSON). */
  | "BAD_BODY"
  /** The client has maxInFlightRequestsPerClient requests waiting already. */
  | "TOO_MANY_REQUESTS"
  /** The gateway broke its contract (rejected with something other than BackendFailure). */
  | "INTERNAL";

export type ErrorResponseCode = BackendFailureCode | LocalFailureCode;

export const errorStatus: Readonly<Record<ErrorResponseCode, number>> = {
  UNKNOWN_SERVER_TYPE: 404,
  UNKNOWN_ROUTE: 404,
  BAD_BODY: 400,
  TOO_MANY_REQUESTS: 429,
  HANDLER_ERROR: 500,
  INTERNAL: 500,
  NO_SERVER: 503,
  OVERLOADED: 503,
  REBOUND: 503,
  TIMEOUT: 504,
  // Normally never answered: the session is kicked with the reason (SessionEvents.ended).
  SERVER_LOST: 410,
};

export function errorResponseBody(code: ErrorResponseCode, message: string, handlerCode?: string): string {
  return JSON.stringify(
    handlerCode === undefined ? { code: errorStatus[code], error: code, message } : { code: errorStatus[code], error: code, handlerCode, message },
  );
}
