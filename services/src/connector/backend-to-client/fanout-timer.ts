/**
 * How long applying one tick batch takes on this connector (membership changes, publishes and
 * direct sends): the connector's share of a tick's latency. A fixed histogram, so recording costs
 * one array increment and memory never grows.
 */
const BUCKET_MS = 0.05;
const BUCKETS = 4000; // up to 200 ms; slower batches land in the last bucket

export class FanoutTimer {
  private readonly histogram = new Uint32Array(BUCKETS);
  private count = 0;
  private maxMs = 0;

  record(durationMs: number): void {
    this.histogram[Math.min(BUCKETS - 1, Math.floor(durationMs / BUCKET_MS))]!++;
    this.count++;
    if (durationMs > this.maxMs) this.maxMs = durationMs;
  }

  reset(): void {
    this.histogram.fill(0);
    this.count = 0;
    this.maxMs = 0;
  }

  /** Upper bound of the bucket holding the `fraction` quantile, in ms; 0 before any batch. */
  quantileMs(fraction: number): number {
    if (this.count === 0) return 0;
    const wanted = Math.ceil(this.count * fraction);
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.histogram[bucket]!;
      if (seen >= wanted) return Number(((bucket + 1) * BUCKET_MS).toFixed(2));
    }
    return this.maxMs;
  }

  summary(): { batches: number; p50Ms: number; p99Ms: number; maxMs: number } {
    return { batches: this.count, p50Ms: this.quantileMs(0.5), p99Ms: this.quantileMs(0.99), maxMs: Number(this.maxMs.toFixed(2)) };
  }
}
