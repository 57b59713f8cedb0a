/** What a backend reports it is running: the games it finds (its own only), their workers, and the proxy routes. */

export interface ObservedWorker {
  readonly player: string;
  /** Revision of the code it runs (label / process record). */
  readonly revision: string;
  readonly ready: boolean;
  /** Where the game POSTs `/turn`, once ready. */
  readonly url?: string;
  /** The backend's reason it cannot run (pod failed, process exited). */
  readonly failure?: string;
}

export interface ObservedGame {
  readonly id: string;
  /** The game type it was created as (label / process record). */
  readonly type: string;
  /** Replicas the backend was asked for. */
  readonly replicas: number;
  readonly readyReplicas: number;
  /** The backend's reason the game cannot run (every replica crashed, image missing …). */
  readonly failure?: string;
  readonly workers: ReadonlyMap<string, ObservedWorker>;
}

export interface World {
  readonly games: ReadonlyMap<string, ObservedGame>;
  /** Game ids with a `/game-<id>` route in the proxy (Ingress path, nginx location), live. */
  readonly routes: ReadonlySet<string>;
  /** Route entries that are not exactly one per id (duplicates, foreign paths): the route table must be rewritten. */
  readonly routesDirty: boolean;
}

export type GamePhase = "pending" | "ready" | "failed" | "deleting";

export interface WorkerStatus {
  readonly player: string;
  readonly phase: "pending" | "ready" | "failed";
  readonly reason?: string;
  readonly revision: string;
}

export interface GameStatus {
  readonly phase: GamePhase;
  /** Why it is not ready yet, or why it failed. */
  readonly reason?: string;
  readonly readyReplicas: number;
  readonly replicas: number;
  readonly route: boolean;
  readonly workers: readonly WorkerStatus[];
}
