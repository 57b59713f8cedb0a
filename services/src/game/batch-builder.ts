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
 *   tick: all per-player packages for one connector are one Buffer, each session's packages one
 *   contiguous range of it (one WebSocket message on the connector), sent as that Buffer plus the
 *   session ids and range ends — no object per player on the wire. The bytes before the body
 *   (flag and route) are encoded by the protocol codec once per route and copied.
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

/** One per-player push: message head (flag + route) and body. */
interface PendingPush {
  readonly head: Buffer;
  readonly body: MessageBody;
  readonly bodyBytes: number;
}

/** A session's per-player pushes of this tick, in order: the first inline (the common case), any others in `more`. */
interface PendingDirect extends PendingPush {
  readonly sessionId: string;
  more: PendingPush[] | undefined;
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
      pending = { sessionId, head, body, bodyBytes, more: undefined };
      outbox.directBySession.set(sessionId, pending);
      outbox.direct.push(pending);
    } else (pending.more ??= []).push({ head, body, bodyBytes });
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
        ...this.writeDirect(outbox),
      });
    }
    this.broadcasts = new Map();
    this.outboxes = new Map();
    this.memberships = new Map();
    return batches;
  }

  /** Every per-player package for one connector in one Buffer; each session's end offset in it. */
  private writeDirect(outbox: ConnectorOutbox): Pick<TickBatch, "directSessions" | "directEnds" | "directPackages"> {
    const count = outbox.direct.length;
    const sessions: string[] = new Array(count);
    const ends: number[] = new Array(count);
    const target = Buffer.allocUnsafe(outbox.directBytes);
    let offset = 0;
    for (let index = 0; index < count; index++) {
      const pending = outbox.direct[index];
      offset = writePush(target, offset, pending);
      if (pending.more !== undefined) for (let m = 0; m < pending.more.length; m++) offset = writePush(target, offset, pending.more[m]);
      sessions[index] = pending.sessionId;
      ends[index] = offset;
    }
    return { directSessions: sessions, directEnds: ends, directPackages: target };
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

/** One data package (header, head, body) at `offset`; returns the offset after it. */
function writePush(target: Buffer, offset: number, push: PendingPush): number {
  const { head, body, bodyBytes } = push;
  const length = head.length + bodyBytes;
  target[offset] = PackageType.Data;
  target[offset + 1] = length >>> 16;
  target[offset + 2] = (length >>> 8) & 0xff;
  target[offset + 3] = length & 0xff;
  offset += PACKAGE_HEADER_BYTES;
  for (let b = 0; b < head.length; b++) target[offset + b] = head[b];
  offset += head.length;
  if (typeof body === "string") target.write(body, offset, bodyBytes, "utf8");
  else target.set(body, offset);
  return offset + bodyBytes;
}
