/**
 * Redis keys shared by the game-creator (which publishes each game's ready workers) and the game
 * servers (which call them). The `{namespace}` hash tag keeps a cluster's keys on one slot.
 */
export interface WorkerKeys {
  /** Hash player → JSON `{url, revision}` of the game's ready workers. */
  readonly endpoints: string;
  /** Pub/sub hint that `endpoints` changed (the periodic read is the truth). */
  readonly changed: string;
}

export function workerKeys(namespace: string, gameId: string): WorkerKeys {
  const base = `pomona:{${namespace}}:workers:${gameId}`;
  return { endpoints: base, changed: `${base}:changed` };
}

export interface WorkerEndpoint {
  readonly url: string;
}
