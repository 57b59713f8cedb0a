/**
 * Dead-client detection (Pomelo #814): one timer walks every connection; a client that has not
 * finished its handshake in time, or has been silent for 2× the heartbeat, is kicked.
 */
import { ConnectionPhase, type ClientConnection } from "./client-connection";

export interface LivenessLimits {
  readonly heartbeatSec: number;
  readonly handshakeTimeoutMs: number;
}

/** Often enough that a dead client goes within a quarter heartbeat of its deadline, at most once a second. */
export function sweepIntervalMs(limits: LivenessLimits): number {
  return Math.min(1_000, Math.max(50, (limits.heartbeatSec * 1_000) / 4));
}

export function sweepConnections(connections: Iterable<ClientConnection>, limits: LivenessLimits, nowMs: number): void {
  const silenceLimitMs = 2 * limits.heartbeatSec * 1_000;
  const stale: Array<[ClientConnection, "handshakeTimeout" | "heartbeatTimeout"]> = [];
  for (const connection of connections) {
    const ws = connection.ws;
    if (ws === undefined || !connection.isOpen) continue;
    // Remembered so a later uWS backpressure close can be told from a lost client.
    connection.bufferedBytesSeen = ws.getBufferedAmount();
    if (connection.phase !== ConnectionPhase.Ready) {
      if (nowMs - connection.openedMs > limits.handshakeTimeoutMs) stale.push([connection, "handshakeTimeout"]);
    } else if (nowMs - connection.lastHeardMs > silenceLimitMs) {
      stale.push([connection, "heartbeatTimeout"]);
    }
  }
  // Closed after the walk: a close removes the connection from the collection being iterated.
  for (const [connection, kind] of stale) {
    connection.close(kind, kind === "handshakeTimeout" ? `handshake not completed within ${limits.handshakeTimeoutMs} ms` : `heartbeat timeout: silent for over ${silenceLimitMs} ms`);
  }
}
