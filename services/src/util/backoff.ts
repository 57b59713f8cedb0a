/**
 * Reconnect delays shared by every client that redials (RPC links, Redis): exponential, capped,
 * with a random share so that the servers of a cluster do not all redial a restarted peer in the
 * same millisecond.
 */
export interface BackoffPolicy {
  /** First retry waits about this long. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** Random share of each delay: 0 = none, 1 = anywhere in [0, delay]. */
  readonly jitter: number;
}

/** Delay before retry `attempt` (1 = first): in [ceiling × (1 − jitter), ceiling], ceiling = min(max, base × 2^(attempt−1)). */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(1, Math.round(ceiling * (1 - policy.jitter * random())));
}
