/**
 * Servers whose link just failed, kept out of new choices until discovery catches up (it drops a
 * dead server within its TTL). Keyed by id and incarnation: a restarted server is not suspect.
 */
import type { ServerInfo } from "../discovery/member";

/** How long a server whose link failed is kept out of new choices. */
export const SUSPECT_MS = 10_000;

export class SuspectList {
  private readonly until = new Map<string, number>();

  constructor(private readonly suspectMs = SUSPECT_MS) {}

  add(server: Pick<ServerInfo, "id" | "incarnation">, nowMs = Date.now()): void {
    this.until.set(key(server), nowMs + this.suspectMs);
  }

  /** Discovery reported the server removed: nothing left to keep out. */
  delete(server: Pick<ServerInfo, "id" | "incarnation">): void {
    this.until.delete(key(server));
  }

  has(server: Pick<ServerInfo, "id" | "incarnation">, nowMs = Date.now()): boolean {
    const until = this.until.get(key(server));
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.until.delete(key(server));
    return false;
  }
}

const key = (server: Pick<ServerInfo, "id" | "incarnation">) => `${server.id}/${server.incarnation}`;
