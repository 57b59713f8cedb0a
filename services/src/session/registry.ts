/**
 * The sessions one connector holds, by session id and by bound uid. One uid maps to at most one
 * local session; a stale session's removal never unbinds the uid from a newer one (Pitaya #251).
 */
import type { Session } from "./session";

export class SessionRegistry<Entry extends { readonly session: Session }> {
  private readonly byId = new Map<string, Entry>();
  private readonly byUid = new Map<string, Entry>();

  get size(): number {
    return this.byId.size;
  }

  add(entry: Entry): void {
    this.byId.set(entry.session.id, entry);
  }

  get(sessionId: string): Entry | undefined {
    return this.byId.get(sessionId);
  }

  getByUid(uid: string): Entry | undefined {
    return this.byUid.get(uid);
  }

  values(): IterableIterator<Entry> {
    return this.byId.values();
  }

  /**
   * Binds `uid` to the entry's session and indexes it. Returns the other local entry that held
   * the uid (the caller kicks it), or undefined. The new binding is in place before the caller
   * deals with the old one, so a failing kick cannot block the new login (Pitaya #452).
   */
  bindUid(entry: Entry, uid: string): Entry | undefined {
    const previous = this.byUid.get(uid);
    const previousUid = entry.session.uid;
    if (previousUid !== null && previousUid !== uid && this.byUid.get(previousUid) === entry) this.byUid.delete(previousUid);
    entry.session.bind(uid);
    this.byUid.set(uid, entry);
    return previous !== undefined && previous !== entry ? previous : undefined;
  }

  /** Forgets the entry; its uid stays with a newer session that took it over. */
  remove(entry: Entry): boolean {
    if (this.byId.get(entry.session.id) !== entry) return false;
    this.byId.delete(entry.session.id);
    const uid = entry.session.uid;
    if (uid !== null && this.byUid.get(uid) === entry) this.byUid.delete(uid);
    return true;
  }
}
