/**
 * Per-route rate limits on one connection: a token bucket per (connection, limited route), made on
 * the route's first use, so a client may chat twice a second but move thirty times. Routes without a
 * limit only pass the connection-wide bucket.
 */
import { TokenBucket } from "../socket/token-bucket";

export interface RouteLimit {
  /** Sustained messages per second on this route. */
  readonly perSec: number;
  /** Messages allowed in a burst. */
  readonly burst: number;
}

export class RouteLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly limits: ReadonlyMap<string, RouteLimit>) {}

  /** True when the route is within its limit (or has none); takes one token. */
  allow(route: string, nowMs: number): boolean {
    const limit = this.limits.get(route);
    if (limit === undefined) return true;
    let bucket = this.buckets.get(route);
    if (bucket === undefined) this.buckets.set(route, (bucket = new TokenBucket(limit.perSec, limit.burst, nowMs)));
    return bucket.take(1, nowMs);
  }
}
