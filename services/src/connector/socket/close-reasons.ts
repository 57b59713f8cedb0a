/**
 * Every way the connector ends a client connection: the WebSocket close code, the kind counted in
 * `counters.closes`, and whether the client first gets a Pomelo kick package with `{reason}`.
 * Application codes live in 4000-4999 (RFC 6455 §7.4.2). Documented in docs/connector.md.
 */
export const CloseKind = {
  /** A backend or local code kicked the session (KickRequest, `connector.kick`). */
  kicked: { code: 4000, kick: true },
  /** The uid logged in on another session; this, the older one, is closed. */
  duplicateLogin: { code: 4001, kick: true },
  /** Nothing heard from the client for 2 × heartbeat (Pomelo #814). */
  heartbeatTimeout: { code: 4002, kick: true },
  /** Handshake answered 500/501, then closed. */
  handshakeRejected: { code: 4003, kick: false },
  /** No handshake + ack within handshakeTimeoutMs. */
  handshakeTimeout: { code: 4004, kick: true },
  /** The session's server died and its type's policy is `end`. */
  serverLost: { code: 4005, kick: true },
  /** The client does not read: its send buffer passed maxBackpressureBytes. A kick would not get through. */
  backpressure: { code: 4008, kick: false },
  /** Malformed packages, unknown package types, data before handshake-ack, wrong message types. */
  protocolError: { code: 1002, kick: true },
  /** Text frames: Pomelo speaks binary only. */
  unsupportedData: { code: 1003, kick: true },
  /** Over the per-connection package rate or packages per message. */
  rateLimited: { code: 1008, kick: true },
  /** A package body over maxPackageBodyBytes (a whole message over maxPayloadBytes is closed by uWS itself). */
  oversized: { code: 1009, kick: true },
  /** The connector is stopping. */
  shutdown: { code: 1001, kick: true },
  /** The connector drains (SIGTERM): the client is asked to reconnect elsewhere (kick reason `reconnect`) and resumes. */
  draining: { code: 1001, kick: true },
  /** A bug in the connector; the client is closed rather than left in an unknown state. */
  internalError: { code: 1011, kick: true },
  /** Closes the connector did not start: the client left, the network dropped, uWS idle timeout. */
  clientClosed: { code: 1000, kick: false },
} as const;
export type CloseKind = keyof typeof CloseKind;

/**
 * Whether the player may still come back to this session (resume with its token): the connector
 * drained, the network dropped, the client's or the connector's watchdog gave up, the client did not
 * read. A deliberate goodbye (1000 / 1001 from the client) or a kick ends it.
 */
export function resumableClose(kind: CloseKind, code: number): boolean {
  if (kind === "clientClosed") return code !== 1000 && code !== 1001;
  return kind === "draining" || kind === "heartbeatTimeout" || kind === "backpressure";
}

/** Close frame reasons are limited to 123 bytes (125 minus the code). */
export function closeFrameReason(reason: string): string {
  const bytes = Buffer.from(reason, "utf8");
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString("utf8").replace(/\uFFFD$/u, "") + "...";
}
