/**
 * Every failure an RPC caller can see, each with a stable `code` so callers branch on
 * `error.code` (or `instanceof`) instead of parsing messages.
 */

export type RpcErrorCode = "RPC_TIMEOUT" | "RPC_PEER_GONE" | "RPC_WRONG_PEER" | "RPC_REMOTE" | "RPC_BACKPRESSURE" | "RPC_FRAME";

export abstract class RpcError extends Error {
  abstract readonly code: RpcErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No answer within the deadline. The link is fine; a late answer is dropped. */
export class RpcTimeoutError extends RpcError {
  readonly code = "RPC_TIMEOUT";

  constructor(
    readonly peerId: string,
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`rpc ${method} to ${peerId} timed out after ${timeoutMs} ms`);
  }
}

/**
 * The link to the peer dropped, could not be opened, or is backing off after a failure.
 * Every call pending on a dropped link fails with this at once, not at its timeout.
 */
export class PeerGoneError extends RpcError {
  readonly code: "RPC_PEER_GONE" | "RPC_WRONG_PEER" = "RPC_PEER_GONE";

  constructor(
    readonly peerId: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`peer ${peerId} gone: ${detail}`, options);
  }
}

/**
 * The address answered with another server id or incarnation (a reused pod IP, a restarted
 * server). A kind of PeerGoneError on purpose: the server the caller meant is not there, so
 * code that rebinds on "gone" does the right thing without knowing this case.
 */
export class RpcWrongPeerError extends PeerGoneError {
  override readonly code = "RPC_WRONG_PEER";

  constructor(
    readonly expected: { readonly id: string; readonly incarnation?: string },
    readonly actual: { readonly id: string; readonly incarnation: string },
  ) {
    const want = expected.incarnation === undefined ? expected.id : `${expected.id}#${expected.incarnation}`;
    super(expected.id, `address is now held by ${actual.id}#${actual.incarnation}, expected ${want}`);
  }
}

/** The remote handler threw (or no handler exists); carries the remote message and code. */
export class RemoteError extends RpcError {
  readonly code = "RPC_REMOTE";

  constructor(
    readonly peerId: string,
    readonly method: string,
    readonly remoteCode: string,
    readonly remoteMessage: string,
  ) {
    super(`rpc ${method} on ${peerId} failed: [${remoteCode}] ${remoteMessage}`);
  }
}

/** A per-link bound was reached; the caller sheds load instead of the link growing without limit. */
export class RpcBackpressureError extends RpcError {
  readonly code = "RPC_BACKPRESSURE";

  constructor(
    readonly peerId: string,
    readonly limit: "maxPendingRequests" | "maxQueuedBytes",
    readonly limitValue: number,
  ) {
    super(`link to ${peerId} is saturated: ${limit} (${limitValue}) reached`);
  }
}

/** Bytes that are not a valid frame or message: the connection that sent them is closed. */
export class RpcFrameError extends RpcError {
  readonly code = "RPC_FRAME";

  constructor(readonly detail: string, options?: { cause?: unknown }) {
    super(`malformed rpc frame: ${detail}`, options);
  }
}
