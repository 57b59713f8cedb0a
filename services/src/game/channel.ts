/**
 * Channels: named groups of players on one game server, each member tagged with the connector
 * that holds its socket. On the connector a channel is the uWS topic `channelTopic(serverId,
 * name)`; joining and leaving become subscribe/unsubscribe entries in the next batch for the
 * member's connector, and a broadcast goes only to connectors that have a member.
 */
import { channelTopic, type TopicMembership } from "../cluster/contract";
import type { MessageBody } from "../protocol";

export interface ChannelMember {
  readonly uid: string | null;
  readonly sessionId: string;
  readonly connectorId: string;
}

/** Where channels record what the end of the tick must send (the BatchBuilder). */
export interface ChannelOutput {
  subscribe(connectorId: string, topic: string, sessionId: string): void;
  unsubscribe(connectorId: string, topic: string, sessionId: string): void;
  broadcast(channel: Channel, route: string, body: MessageBody): void;
}

export class Channel {
  readonly topic: string;
  private readonly bySession = new Map<string, ChannelMember>();
  /** Members per connector: a broadcast is sent to the keys, and only to them. */
  private readonly perConnector = new Map<string, number>();

  constructor(
    readonly name: string,
    serverId: string,
    private readonly output: ChannelOutput,
  ) {
    this.topic = channelTopic(serverId, name);
  }

  get size(): number {
    return this.bySession.size;
  }

  has(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  get(sessionId: string): ChannelMember | undefined {
    return this.bySession.get(sessionId);
  }

  members(): IterableIterator<ChannelMember> {
    return this.bySession.values();
  }

  /** Connectors holding at least one member. */
  connectorIds(): IterableIterator<string> {
    return this.perConnector.keys();
  }

  /** False if the session is already a member (nothing changes). */
  add(member: ChannelMember): boolean {
    if (this.bySession.has(member.sessionId)) return false;
    this.bySession.set(member.sessionId, member);
    this.perConnector.set(member.connectorId, (this.perConnector.get(member.connectorId) ?? 0) + 1);
    this.output.subscribe(member.connectorId, this.topic, member.sessionId);
    return true;
  }

  /**
   * False if the session was not a member. `announce: false` skips the unsubscribe (the
   * session is closed, so the connector has nothing to unsubscribe).
   */
  remove(sessionId: string, announce = true): boolean {
    const member = this.bySession.get(sessionId);
    if (member === undefined) return false;
    this.bySession.delete(sessionId);
    const remaining = this.perConnector.get(member.connectorId)! - 1;
    if (remaining === 0) this.perConnector.delete(member.connectorId);
    else this.perConnector.set(member.connectorId, remaining);
    if (announce) this.output.unsubscribe(member.connectorId, this.topic, sessionId);
    return true;
  }

  /** Removes every member. */
  clear(): void {
    for (const sessionId of [...this.bySession.keys()]) this.remove(sessionId);
  }

  /** One push package to every member, encoded once, sent at the end of the tick. */
  broadcast(route: string, body: MessageBody): void {
    this.output.broadcast(this, route, body);
  }
}

/** The channels of one game server, created on first use. */
export class ChannelRegistry {
  private readonly byName = new Map<string, Channel>();

  constructor(
    private readonly serverId: string,
    private readonly output: ChannelOutput,
  ) {}

  get size(): number {
    return this.byName.size;
  }

  /** The channel called `name`, created empty if it does not exist. */
  channel(name: string): Channel {
    let channel = this.byName.get(name);
    if (channel === undefined) {
      channel = new Channel(name, this.serverId, this.output);
      this.byName.set(name, channel);
    }
    return channel;
  }

  find(name: string): Channel | undefined {
    return this.byName.get(name);
  }

  /** Removes every member and forgets the channel. */
  destroy(name: string): boolean {
    const channel = this.byName.get(name);
    if (channel === undefined) return false;
    channel.clear();
    return this.byName.delete(name);
  }

  /** A session replaced by another (resume): `to` takes its place in every channel `fromSessionId` was in. */
  moveSession(fromSessionId: string, to: ChannelMember): void {
    for (const channel of this.byName.values()) {
      if (channel.remove(fromSessionId)) channel.add(to);
    }
  }

  /** Every membership held through one connector: what a new link to it must subscribe again (a resync batch). */
  membershipsOn(connectorId: string): TopicMembership[] {
    const list: TopicMembership[] = [];
    for (const channel of this.byName.values()) {
      for (const member of channel.members()) if (member.connectorId === connectorId) list.push([channel.topic, member.sessionId]);
    }
    return list;
  }

  /** A closed session leaves every channel it was in, without unsubscribes (its socket is gone). */
  forgetSession(sessionId: string): void {
    for (const channel of this.byName.values()) channel.remove(sessionId, false);
  }
}
