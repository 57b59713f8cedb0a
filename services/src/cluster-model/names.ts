/**
 * Names that DNS and the servers' contracts depend on: a game is `game-<id>` (Deployment, Service,
 * viewer path), its workers are `game-<id>-worker-<player>` (AI:MMO's `aimmo-<game>-worker-<player>`),
 * reached at `game-<id>-worker-<player>.game-<id>-workers.<namespace>.svc.<clusterDomain>`.
 */

/** Deployment and Service of a game. */
export const gameName = (id: string): string => `game-${id}`;
/** Where browsers open the game's viewer WebSocket. */
export const viewerPath = (id: string): string => `/${gameName(id)}`;
/** A player's worker pod: at most 5 + 30 + 8 + 20 = 63 characters with the creator's id limits. */
export const workerName = (id: string, player: string): string => `${gameName(id)}-worker-${player}`;
/** The headless Service that gives each of a game's worker pods its DNS name. */
export const workersServiceName = (id: string): string => `${gameName(id)}-workers`;

/** The stable in-cluster DNS name of a worker (pod hostname under its game's headless Service). */
export function workerHost(id: string, player: string, namespace: string, clusterDomain: string): string {
  return `${workerName(id, player)}.${workersServiceName(id)}.${namespace}.svc.${clusterDomain}`;
}
