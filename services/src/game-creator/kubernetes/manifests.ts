/**
 * The objects the game-creator asks Kubernetes for: the cluster model's game and worker objects
 * (services/src/cluster-model), the very builders the stack uses, marked as the creator's own. The
 * `managed-by` label is how the creator finds its objects and never touches the stack's games.
 */
import type { V1EnvVar } from "@kubernetes/client-node";
import {
  buildGameDeployment,
  buildGameService,
  buildWorkerPod,
  buildWorkersService,
  LABELS,
  MANAGED_BY,
  ownedByGame,
  type GameContext,
  type WorkerLimits,
} from "../../cluster-model";
import { SERVICES_GAME_TYPES, type GameTypes } from "../../game-types";
import type { GameSpec, PlayerSpec } from "../game-spec";

export interface ManifestContext {
  readonly namespace: string;
  /** The services image (by digest): every worker runs it, and every game whose type has no image of its own. */
  readonly image: string;
  /** The types games may have (a studio's with their own image); default: the services image's. */
  readonly gameTypes?: GameTypes;
  /** Environment of every game server besides its own (Redis, discovery namespace), as the stack gives it. */
  readonly gameEnv: readonly V1EnvVar[];
  readonly workerLimits: WorkerLimits;
}

/** Every object of the creator carries this: list and delete by it. */
export const managedSelector = `${LABELS.managedBy}=${MANAGED_BY.creator}`;
export const workerSelector = (id?: string): string => `${LABELS.component}=worker,${managedSelector}${id === undefined ? "" : `,${LABELS.game}=${id}`}`;

const gameContext = (context: ManifestContext): GameContext<string, V1EnvVar> => ({ namespace: context.namespace, image: context.image, gameTypes: context.gameTypes ?? SERVICES_GAME_TYPES, env: [...context.gameEnv], managedBy: MANAGED_BY.creator });

export const gameDeployment = (context: ManifestContext, spec: GameSpec) => buildGameDeployment(gameContext(context), spec);

/** The viewer port (and /metrics) the route `/game-<id>` points at; owned by the game's Deployment. */
export const gameService = (context: ManifestContext, spec: GameSpec, deploymentUid: string) => buildGameService(gameContext(context), spec, ownedByGame(spec.id, deploymentUid));

/** The headless Service naming a game's workers, for game types with workers. */
export const workersService = (context: ManifestContext, spec: GameSpec, deploymentUid: string) => buildWorkersService(gameContext(context), spec, ownedByGame(spec.id, deploymentUid));

export const workerPod = (context: ManifestContext, gameId: string, deploymentUid: string, player: PlayerSpec) =>
  buildWorkerPod({ namespace: context.namespace, image: context.image, limits: context.workerLimits, managedBy: MANAGED_BY.creator }, gameId, player, ownedByGame(gameId, deploymentUid));
