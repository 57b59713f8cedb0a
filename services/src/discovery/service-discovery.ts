/**
 * Service discovery on Redis: this server's lease plus the cached view of every other server.
 *
 *   const discovery = new ServiceDiscovery({ redis: { url }, namespace: "eu1" }, { id, type, host, port });
 *   discovery.on("removed", (server) => …);
 *   await discovery.start();
 *   discovery.members("arena");   // served from memory, also while Redis is down
 *   await discovery.stop();       // deregisters at once
 */
import { EventEmitter } from "node:events";
import type Redis from "ioredis";
import { parseConfig } from "../config/validate";
import { createRedisClient } from "../redis/connection";
import { DiscoveryError } from "./errors";
import { discoveryKeys } from "./keys";
import { LeaseKeeper, type LeaseKeeperEvents } from "./lease-keeper";
import { serverInfoSchema, type ServerIdentity, type ServerInfo } from "./member";
import { MembershipWatcher, type MembershipStats } from "./membership-watcher";
import { discoveryOptionsSchema, type DiscoveryOptions, type DiscoveryOptionsInput } from "./options";

export interface DiscoveryEvents extends LeaseKeeperEvents {
  added: [ServerInfo];
  removed: [ServerInfo];
  updated: [ServerInfo, ServerInfo];
}

export interface DiscoveryStats extends MembershipStats {
  members: number;
  redisErrors: number;
}

export class ServiceDiscovery extends EventEmitter<DiscoveryEvents> {
  readonly options: DiscoveryOptions;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly watcher: MembershipWatcher;
  private readonly lease: LeaseKeeper | undefined;
  private redisErrors = 0;
  private lastRedisError: Error | undefined;
  private started = false;

  /** `identity` omitted: watch-only (tools, dashboards); the process is not registered. */
  constructor(options: DiscoveryOptionsInput, identity?: ServerIdentity) {
    super();
    this.options = parseConfig("discovery", discoveryOptionsSchema, options);
    if (identity) {
      const probe = serverInfoSchema.safeParse({ ...identity, metadata: identity.metadata ?? {}, incarnation: "probe", load: 0, draining: false });
      if (!probe.success) {
        const detail = probe.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
        throw new DiscoveryError("NOT_STARTED", `invalid server identity: ${detail}`);
      }
    }
    const keys = discoveryKeys(this.options.namespace);
    const name = (identity?.id ?? "watcher").replace(/\s/g, "_");
    const countError = (error: Error) => this.countRedisError(error);
    this.redis = createRedisClient({ ...this.options.redis, connectionName: `pomona:${name}` }, countError);
    this.subscriber = createRedisClient({ ...this.options.redis, connectionName: `pomona:${name}:sub` }, countError);
    const lease = identity ? new LeaseKeeper(this.redis, keys, identity, this.options.ttlMs) : undefined;
    this.lease = lease;
    this.watcher = new MembershipWatcher(
      this.redis,
      this.subscriber,
      keys,
      this.options.resyncIntervalMs,
      this.options.ttlMs,
      lease && identity ? { id: identity.id, isLive: () => lease.isLive() } : undefined,
    );
    this.watcher.on("added", (server) => this.emit("added", server));
    this.watcher.on("removed", (server) => this.emit("removed", server));
    this.watcher.on("updated", (server, previous) => this.emit("updated", server, previous));
    this.watcher.on("redis-error", countError);
    if (lease) {
      lease.on("lease-lost", (event) => {
        this.emit("lease-lost", event);
        void this.watcher.resync();
      });
      lease.on("conflict", (event) => this.emit("conflict", event));
      lease.on("restored", () => this.emit("restored"));
      lease.on("lapsed", (event) => this.emit("lapsed", event));
      lease.on("redis-error", countError);
      this.watcher.on("wipe-detected", () => void lease.refreshNow().catch(() => undefined));
    }
    // Back from an outage or a failover: re-register now rather than at the next tick, then look
    // around — without reporting members that have not re-registered yet as removed.
    this.redis.on("ready", () => {
      if (!this.started) return;
      this.watcher.holdRemovals(this.options.ttlMs);
      void (lease ? lease.refreshNow().catch(() => undefined) : Promise.resolve()).then(() => this.watcher.resync());
    });
  }

  /** Connects, claims this server's id and loads the first view. Rejects with a DiscoveryError after `startTimeoutMs`. */
  async start(): Promise<void> {
    if (this.started) return;
    const timeoutMs = this.options.startTimeoutMs ?? this.options.ttlMs * 2 + this.options.redis.connectTimeoutMs;
    try {
      await withTimeout(Promise.all([this.redis.connect(), this.subscriber.connect()]), timeoutMs, "connect");
      await this.lease?.start(timeoutMs);
      await this.watcher.start();
    } catch (error) {
      this.redis.disconnect();
      this.subscriber.disconnect();
      if (error instanceof DiscoveryError) throw error;
      // ioredis reports the real reason (WRONGPASS, ECONNREFUSED…) as an 'error' event, then "Connection is closed".
      const reason = [(error as Error).message, this.lastRedisError?.message].filter(Boolean).join(": ");
      const { url, sentinels, sentinelMasterName, host, port } = this.options.redis;
      const where = url
        ? "redis.url"
        : sentinels
          ? `master "${sentinelMasterName}" via sentinels ${sentinels.map((s) => `${s.host}:${s.port}`).join(", ")}`
          : `${host}:${port}`;
      throw new DiscoveryError("REDIS_UNAVAILABLE", `discovery could not start (Redis at ${where}): ${reason}`, { cause: error });
    }
    this.started = true;
  }

  /** Deregisters (peers see it at once), stops timers and closes the connections. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.watcher.stop();
    try {
      await this.lease?.stop();
    } catch (error) {
      // Redis unreachable: the TTL removes us instead.
      this.countRedisError(error as Error);
    }
    this.redis.disconnect();
    this.subscriber.disconnect();
  }

  /** This server's record as published (undefined when watch-only). */
  self(): ServerInfo | undefined {
    return this.lease?.record();
  }

  /** The command connection, for reads of cluster state that belong with membership (session bindings). */
  get redisClient(): Redis {
    return this.redis;
  }

  get incarnation(): string | undefined {
    return this.lease?.incarnation;
  }

  members(type?: string): ServerInfo[] {
    return type === undefined ? this.watcher.view.all() : this.watcher.view.ofType(type);
  }

  get(id: string): ServerInfo | undefined {
    return this.watcher.view.get(id);
  }

  /** Load is written with the next refresh (every ttl/3); call `publish()` to write it now (rejects if Redis is unreachable). */
  setLoad(load: number): void {
    this.lease?.setLoad(load);
  }

  async publish(): Promise<void> {
    await this.lease?.refreshNow();
  }

  /** Draining servers stay listed (their players still reach them) but get no new work. */
  async setDraining(draining: boolean): Promise<void> {
    await this.lease?.setDraining(draining);
  }

  /** Forces a resync now (normally periodic and on hints). */
  resync(): Promise<void> {
    return this.watcher.resync();
  }

  stats(): DiscoveryStats {
    return { ...this.watcher.stats, members: this.watcher.view.size, redisErrors: this.redisErrors };
  }

  private countRedisError(error: Error): void {
    this.redisErrors++;
    this.lastRedisError = error;
    // Only re-emit when someone listens: an unhandled 'error'-like event must never crash a server.
    if (this.listenerCount("redis-error") > 0) this.emit("redis-error", error);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
