/**
 * Collects everything one tick sends to players and, at its end, groups it into exactly one
 * TickBatch per connector that has anything: membership changes of its sessions, the
 * broadcasts of channels with a member on it, and per-player packages of its sessions.
 *
 * Hot path, pure (no I/O, no timers):
 * - a broadcast is encoded into a Pomelo push package when it is made, once; several broadcasts
 *   to one channel in one tick become one concatenated Buffer, and that same Buffer goes to
 *   every connector concerned;
 * - a per-player push is measured (and validated) when it is made and written at the end of the
 *   tick: all per-player packages for one connector share one allocation, and each session's
 *   packages are one contiguous slice of it (one WebSocket message on the connector). The bytes
 *   before the body (flag and route) are encoded by the protocol codec once per route and copied.
 */
import type { TickBatch, TopicMembership } from "../cluster/contract";
import { encodeDataPackage, encodeMessage, MAX_PACKAGE_BODY_BYTES, MessageType, PACKAGE_HEADER_BYTES, PackageType, ProtocolError, type MessageBody, type RouteDictionary } from "../protocol";
import type { Channel, ChannelOutput } from "./channel";

/** What a broadcast needs from a channel: its topic and, at the end of the tick, where its members are. */
export type BroadcastTarget = Pick<Channel, "topic" | "connectorIds">;

interface PendingBroadcast {
  readonly target: BroadcastTarget;
  readonly packages: Buffer[];
}

/** A session's per-player pushes of this tick: message heads (flag + route) and bodies, in order. */
interface PendingDirect {
  readonly sessionId: string;
  readonly heads: Buffer[];
  readonly bodies: MessageBody[];
  readonly bodyBytes: number[];
}

interface ConnectorOutbox {
  readonly subscribe: TopicMembership[];
  readonly unsubscribe: TopicMembership[];
  readonly direct: PendingDirect[];
  /** Index into `direct` by session, so a session's packages stay together. */
  readonly directBySession: Map<string, PendingDirect>;
  directBytes: number;
}

interface PendingMembership {
  readonly connectorId: string;
  readonly topic: string;
  readonly sessionId: string;
  readonly subscribe: boolean;
}

export class BatchBuilder implements ChannelOutput {
  private broadcasts = new Map<string, PendingBroadcast>();
  private outboxes = new Map<string, ConnectorOutbox>();
  /** Net membership change per (topic, session) this tick: a join and a leave in one tick cancel out. */
  private memberships = new Map<string, PendingMembership>();
  /** Flag byte + route (code or text) of a push, per route: encoded once, copied per message. */
  private readonly pushHeads = new Map<string, Buffer>();

  constructor(
    readonly serverId: string,
    private readonly dictionary?: RouteDictionary,
  ) {}

  get isEmpty(): boolean {
    return this.broadcasts.size === 0 && this.outboxes.size === 0 && this.memberships.size === 0;
  }

  subscribe(connectorId: string, topic: string, sessionId: string): void {
    this.changeMembership(connectorId, topic, sessionId, true);
  }

  unsubscribe(connectorId: string, topic: string, sessionId: string): void {
    this.changeMembership(connectorId, topic, sessionId, false);
  }

  /** Encodes the push package now (throws ProtocolError on a bad route or oversized body). */
  broadcast(target: BroadcastTarget, route: string, body: MessageBody): void {
    const encoded = encodeDataPackage({ type: MessageType.Push, route, body }, this.dictionary);
    const pending = this.broadcasts.get(target.topic);
    if (pending === undefined) this.broadcasts.set(target.topic, { target, packages: [encoded] });
    else pending.packages.push(encoded);
  }

  /** Queues a push package for one session (validated now, written at the end of the tick). */
  push(connectorId: string, sessionId: string, route: string, body: MessageBody): void {
    const head = this.pushHead(route);
    const bodyBytes = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength;
    const messageBytes = head.length + bodyBytes;
    if (messageBytes > MAX_PACKAGE_BODY_BYTES) {
      throw new ProtocolError("OVERSIZED", `package body of ${messageBytes} bytes exceeds the 3-byte limit of ${MAX_PACKAGE_BODY_BYTES}`);
    }
    const outbox = this.outbox(connectorId);
    let pending = outbox.directBySession.get(sessionId);
    if (pending === undefined) {
      pending = { sessionId, heads: [head], bodies: [body], bodyBytes: [bodyBytes] };
      outbox.directBySession.set(sessionId, pending);
      outbox.direct.push(pending);
    } else {
      pending.heads.push(head);
      pending.bodies.push(body);
      pending.bodyBytes.push(bodyBytes);
    }
    outbox.directBytes += PACKAGE_HEADER_BYTES + messageBytes;
  }

  /** One batch per connector with anything for it, keyed by connector id; the builder starts empty again. */
  build(tick: number): Map<string, TickBatch> {
    for (const change of this.memberships.values()) {
      const outbox = this.outbox(change.connectorId);
      (change.subscribe ? outbox.subscribe : outbox.unsubscribe).push([change.topic, change.sessionId]);
    }
    const broadcastsByConnector = new Map<string, Array<readonly [string, Buffer]>>();
    for (const { target, packages } of this.broadcasts.values()) {
      let payload: Buffer | undefined;
      for (const connectorId of target.connectorIds()) {
        payload ??= packages.length === 1 ? packages[0] : Buffer.concat(packages);
        let list = broadcastsByConnector.get(connectorId);
        if (list === undefined) {
          list = [];
          broadcastsByConnector.set(connectorId, list);
          this.outbox(connectorId);
        }
        list.push([target.topic, payload]);
      }
    }
    const batches = new Map<string, TickBatch>();
    for (const [connectorId, outbox] of this.outboxes) {
      batches.set(connectorId, {
        serverId: this.serverId,
        tick,
        unsubscribe: outbox.unsubscribe,
        subscribe: outbox.subscribe,
        broadcasts: broadcastsByConnector.get(connectorId) ?? [],
        direct: this.writeDirect(outbox),
      });
    }
    this.broadcasts = new Map();
    this.outboxes = new Map();
    this.memberships = new Map();
    return batches;
  }

  /** Every per-player package for one connector in one allocation; each session gets its slice. */
  private writeDirect(outbox: ConnectorOutbox): Array<readonly [string, Buffer]> {
    const direct: Array<readonly [string, Buffer]> = new Array(outbox.direct.length);
    if (outbox.direct.length === 0) return direct;
    const target = Buffer.allocUnsafe(outbox.directBytes);
    let offset = 0;
    for (let index = 0; index < outbox.direct.length; index++) {
      const { sessionId, heads, bodies, bodyBytes } = outbox.direct[index];
      const start = offset;
      for (let m = 0; m < heads.length; m++) {
        const head = heads[m];
        const length = head.length + bodyBytes[m];
        target[offset] = PackageType.Data;
        target[offset + 1] = length >>> 16;
        target[offset + 2] = (length >>> 8) & 0xff;
        target[offset + 3] = length & 0xff;
        offset += PACKAGE_HEADER_BYTES;
        for (let b = 0; b < head.length; b++) target[offset + b] = head[b];
        offset += head.length;
        const body = bodies[m];
        if (typeof body === "string") target.write(body, offset, bodyBytes[m], "utf8");
        else target.set(body, offset);
        offset += bodyBytes[m];
      }
      direct[index] = [sessionId, target.subarray(start, offset)];
    }
    return direct;
  }

  /** The message bytes before the body, by the protocol codec itself (validates the route once). */
  private pushHead(route: string): Buffer {
    let head = this.pushHeads.get(route);
    if (head === undefined) {
      head = Buffer.from(encodeMessage({ type: MessageType.Push, route, body: "" }, this.dictionary));
      this.pushHeads.set(route, head);
    }
    return head;
  }

  private outbox(connectorId: string): ConnectorOutbox {
    let outbox = this.outboxes.get(connectorId);
    if (outbox === undefined) {
      outbox = { subscribe: [], unsubscribe: [], direct: [], directBySession: new Map(), directBytes: 0 };
      this.outboxes.set(connectorId, outbox);
    }
    return outbox;
  }

  private changeMembership(connectorId: string, topic: string, sessionId: string, subscribe: boolean): void {
    const key = `${topic}\u0000${sessionId}`;
    // Channels record only real changes, so they alternate: a pending opposite change cancels this one.
    if (this.memberships.delete(key)) return;
    this.memberships.set(key, { connectorId, topic, sessionId, subscribe });
  }
}
