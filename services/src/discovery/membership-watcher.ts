/**
 * Keeps the local cached view of the cluster: a periodic full resync (the truth) plus a
 * pub/sub "changed" hint that triggers an early resync. While Redis is away the view keeps
 * serving what it last knew.
 */
import { EventEmitter } from "node:events";
import type Redis from "ioredis";
import type { DiscoveryKeys } from "./keys";
import { decodeServerInfo, type ServerInfo } from "./member";
import { SNAPSHOT } from "./scripts";
import { MembershipView } from "./view";

export interface MembershipWatcherEvents {
  added: [ServerInfo];
  removed: [ServerInfo];
  updated: [ServerInfo, ServerInfo];
  "redis-error": [Error];
  /** Our own record was missing from a snapshot: the lease keeper should write it again now. */
  "wipe-detected": [];
}

export interface MembershipStats {
  /** Snapshots that lacked this server's own live record: Redis lost its data (restart, FLUSHALL, failover). */
  wipesDetected: number;
  resyncs: number;
  resyncFailures: number;
  malformedRecords: number;
  /** Date.now() of the last successful resync; 0 before the first. */
  lastResyncAt: number;
}

export class MembershipWatcher extends EventEmitter<MembershipWatcherEvents> {
  readonly view = new MembershipView();
  readonly stats: MembershipStats = { wipesDetected: 0, resyncs: 0, resyncFailures: 0, malformedRecords: 0, lastResyncAt: 0 };
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Until this Date.now(), removals are held back: members are re-creating their records after a wipe. */
  private healingUntil = 0;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly keys: DiscoveryKeys,
    private readonly resyncIntervalMs: number,
    /** The lease TTL: how long removals are held back while members re-create or refresh their records. */
    private readonly healingWindowMs: number,
    /** This server's id, a canary: if a snapshot lacks it while our lease is live, Redis lost its data. */
    private readonly ownLease?: { readonly id: string; isLive(): boolean },
  ) {
    super();
    this.onMessage = this.onMessage.bind(this);
    this.onSubscriberReady = this.onSubscriberReady.bind(this);
  }

  async start(): Promise<void> {
    this.subscriber.on("message", this.onMessage);
    // After a reconnect, hints sent meanwhile are lost: resync at once instead of waiting.
    this.subscriber.on("ready", this.onSubscriberReady);
    await this.subscriber.subscribe(this.keys.changedChannel);
    await this.resync();
    this.timer = setInterval(() => void this.resync(), this.resyncIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.subscriber.off("message", this.onMessage);
    this.subscriber.off("ready", this.onSubscriberReady);
    await this.inFlight;
  }

  /**
   * Holds back removals for `ms`: after a reconnect or failover every live member re-creates its
   * record within one refresh interval, so until then a missing member is not evidence of death.
   */
  holdRemovals(ms: number): void {
    this.healingUntil = Math.max(this.healingUntil, Date.now() + ms);
  }

  /** One full resync; concurrent calls share it, and a call during one schedules exactly one more. */
  resync(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.resyncOnce().finally(() => {
      this.inFlight = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.resync();
      }
    });
    return this.inFlight;
  }

  private async resyncOnce(): Promise<void> {
    let records: string[];
    try {
      records = (await this.redis.eval(SNAPSHOT, 1, this.keys.index, this.keys.memberPrefix)) as string[];
    } catch (error) {
      this.stats.resyncFailures++;
      this.emit("redis-error", error as Error);
      return;
    }
    if (this.stopped) return;
    const snapshot: ServerInfo[] = [];
    for (const raw of records) {
      const server = decodeServerInfo(raw);
      if (server) snapshot.push(server);
      else this.stats.malformedRecords++;
    }
    this.stats.resyncs++;
    const now = Date.now();
    // Blind for longer than a refresh interval (Redis paused or unreachable, for everyone alike):
    // members could not refresh either, so the records that expired meanwhile are not evidence of
    // death. They refresh within one interval of Redis answering again; removals wait for that.
    const blindAfterMs = Math.max(this.healingWindowMs / 3, 2 * this.resyncIntervalMs);
    if (this.stats.lastResyncAt > 0 && now - this.stats.lastResyncAt > blindAfterMs) this.holdRemovals(this.healingWindowMs);
    this.stats.lastResyncAt = now;
    if (this.ownLease?.isLive() && !snapshot.some((server) => server.id === this.ownLease?.id)) {
      // Every live member re-creates its record within one refresh interval; until then a
      // missing member is not evidence of death, and dropping it would rebind its players.
      this.stats.wipesDetected++;
      this.holdRemovals(this.healingWindowMs);
      this.emit("wipe-detected");
    }
    for (const change of this.view.replace(snapshot, now < this.healingUntil)) {
      if (change.kind === "updated") this.emit("updated", change.server, change.previous);
      else this.emit(change.kind, change.server);
    }
  }

  private onMessage(channel: string): void {
    if (channel === this.keys.changedChannel && !this.stopped) void this.resync();
  }

  private onSubscriberReady(): void {
    if (!this.stopped) void this.resync();
  }
}
