/**
 * Sticky bindings in Redis, so a client whose connector died can resume on another connector
 * and get back to the same game servers. Writes are fire-and-forget: routing never waits on
 * Redis, and a failed write only costs that session its resume.
 *
 * Bindings are not deleted when a session closes — a drained or crashed connector's clients
 * resume through them — they expire `ttlMs` after the last change.
 */
import type Redis from "ioredis";
import type { BindingPersistence } from "../routing/sticky-router";
import type { BackendBinding, Session } from "./session";

export interface BindingStoreOptions {
  readonly namespace: string;
  /** How long bindings stay resumable after their last change. */
  readonly ttlMs?: number;
}

export class BindingStore implements BindingPersistence {
  private readonly prefix: string;
  private readonly ttlMs: number;
  readonly stats = { saved: 0, refreshed: 0, failed: 0 };

  constructor(
    private readonly redis: Redis,
    options: BindingStoreOptions,
  ) {
    this.prefix = `{${options.namespace}}:bindings:`;
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
  }

  /** Key of a session's bindings: its uid when bound (resume is by uid), else its id. */
  keyOf(session: Pick<Session, "uid" | "id">): string {
    return session.uid ? `${this.prefix}uid:${session.uid}` : `${this.prefix}session:${session.id}`;
  }

  save(session: Session): void {
    const fields: string[] = [];
    for (const [serverType, binding] of session.backends) fields.push(serverType, `${binding.serverId}|${binding.incarnation}`);
    if (fields.length === 0) return;
    const key = this.keyOf(session);
    this.redis
      .multi()
      .del(key)
      .hset(key, ...fields)
      .pexpire(key, this.ttlMs)
      .exec()
      .then(
        () => void this.stats.saved++,
        () => void this.stats.failed++,
      );
  }

  /** Restarts the expiry of the saved bindings of every session that has any, in one pipeline (the connector calls it every ttl/3). */
  refresh(sessions: Iterable<Pick<Session, "uid" | "id" | "backends">>): void {
    const pipeline = this.redis.pipeline();
    let keys = 0;
    for (const session of sessions) {
      if (session.backends.size === 0) continue;
      pipeline.pexpire(this.keyOf(session), this.ttlMs);
      keys++;
    }
    if (keys === 0) return;
    pipeline.exec().then(
      () => void (this.stats.refreshed += keys),
      () => void this.stats.failed++,
    );
  }

  /** How often `refresh` must run so that no live session's bindings expire. */
  get refreshIntervalMs(): number {
    return Math.floor(this.ttlMs / 3);
  }

  /** The bindings last saved for a uid (or session id), for resume. Empty if none or Redis is down. */
  async load(who: { uid: string | null; id: string }): Promise<Map<string, BackendBinding>> {
    const bindings = new Map<string, BackendBinding>();
    let raw: Record<string, string>;
    try {
      raw = await this.redis.hgetall(this.keyOf(who));
    } catch {
      this.stats.failed++;
      return bindings;
    }
    for (const [serverType, value] of Object.entries(raw)) {
      // Server ids never contain "|" (SERVER_ID_PATTERN); incarnations might.
      const separator = value.indexOf("|");
      if (separator <= 0) continue;
      bindings.set(serverType, { serverId: value.slice(0, separator), incarnation: value.slice(separator + 1) });
    }
    return bindings;
  }
}
