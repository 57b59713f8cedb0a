/**
 * When may a process keep its identity? Pure decision, unit-tested.
 *
 * A lease is lost when the process itself was frozen (SIGSTOP, a long stop-the-world pause,
 * a suspended VM) while its record expired: peers dropped it and moved its players on, so
 * coming back under the old incarnation would silently resurrect stale state.
 * A Redis outage is different: the process kept trying on time and peers could not see
 * anything either, so it re-creates the same lease when Redis returns (a FLUSHALL heals the
 * same way).
 */
export interface LeaseClock {
  /** Monotonic ms of the last refresh that Redis acknowledged. */
  readonly lastAcknowledgedMs: number;
  readonly nowMs: number;
  /** How much later than scheduled this refresh attempt started: large only if the process was frozen. */
  readonly timerLateByMs: number;
  readonly ttlMs: number;
}

export type LeaseDecision = "keep" | "reincarnate";

/** A timer that fires this late (relative to the TTL) means the process, not Redis, stopped. */
export const FROZEN_FRACTION_OF_TTL = 1 / 3;

export function decideLease(clock: LeaseClock): LeaseDecision {
  const expired = clock.nowMs - clock.lastAcknowledgedMs > clock.ttlMs;
  const wasFrozen = clock.timerLateByMs > clock.ttlMs * FROZEN_FRACTION_OF_TTL;
  return expired && wasFrozen ? "reincarnate" : "keep";
}
