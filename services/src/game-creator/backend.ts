/**
 * The seam between the reconciler and what runs games: Kubernetes (Deployments, Services, Pods and
 * one Ingress) or this machine (child processes and the local nginx). Every method is idempotent —
 * creating what exists or deleting what is gone succeeds — so a pass can be repeated after a crash.
 */
import type { GameSpec, PlayerSpec } from "./game-spec";
import type { World } from "./world";

export interface GameBackend {
  readonly kind: "kubernetes" | "local";
  /** Everything this backend runs for the game-creator (never games it did not create). */
  observe(): Promise<World>;
  /** Starts the game's servers. Returns without waiting for them to be ready. */
  createGame(spec: GameSpec): Promise<void>;
  scaleGame(id: string, replicas: number): Promise<void>;
  /** Stops the game's servers and workers and forgets them. */
  deleteGame(id: string): Promise<void>;
  /** Makes the proxy's route table exactly `/game-<id>` for these ids (adds, removes, deduplicates). */
  setRoutes(ids: readonly string[]): Promise<void>;
  /** Starts a player's worker; returns without waiting for it to be ready. */
  createWorker(gameId: string, player: PlayerSpec): Promise<void>;
  deleteWorker(gameId: string, player: string): Promise<void>;
  /** Counters for /metrics and tests (conflicts retried, API calls …). */
  counters(): Record<string, number>;
  close(): Promise<void>;
}
