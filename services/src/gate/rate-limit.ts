/**
 * Per-address token buckets for entry queries (`/entry` and queryEntry): each address may make
 * `burst` queries at once and `perSec` a second after that. Memory is bounded: at most
 * `maxAddresses` buckets, the least recently used one forgotten first (a forgotten address starts
 * with a full bucket, so a flood of addresses can only ever cost the flooder). IPv6 addresses
 * count per /64, the block one subscriber holds.
 */
import { isIPv6 } from "node:net";

export interface RateLimitOptions {
  readonly perSec: number;
  readonly burst: number;
  readonly maxAddresses: number;
}

export type RateVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterSec: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class AddressRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Addresses tracked now (≤ maxAddresses). */
  get size(): number {
    return this.buckets.size;
  }

  take(address: string, nowMs: number): RateVerdict {
    const key = addressKey(address);
    const { perSec, burst } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1_000) * perSec);
    bucket.updatedMs = nowMs;
    // Re-inserted so Map order is least recently used first.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.options.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / perSec)) };
  }
}

/** The bucket an address counts in: itself for IPv4, its /64 for IPv6 (uWS writes IPv6 in full, 8 groups). */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  // IPv4-mapped (::ffff:a.b.c.d, or in hex on a dual-stack socket): the IPv4 address itself, never one shared /64.
  if (groups.slice(0, 5).every((group) => group === "0") && groups[5] === "ffff") {
    const [high, low] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  return `${groups.slice(0, 4).join(":")}::/64`;
}

function expandIPv6(address: string): string[] {
  // A trailing dotted quad (::ffff:127.0.0.1) is the last two groups.
  const hex = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const [head, tail] = hex.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill("0"), ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""));
}
