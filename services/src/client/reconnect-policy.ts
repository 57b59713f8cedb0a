/**
 * Which closes the client recovers from by itself, pure. A connector that died, drained or lost the
 * network is left behind for another one (resume); a close that says "you may not be here" — kicked,
 * logged in elsewhere, refused, misbehaving — is final, because reconnecting would repeat it.
 */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  1002, // protocol error: a bug in this client
  1003, // text frames
  1008, // rate limited
  1009, // message too big
  4000, // kicked by the game
  4001, // logged in elsewhere
  4003, // handshake rejected
  4005, // the session's server is gone and its policy ends the session
]);

/** Kick reasons that ask the client to come back elsewhere, whatever the close code. */
const RECONNECT_KICK_REASONS: ReadonlySet<string> = new Set(["reconnect", "server shutting down", "connector draining"]);

export function shouldReconnect(closeCode: number, kickReason: string | undefined): boolean {
  if (kickReason !== undefined && RECONNECT_KICK_REASONS.has(kickReason)) return true;
  return !FINAL_CLOSE_CODES.has(closeCode);
}
