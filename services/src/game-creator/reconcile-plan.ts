/**
 * The reconciler's decision, pure: desired games and players (Redis) against what the backend runs
 * → the actions that make the world match, and every game's status. Idempotent by construction: a
 * world that already matches yields no action, whatever ran before (a restart adopts what exists
 * and removes what nobody asked for).
 */
import type { GameSpec, PlayerSpec } from "./game-spec";
import type { GameStatus, ObservedGame, World, WorkerStatus } from "./world";

export interface DesiredGame {
  readonly spec: GameSpec;
  readonly players: ReadonlyMap<string, PlayerSpec>;
}

export interface WorkerRef {
  readonly gameId: string;
  readonly player: string;
}

export interface ReconcilePlan {
  readonly createGames: readonly GameSpec[];
  readonly scaleGames: ReadonlyArray<{ readonly id: string; readonly replicas: number }>;
  /** Observed games nobody wants (deleted, orphans) or of another type than wanted (replaced). */
  readonly deleteGames: readonly string[];
  /** The route table to write (sorted ids), when it differs from the observed one. */
  readonly routes: readonly string[] | undefined;
  readonly createWorkers: ReadonlyArray<{ readonly gameId: string; readonly player: PlayerSpec }>;
  /** Workers of removed players, or running outdated code (recreated next pass). */
  readonly deleteWorkers: readonly WorkerRef[];
  readonly statuses: ReadonlyMap<string, GameStatus>;
  /** Per game: player → URL of each ready worker running the current code, for the game to call. */
  readonly readyWorkers: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/**
 * `errors`: the last failed action per game id (a refused create, a crashed start), kept by the
 * reconciler until that game's next action succeeds; it marks the game failed with that reason.
 */
export function planReconcile(desired: ReadonlyMap<string, DesiredGame>, world: World, errors: ReadonlyMap<string, string> = new Map()): ReconcilePlan {
  const createGames: GameSpec[] = [];
  const scaleGames: Array<{ id: string; replicas: number }> = [];
  const deleteGames: string[] = [];
  const createWorkers: Array<{ gameId: string; player: PlayerSpec }> = [];
  const deleteWorkers: WorkerRef[] = [];
  const statuses = new Map<string, GameStatus>();
  const readyWorkers = new Map<string, Map<string, string>>();
  const routes: string[] = [];

  for (const [id, observed] of world.games) {
    const wanted = desired.get(id);
    if (wanted === undefined || wanted.spec.type !== observed.type) {
      deleteGames.push(id);
      if (wanted === undefined) statuses.set(id, { ...statusOf(observed, false, world.routes.has(id)), phase: "deleting", reason: "deleted: removing its servers, workers and route" });
    }
  }

  for (const [id, { spec, players }] of desired) {
    const observed = world.games.get(id);
    const error = errors.get(id);
    if (observed === undefined || observed.type !== spec.type) {
      if (observed === undefined) createGames.push(spec);
      statuses.set(id, {
        phase: error === undefined ? "pending" : "failed",
        reason: error ?? (observed === undefined ? "creating its servers" : `replacing the ${observed.type} game of the same id`),
        readyReplicas: 0,
        replicas: spec.replicas,
        route: false,
        workers: [...players.values()].map((p) => ({ player: p.player, phase: "pending" as const, revision: p.revision })),
      });
      continue;
    }
    routes.push(id);
    if (observed.replicas !== spec.replicas) scaleGames.push({ id, replicas: spec.replicas });

    const workers: WorkerStatus[] = [];
    const ready = new Map<string, string>();
    for (const [player, worker] of observed.workers) {
      const wantedPlayer = players.get(player);
      if (wantedPlayer === undefined || wantedPlayer.revision !== worker.revision) deleteWorkers.push({ gameId: id, player });
    }
    for (const [player, wantedPlayer] of players) {
      const worker = observed.workers.get(player);
      if (worker === undefined) {
        createWorkers.push({ gameId: id, player: wantedPlayer });
        workers.push({ player, phase: "pending", reason: "starting its worker", revision: wantedPlayer.revision });
      } else if (worker.revision !== wantedPlayer.revision) {
        workers.push({ player, phase: "pending", reason: "replacing the worker with the new code", revision: wantedPlayer.revision });
      } else if (worker.failure !== undefined) {
        workers.push({ player, phase: "failed", reason: worker.failure, revision: worker.revision });
      } else if (worker.ready && worker.url !== undefined) {
        ready.set(player, worker.url);
        workers.push({ player, phase: "ready", revision: worker.revision });
      } else {
        workers.push({ player, phase: "pending", reason: "waiting for its worker to be ready", revision: worker.revision });
      }
    }
    readyWorkers.set(id, ready);
    const base = statusOf(observed, world.routes.has(id) && !world.routesDirty, world.routes.has(id));
    statuses.set(id, { ...base, replicas: spec.replicas, workers, ...(error === undefined ? {} : { phase: "failed", reason: error }) });
  }

  routes.sort();
  const observedRoutes = [...world.routes].sort();
  const routesChanged = world.routesDirty || routes.length !== observedRoutes.length || routes.some((id, i) => observedRoutes[i] !== id);
  return { createGames, scaleGames, deleteGames, routes: routesChanged ? routes : undefined, createWorkers, deleteWorkers, statuses, readyWorkers };
}

/** Phase of a game that exists, from its replicas, its backend failure and its route. */
function statusOf(observed: ObservedGame, routeLive: boolean, route: boolean): GameStatus {
  const base = { readyReplicas: observed.readyReplicas, replicas: observed.replicas, route, workers: [] };
  if (observed.failure !== undefined) return { ...base, phase: "failed", reason: observed.failure };
  if (observed.readyReplicas < observed.replicas) return { ...base, phase: "pending", reason: `${observed.readyReplicas}/${observed.replicas} replicas ready` };
  if (!routeLive) return { ...base, phase: "pending", reason: `waiting for the /game-${observed.id} route` };
  return { ...base, phase: "ready" };
}
