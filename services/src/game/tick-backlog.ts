/**
 * How many tick batches may wait in one connector's link: encoded, not yet taken by the kernel.
 * A connector that stops reading (stalled, saturated, partitioned) would otherwise collect up to
 * the link's `maxQueuedBytes` (8 MiB) of ticks that are stale before they leave, and a player it
 * recovers would first be shown seconds of the past. With a bound of a few ticks the game drops
 * the new batch instead: memory stays at a few batches per connector, and the next batch that
 * leaves is a recent one.
 *
 * Counted in bytes of the link's stream: a batch has left once the link's `sentBytes` reach the
 * `encodedBytes` it had right after the batch was queued (other frames on the link are counted too,
 * so a batch is never thought gone early).
 */
export class TickBacklog {
  /** Stream offsets at which the batches not yet known to have left end, oldest first. */
  private readonly ends: number[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`tick backlog limit must be a positive integer, got ${limit}`);
  }

  /** Batches still waiting, given the bytes the link has sent so far. */
  waiting(sentBytes: number): number {
    let left = 0;
    while (left < this.ends.length && this.ends[left]! <= sentBytes) left++;
    this.ends.splice(0, left);
    return this.ends.length;
  }

  /** Whether one more batch may be queued now. */
  admits(sentBytes: number): boolean {
    return this.waiting(sentBytes) < this.limit;
  }

  /** A batch was queued; `encodedBytes`: the link's stream offset right after it. */
  queued(encodedBytes: number): void {
    this.ends.push(encodedBytes);
  }
}
