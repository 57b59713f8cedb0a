/**
 * Channel membership changes of tick batches the game server dropped while the connector's link
 * stayed open (it was not reading: `maxQueuedTicks`). A dropped tick loses its messages by design,
 * but never a subscribe or unsubscribe: a player whose subscribe was lost would get no broadcast
 * of that channel again. The changes wait here and go, first, in the next batch sent to that
 * connector. (A link that closes takes its queue with it; the next link starts with a resync
 * batch holding every membership, so nothing waits for a closed link.)
 *
 * Kept per (topic, session), the latest change winning: the connector applies them as set
 * operations, so only the last one of a pair matters.
 */
import type { TickBatch, TopicMembership } from "../cluster/contract";

type MembershipChanges = Pick<TickBatch, "subscribe" | "unsubscribe">;

export class UnsentMembership {
  /** Per connector: `topic \0 session` → [topic, session, subscribe?]. */
  private readonly byConnector = new Map<string, Map<string, readonly [topic: string, sessionId: string, subscribe: boolean]>>();

  /** Connectors with changes waiting. */
  connectors(): IterableIterator<string> {
    return this.byConnector.keys();
  }

  /** No changes wait for any connector. */
  get isEmpty(): boolean {
    return this.byConnector.size === 0;
  }

  /** A batch for `connectorId` was not sent: keep its membership changes. */
  dropped(connectorId: string, batch: MembershipChanges): void {
    if (batch.subscribe.length === 0 && batch.unsubscribe.length === 0) return;
    let changes = this.byConnector.get(connectorId);
    if (changes === undefined) {
      changes = new Map();
      this.byConnector.set(connectorId, changes);
    }
    record(changes, batch.unsubscribe, false);
    record(changes, batch.subscribe, true);
  }

  /**
   * The batch to send: the waiting changes with this batch's own over them (a pair in both: the
   * batch's). Waiting changes of sessions `current` no longer holds on this connector (closed,
   * moved) are left out. The waiting ones are handed over.
   */
  merge<B extends MembershipChanges>(connectorId: string, batch: B, current: (sessionId: string) => boolean): B {
    const changes = this.byConnector.get(connectorId);
    if (changes === undefined) return batch;
    this.byConnector.delete(connectorId);
    for (const [key, [, sessionId]] of changes) if (!current(sessionId)) changes.delete(key);
    record(changes, batch.unsubscribe, false);
    record(changes, batch.subscribe, true);
    const subscribe: TopicMembership[] = [];
    const unsubscribe: TopicMembership[] = [];
    for (const [topic, sessionId, isSubscribe] of changes.values()) (isSubscribe ? subscribe : unsubscribe).push([topic, sessionId]);
    return { ...batch, subscribe, unsubscribe };
  }

  /** Nothing waits for this connector any more: its link closed, and the next link starts with a resync. */
  forget(connectorId: string): void {
    this.byConnector.delete(connectorId);
  }
}

function record(changes: Map<string, readonly [string, string, boolean]>, list: readonly TopicMembership[], subscribe: boolean): void {
  for (const [topic, sessionId] of list) changes.set(`${topic}\u0000${sessionId}`, [topic, sessionId, subscribe]);
}
