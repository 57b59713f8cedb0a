/**
 * The local cached membership and its change events. Pure: a snapshot in, the changes out.
 * A record with a new incarnation is a different server (removed + added), so anything bound
 * to the old process (sticky sessions, RPC links) is dropped rather than silently reused.
 */
import { sameServerInfo, type ServerInfo } from "./member";

export type MembershipChange =
  | { readonly kind: "added"; readonly server: ServerInfo }
  | { readonly kind: "removed"; readonly server: ServerInfo }
  | { readonly kind: "updated"; readonly server: ServerInfo; readonly previous: ServerInfo };

export class MembershipView {
  private readonly byId = new Map<string, ServerInfo>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): ServerInfo | undefined {
    return this.byId.get(id);
  }

  all(): ServerInfo[] {
    return [...this.byId.values()];
  }

  ofType(type: string): ServerInfo[] {
    const result: ServerInfo[] = [];
    for (const server of this.byId.values()) if (server.type === type) result.push(server);
    return result;
  }

  /**
   * Applies a full snapshot and returns what changed (removals first). With `keepMissing`,
   * members absent from the snapshot are kept: used while Redis heals after losing its data.
   */
  replace(snapshot: readonly ServerInfo[], keepMissing = false): MembershipChange[] {
    const next = new Map<string, ServerInfo>();
    for (const server of snapshot) next.set(server.id, server);
    const changes: MembershipChange[] = [];
    for (const [id, previous] of this.byId) {
      const current = next.get(id);
      if (!current && keepMissing) next.set(id, previous);
      else if (!current || current.incarnation !== previous.incarnation) changes.push({ kind: "removed", server: previous });
    }
    for (const [id, current] of next) {
      const previous = this.byId.get(id);
      if (previous === current) continue;
      if (!previous || previous.incarnation !== current.incarnation) changes.push({ kind: "added", server: current });
      else if (!sameServerInfo(previous, current)) changes.push({ kind: "updated", server: current, previous });
    }
    this.byId.clear();
    for (const [id, server] of next) this.byId.set(id, server);
    return changes;
  }
}
