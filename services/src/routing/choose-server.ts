/**
 * Which backend server gets a session's first request for a server type. Pure functions over
 * the discovery view; the connector stores the choice (sticky) and only asks again when the
 * bound server is gone.
 */
import { createHash } from "node:crypto";
import type { ServerInfo } from "../discovery/member";

export interface RouteContext {
  /** Backend server type: the first segment of the route (`arena` in `arena.room.join`). */
  readonly serverType: string;
  readonly route: string;
  readonly sessionId: string;
  readonly uid?: string;
}

/** Picks one of `candidates` (live, not draining, of the right type), or undefined when there is none. */
export type ServerChooser = (candidates: readonly ServerInfo[], context: RouteContext) => ServerInfo | undefined;

/** Draining servers keep their players but take no new ones. */
export function eligible(servers: readonly ServerInfo[], serverType: string): ServerInfo[] {
  return servers.filter((server) => server.type === serverType && !server.draining);
}

/**
 * Lowest reported load; among equals, the one a hash of the session prefers, so a burst of new
 * sessions between two load reports spreads out instead of piling onto one server.
 */
export const leastLoaded: ServerChooser = (candidates, context) => {
  let best: ServerInfo | undefined;
  let bestScore = 0;
  for (const server of candidates) {
    if (best === undefined || server.load < best.load) {
      best = server;
      bestScore = rendezvousScore(context.sessionId, server.id);
    } else if (server.load === best.load) {
      const score = rendezvousScore(context.sessionId, server.id);
      if (outranks(score, server.id, bestScore, best.id)) {
        best = server;
        bestScore = score;
      }
    }
  }
  return best;
};

/**
 * Rendezvous (highest-random-weight) hashing on the uid (or session id): adding or removing a
 * server only moves the keys that belonged to it, unlike Pomelo's `crc32(uid) % n` which remaps
 * almost everyone when n changes.
 */
export const consistentHash: ServerChooser = (candidates, context) => {
  const key = context.uid ?? context.sessionId;
  let best: ServerInfo | undefined;
  let bestScore = 0;
  for (const server of candidates) {
    const score = rendezvousScore(key, server.id);
    if (outranks(score, server.id, bestScore, best?.id)) {
      best = server;
      bestScore = score;
    }
  }
  return best;
};

/**
 * Whether a candidate ranks above the best so far (none yet: `bestId` undefined): the higher score,
 * then the lower id, so that two servers whose 48-bit scores collide still give one answer
 * whatever the order of the candidates.
 */
export function outranks(score: number, id: string, bestScore: number, bestId: string | undefined): boolean {
  return bestId === undefined || score > bestScore || (score === bestScore && id < bestId);
}

/** 48 bits of SHA-1 over key and server id: uniform, stable across processes and restarts. */
export function rendezvousScore(key: string, serverId: string): number {
  return createHash("sha1").update(key).update("\0").update(serverId).digest().readUIntBE(0, 6);
}
