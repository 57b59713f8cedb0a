/**
 * The replicas of one game share their viewer parts over Redis, so a viewer on any replica sees the
 * whole game (the Service behind `/game-<id>` picks one replica per viewer).
 *
 * - Publishing: each tick's part goes to `{ns}:viewer:<gameId>` while the game has another live
 *   replica (a discovery member of the same type whose metadata names this game) that watches: only
 *   replicas with viewers subscribe, and PUBLISH answers how many subscribers got the part. While
 *   nobody watches, one part per PROBE_INTERVAL_MS, so a replica whose first viewer arrives shows its
 *   peers within that. At most one PUBLISH in flight: a slow Redis skips parts, never queues them.
 * - Receiving (only while this replica has viewers): each part is checked (viewer-frame.ts), must come
 *   from a live replica of this game, and replaces that replica's previous part. A part older than
 *   `staleAfterMs` is not shown and a replica that leaves discovery is dropped at once, so a killed
 *   replica's rooms leave the view within staleAfterMs plus one tick.
 */
import type Redis from "ioredis";
import type { ServerInfo, ServiceDiscovery } from "../discovery";
import { log } from "../logging";
import { createRedisClient } from "../redis/connection";
import { viewerChannel } from "./viewer-channel";
import { decodeReplicaFrame, type FrameLimits, type ReplicaFrame } from "./viewer-frame";

export const PROBE_INTERVAL_MS = 1_000;
export const DEFAULT_FRAME_LIMITS: FrameLimits = { maxFrameBytes: 1024 * 1024, maxBroadcasts: 10_000 };

/** A part not refreshed for this long (or for 5 ticks, if longer) is off the view: its replica is dead or stalled. */
const MIN_STALE_AFTER_MS = 1_000;
const STALE_AFTER_TICKS = 5;

export interface ViewerRelayOptions {
  readonly gameId: string;
  readonly serverId: string;
  readonly serverType: string;
  readonly tickHz: number;
  /** Who is alive, the command connection that publishes, and the options of the subscriber's own connection. */
  readonly discovery: ServiceDiscovery;
  readonly limits?: FrameLimits;
}

export interface ViewerRelayCounters {
  partsPublished: number;
  bytesPublished: number;
  /** Parts not published because the previous PUBLISH had not answered. */
  publishSkipped: number;
  publishFailed: number;
  partsReceived: number;
  /** Parts from Redis refused: over the size limit, not a well-formed part, or not from a live replica of this game. */
  droppedOversized: number;
  droppedMalformed: number;
  droppedNotAPeer: number;
}

export class ViewerRelay {
  readonly counters: ViewerRelayCounters = { partsPublished: 0, bytesPublished: 0, publishSkipped: 0, publishFailed: 0, partsReceived: 0, droppedOversized: 0, droppedMalformed: 0, droppedNotAPeer: 0 };
  readonly staleAfterMs: number;
  private readonly channel: string;
  private readonly limits: FrameLimits;
  private readonly subscriber: Redis;
  private peers = new Set<string>();
  private readonly latest = new Map<string, { readonly frame: ReplicaFrame; readonly receivedAtMs: number }>();
  private watching = false;
  private subscribed = false;
  private subscription: Promise<void> = Promise.resolve();
  private peersWatching = false;
  private publishing = false;
  private lastPublishMs = Number.NEGATIVE_INFINITY;
  /** How our own parts begin (encodeReplicaFrame): our echo is skipped before it is parsed. */
  private readonly ownPrefix: Buffer;

  constructor(private readonly options: ViewerRelayOptions) {
    const { discovery } = options;
    this.channel = viewerChannel(discovery.options.namespace, options.gameId);
    this.limits = options.limits ?? DEFAULT_FRAME_LIMITS;
    this.staleAfterMs = Math.max(MIN_STALE_AFTER_MS, (STALE_AFTER_TICKS * 1000) / options.tickHz);
    this.ownPrefix = Buffer.from(`{"server":${JSON.stringify(options.serverId)},`);
    this.subscriber = createRedisClient({ ...discovery.options.redis, connectionName: `pomona:${options.serverId}:viewer` }, () => undefined);
  }

  /** Follows membership; the subscriber connects with the first viewer (a game nobody watches here holds no extra connection). */
  start(): void {
    const { discovery } = this.options;
    discovery.on("added", this.refreshPeers);
    discovery.on("removed", this.refreshPeers);
    discovery.on("updated", this.refreshPeers);
    this.refreshPeers();
    this.subscriber.on("messageBuffer", this.onPart);
    this.subscriber.on("ready", this.syncSubscription);
  }

  stop(): void {
    const { discovery } = this.options;
    discovery.off("added", this.refreshPeers);
    discovery.off("removed", this.refreshPeers);
    discovery.off("updated", this.refreshPeers);
    this.subscriber.disconnect();
  }

  /** This replica has viewers (subscribe to its peers' parts) or not any more. */
  setWatching(watching: boolean): void {
    if (this.watching === watching) return;
    this.watching = watching;
    if (!watching) this.latest.clear();
    this.syncSubscription();
  }

  /** The game has another live replica. */
  get hasPeers(): boolean {
    return this.peers.size > 0;
  }

  /** Whether this tick's part should be built for the peers. */
  wanted(nowMs: number): boolean {
    return this.peers.size > 0 && (this.peersWatching || nowMs - this.lastPublishMs >= PROBE_INTERVAL_MS);
  }

  publish(part: string, nowMs: number): void {
    if (this.publishing) {
      this.counters.publishSkipped++;
      return;
    }
    this.publishing = true;
    this.lastPublishMs = nowMs;
    this.options.discovery.redisClient.publish(this.channel, part).then(
      (receivers) => {
        // Our own subscription counts too; the parts are for the others.
        this.peersWatching = receivers - (this.subscribed ? 1 : 0) > 0;
        this.counters.partsPublished++;
        this.counters.bytesPublished += Buffer.byteLength(part);
        this.publishing = false;
      },
      () => {
        this.counters.publishFailed++;
        this.publishing = false;
      },
    );
  }

  /** The latest part of every live peer, fresh enough to show. */
  peerFrames(nowMs: number): ReplicaFrame[] {
    const frames: ReplicaFrame[] = [];
    for (const [server, { frame, receivedAtMs }] of this.latest) {
      if (!this.peers.has(server) || nowMs - receivedAtMs > this.staleAfterMs) this.latest.delete(server);
      else frames.push(frame);
    }
    return frames;
  }

  /** Ids of the game's other live replicas. */
  peerIds(): string[] {
    return [...this.peers];
  }

  private readonly refreshPeers = (): void => {
    const { discovery, serverType, gameId, serverId } = this.options;
    this.peers = new Set(discovery.members(serverType).filter((member: ServerInfo) => member.metadata.gameId === gameId && member.id !== serverId).map((member) => member.id));
    for (const server of this.latest.keys()) if (!this.peers.has(server)) this.latest.delete(server);
  };

  /** Brings the subscription in line with `watching`, one change at a time; retried when the connection is ready again. */
  private readonly syncSubscription = (): void => {
    if (this.watching && this.subscriber.status === "wait") {
      // Never connected yet: its "ready" brings us back here (a Redis that is down only delays peers' parts).
      this.subscriber.connect().catch(() => undefined);
      return;
    }
    this.subscription = this.subscription.then(async () => {
      if (this.subscribed === this.watching || this.subscriber.status !== "ready") return;
      try {
        if (this.watching) await this.subscriber.subscribe(this.channel);
        else await this.subscriber.unsubscribe(this.channel);
        this.subscribed = this.watching;
      } catch {
        // Redis away: ioredis reconnects, and "ready" brings us back here.
      }
    });
  };

  private readonly onPart = (_channel: Buffer, raw: Buffer): void => {
    if (!this.watching || (raw.byteLength > this.ownPrefix.byteLength && raw.subarray(0, this.ownPrefix.byteLength).equals(this.ownPrefix))) return;
    const decoded = decodeReplicaFrame(raw, this.limits);
    if ("dropped" in decoded) {
      const count = decoded.dropped === "oversized" ? ++this.counters.droppedOversized : ++this.counters.droppedMalformed;
      if (count <= 3 || count % 1000 === 0) log.warn({ reason: decoded.dropped, detail: decoded.detail, count }, "viewer part from Redis dropped");
      return;
    }
    const { frame } = decoded;
    if (!this.peers.has(frame.server)) {
      const count = ++this.counters.droppedNotAPeer;
      if (count <= 3 || count % 1000 === 0) log.warn({ claimed: frame.server, count }, "viewer part from a server that is no live replica of this game dropped");
      return;
    }
    this.counters.partsReceived++;
    this.latest.set(frame.server, { frame, receivedAtMs: Date.now() });
  };
}
