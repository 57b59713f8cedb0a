/**
 * Which sockets of this connector are subscribed to which channel topic, kept beside uWS's own
 * subscriptions: uWS can publish to a topic but cannot list its subscribers, and the merged
 * per-socket write (tick-fanout.ts) must reach every subscriber of a topic it does not publish.
 */
import type { ClientConnection } from "../socket/client-connection";

/** The uWS topic of a channel's protobuf subscribers: a batch's broadcast is translated once and published to them. */
export function protobufTopic(topic: string): string {
  return `\u0000protobuf/${topic}`;
}

export class TopicMembers {
  private readonly members = new Map<string, Set<ClientConnection>>();
  /** Protobuf subscribers per topic: a topic without any is never translated. */
  private readonly protobufMembers = new Map<string, number>();

  subscribe(connection: ClientConnection, topic: string): void {
    const ws = connection.ws;
    if (ws === undefined) return;
    ws.subscribe(connection.protobuf ? protobufTopic(topic) : topic);
    let set = this.members.get(topic);
    if (set === undefined) {
      set = new Set();
      this.members.set(topic, set);
    }
    if (set.has(connection)) return;
    set.add(connection);
    connection.topics = connection.topics.concat(topic);
    if (connection.protobuf) this.protobufMembers.set(topic, this.protobufCount(topic) + 1);
  }

  unsubscribe(connection: ClientConnection, topic: string): void {
    connection.ws?.unsubscribe(connection.protobuf ? protobufTopic(topic) : topic);
    this.forget(connection, topic);
    if (connection.topics.includes(topic)) connection.topics = connection.topics.filter((held) => held !== topic);
  }

  /** Every socket leaves every topic of one game server (`<serverId>/…`): its resync batch lists them again. */
  leaveServer(serverId: string): void {
    const prefix = `${serverId}/`;
    for (const [topic, set] of [...this.members]) {
      if (topic.startsWith(prefix)) for (const connection of [...set]) this.unsubscribe(connection, topic);
    }
  }

  /** A closed socket leaves every topic (uWS drops its own subscriptions itself). */
  removeConnection(connection: ClientConnection): void {
    for (const topic of connection.topics) this.forget(connection, topic);
    connection.topics = [];
  }

  subscribers(topic: string): ReadonlySet<ClientConnection> | undefined {
    return this.members.get(topic);
  }

  count(topic: string): number {
    return this.members.get(topic)?.size ?? 0;
  }

  protobufCount(topic: string): number {
    return this.protobufMembers.get(topic) ?? 0;
  }

  private forget(connection: ClientConnection, topic: string): void {
    const set = this.members.get(topic);
    if (set === undefined || !set.delete(connection)) return;
    if (set.size === 0) this.members.delete(topic);
    if (!connection.protobuf) return;
    const left = this.protobufCount(topic) - 1;
    if (left > 0) this.protobufMembers.set(topic, left);
    else this.protobufMembers.delete(topic);
  }
}
