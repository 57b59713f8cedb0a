/**
 * What the connector needs from the backend side: forward a client's request or notify to the
 * right game server (sticky per session and server type), and hear when a session's server died.
 * Implemented by StickyRouter; the connector depends only on this.
 */
import type { Session } from "../session/session";

export type BackendFailureCode =
  /** No live, non-draining server of the route's type. */
  | "NO_SERVER"
  /** Route's first segment names no known server type. */
  | "UNKNOWN_SERVER_TYPE"
  /** The bound server died and the type's policy is `end`: the session must be kicked. */
  | "SERVER_LOST"
  /** The bound server died during this request and the session was moved (policy `rebind`): the client may retry. */
  | "REBOUND"
  /** The server did not answer within the RPC timeout. */
  | "TIMEOUT"
  /** The handler threw or rejected the input; `message` is safe to show the client. */
  | "HANDLER_ERROR"
  /** Too much in flight towards the server. */
  | "OVERLOADED";

export class BackendFailure extends Error {
  constructor(
    readonly code: BackendFailureCode,
    message: string,
    /** Code the handler chose (e.g. 'BAD_INPUT'), passed to the client. */
    readonly handlerCode?: string,
  ) {
    super(message);
    this.name = "BackendFailure";
  }
}

export interface SessionEvents {
  /** The session moved to another server of `serverType` (policy `rebind`): tell the client (`onRebind`). */
  rebound(session: Session, serverType: string, serverId: string): void;
  /** The bound server of `serverType` died and the policy is `end`: kick the client with `reason`. */
  ended(session: Session, serverType: string, reason: string): void;
}

export interface BackendGateway {
  /** Resolves with the encoded response body; rejects with BackendFailure only. */
  request(session: Session, route: string, body: Buffer): Promise<Buffer>;
  /** Fire-and-forget; failures are counted, never thrown. */
  notify(session: Session, route: string, body: Buffer): void;
  /**
   * Tell every backend the session used that it is gone. `resumable`: the client was asked to come
   * back through another connector (drain), so backends keep its state until it resumes there.
   */
  sessionClosed(session: Session, reason: string, resumable?: boolean): void;
}
