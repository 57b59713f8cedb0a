/** A per-connection rate limit: `ratePerSec` tokens refill continuously up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.refilledAtMs = nowMs;
  }

  /** Takes `count` tokens; false (and nothing taken) when there are not enough. */
  take(count: number, nowMs: number): boolean {
    const elapsedMs = nowMs - this.refilledAtMs;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1000);
      this.refilledAtMs = nowMs;
    }
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}
