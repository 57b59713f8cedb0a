/**
 * Keeps this process' membership record alive: claims the id, refreshes it every TTL/3 with
 * `SET … PX` (so a wiped Redis is healed within one interval), and releases it on stop.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import type Redis from "ioredis";
import { DiscoveryError } from "./errors";
import type { DiscoveryKeys } from "./keys";
import { decideLease } from "./lease";
import type { ServerIdentity, ServerInfo } from "./member";
import { CLAIM_LEASE, RELEASE_LEASE } from "./scripts";

export interface LeaseKeeperEvents {
  /** The process was frozen past its TTL: it now runs under a new incarnation and must treat its old state as lost. */
  "lease-lost": [{ previousIncarnation: string; incarnation: string; unacknowledgedMs: number }];
  /** Another live process holds this id; refreshing has stopped. The server should exit. */
  conflict: [{ held: string }];
  /** The record was missing (Redis restarted empty, FLUSHALL) and has been written again. */
  restored: [];
  /**
   * Registered again, same incarnation, after the lease had run past its TTL unrefreshed (Redis
   * unreachable from here, not a freeze): peers may have dropped this server meanwhile and moved
   * its work; the owner reconciles.
   */
  lapsed: [{ unacknowledgedMs: number }];
  "redis-error": [Error];
}

type ClaimResult = { ok: true; created: boolean } | { ok: false; held: string };

export class LeaseKeeper extends EventEmitter<LeaseKeeperEvents> {
  private currentIncarnation = randomUUID();
  private load = 0;
  private draining = false;
  private lastAcknowledgedMs = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private nextRefreshDueMs = 0;
  private refreshing: Promise<Error | undefined> | undefined;
  private state: "idle" | "running" | "conflicted" | "stopped" = "idle";

  constructor(
    private readonly redis: Redis,
    private readonly keys: DiscoveryKeys,
    private readonly identity: ServerIdentity,
    private readonly ttlMs: number,
  ) {
    super();
  }

  get incarnation(): string {
    return this.currentIncarnation;
  }

  get refreshIntervalMs(): number {
    return Math.floor(this.ttlMs / 3);
  }

  record(): ServerInfo {
    return {
      id: this.identity.id,
      type: this.identity.type,
      host: this.identity.host,
      port: this.identity.port,
      ...(this.identity.podIp ? { podIp: this.identity.podIp } : {}),
      incarnation: this.currentIncarnation,
      load: this.load,
      draining: this.draining,
      metadata: { ...(this.identity.metadata ?? {}) },
    };
  }

  /** Claims the id, retrying while Redis is unreachable or an older process' lease is still live. */
  async start(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let lastProblem: DiscoveryError | undefined;
    for (;;) {
      try {
        const result = await this.claim("");
        if (result.ok) break;
        lastProblem = new DiscoveryError("ID_CONFLICT", `server id "${this.identity.id}" is held by another live process: ${result.held}. Give each server a unique id, or wait for the old one's TTL (${this.ttlMs} ms).`);
      } catch (error) {
        lastProblem = new DiscoveryError("REDIS_UNAVAILABLE", `cannot register "${this.identity.id}" in Redis: ${(error as Error).message}`, { cause: error });
      }
      if (performance.now() + this.refreshIntervalMs / 2 > deadline) throw lastProblem;
      await new Promise((resolve) => setTimeout(resolve, this.refreshIntervalMs / 2));
    }
    this.state = "running";
    this.schedule();
  }

  /** Running and acknowledged by Redis within the TTL, by our own monotonic clock. */
  isLive(): boolean {
    return this.state === "running" && performance.now() - this.lastAcknowledgedMs <= this.ttlMs;
  }

  setLoad(load: number): void {
    this.load = Number.isFinite(load) && load > 0 ? load : 0;
  }

  /** Marks the server draining and publishes it at once, so no one hands it new work. */
  async setDraining(draining: boolean): Promise<void> {
    this.draining = draining;
    await this.refreshNow();
  }

  /** Writes the record now instead of waiting for the next tick; rejects with the Redis error if it could not. */
  async refreshNow(): Promise<void> {
    if (this.state !== "running") return;
    // The due time is kept: an early refresh is never "late", but one right after a freeze is.
    clearTimeout(this.timer);
    const failure = await this.refresh();
    if (failure) throw failure;
  }

  /** Stops refreshing and deletes the record if it is still ours: peers see the departure at once. */
  async stop(): Promise<void> {
    const wasRunning = this.state === "running";
    this.state = "stopped";
    clearTimeout(this.timer);
    await this.refreshing;
    if (!wasRunning) return;
    await this.redis.eval(RELEASE_LEASE, 2, this.memberKey, this.keys.index, this.identity.id, this.currentIncarnation, this.keys.changedChannel);
  }

  private get memberKey(): string {
    return this.keys.memberPrefix + this.identity.id;
  }

  private schedule(): void {
    if (this.state !== "running") return;
    this.nextRefreshDueMs = performance.now() + this.refreshIntervalMs;
    this.timer = setTimeout(() => void this.refresh(), this.refreshIntervalMs);
  }

  private refresh(): Promise<Error | undefined> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = this.refreshOnce().finally(() => {
      this.refreshing = undefined;
      this.schedule();
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<Error | undefined> {
    if (this.state !== "running") return undefined;
    const nowMs = performance.now();
    let replaceable = "";
    const unacknowledgedMs = nowMs - this.lastAcknowledgedMs;
    const decision = decideLease({
      lastAcknowledgedMs: this.lastAcknowledgedMs,
      nowMs,
      timerLateByMs: nowMs - this.nextRefreshDueMs,
      ttlMs: this.ttlMs,
    });
    if (decision === "reincarnate") {
      replaceable = this.currentIncarnation;
      this.currentIncarnation = randomUUID();
      this.emit("lease-lost", {
        previousIncarnation: replaceable,
        incarnation: this.currentIncarnation,
        unacknowledgedMs: Math.round(nowMs - this.lastAcknowledgedMs),
      });
    }
    try {
      const result = await this.claim(replaceable);
      if (this.state !== "running") return undefined;
      if (!result.ok) {
        this.state = "conflicted";
        this.emit("conflict", { held: result.held });
        return new DiscoveryError("ID_CONFLICT", `server id "${this.identity.id}" was taken by another process: ${result.held}`);
      }
      if (result.created && !replaceable) this.emit("restored");
      if (!replaceable && unacknowledgedMs > this.ttlMs) this.emit("lapsed", { unacknowledgedMs: Math.round(unacknowledgedMs) });
      return undefined;
    } catch (error) {
      this.emit("redis-error", error as Error);
      return error as Error;
    }
  }

  private async claim(replaceableIncarnation: string): Promise<ClaimResult> {
    const startedMs = performance.now();
    const reply = (await this.redis.eval(
      CLAIM_LEASE,
      2,
      this.memberKey,
      this.keys.index,
      this.identity.id,
      this.currentIncarnation,
      JSON.stringify(this.record()),
      String(this.ttlMs),
      this.keys.changedChannel,
      replaceableIncarnation,
    )) as [string, string | number];
    if (reply[0] === "conflict") return { ok: false, held: String(reply[1]) };
    // The lease runs from when the write was sent, not when the reply came back.
    this.lastAcknowledgedMs = startedMs;
    return { ok: true, created: Number(reply[1]) === 1 };
  }
}
