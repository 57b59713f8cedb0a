/**
 * Every way a client call can fail, as one error type with a stable `code`, so a game client can
 * switch on it (retry, re-login, show a message) without parsing text.
 */
export type PomonaErrorCode =
  /** The gate refused the query (credentials refused, bad resume token, rate limited) or had no connector; `status` is its HTTP status, `serverCode` its reason (`UNAUTHENTICATED`, `RATE_LIMITED` …). */
  | "GATE"
  /** The gate or connector could not be reached, or the socket failed before the handshake finished. */
  | "UNREACHABLE"
  /** The connector answered the handshake with a failure (500) or "client too old" (501). */
  | "HANDSHAKE"
  /** No answer within the request (or connect) timeout. */
  | "TIMEOUT"
  /** The connection dropped while the request was in flight: it may or may not have been applied. */
  | "CONNECTION_LOST"
  /** The client is closed (by `close()`, a kick, or after giving up reconnecting). */
  | "CLOSED"
  /** The server answered the request with an error body; `status`, `serverCode` and `handlerCode` say which. */
  | "SERVER"
  /** The request's body does not fit its route's protobuf message (nothing was sent). */
  | "BAD_REQUEST";

export class PomonaError extends Error {
  constructor(
    readonly code: PomonaErrorCode,
    message: string,
    readonly details: { readonly status?: number; readonly serverCode?: string; readonly handlerCode?: string } = {},
  ) {
    super(message);
    this.name = "PomonaError";
  }

  /** Worth trying again after a moment (the cluster is moving the player, or the server is busy). */
  get retryable(): boolean {
    return this.code === "TIMEOUT" || this.code === "CONNECTION_LOST" || this.code === "UNREACHABLE" || ((this.code === "SERVER" || this.code === "GATE") && (this.details.status ?? 0) >= 503) || (this.code === "GATE" && this.details.status === 429);
  }
}
