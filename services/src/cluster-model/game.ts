/**
 * A game's objects, built the same way whoever asks: the stack (static games, through Pulumi) and the
 * game-creator (runtime games, through the Kubernetes API). Per game `game-<id>`: a Deployment of game
 * servers, a Service for the viewer port, and for game types with workers a headless Service
 * `game-<id>-workers` under which each worker pod has its DNS name.
 */
import { findGameType, gameTypeImage, gameTypeNames, type GameType, type GameTypes } from "../game-types";
import type { GameSettings } from "./settings";
import type { Container, Deployment, EmptyDirVolume, EnvVar, OwnerReference, PodSpec, Resources, Service } from "./kube-objects";
import { gamePodLabels, gameWorkerLabels, LABELS, objectLabels, type ManagedBy } from "./labels";
import { gameName, workersServiceName } from "./names";
import { fieldEnv, metricsAnnotations, plainEnv } from "./pod";
import { PORTS } from "./ports";
import { serverContainer, serverPodSpec, surgeFirstDeployment } from "./server-workload";

/** What a game is, as a stack file or a creator request says it. */
export interface GameModel {
  id: string;
  /** A name in the context's `gameTypes`. */
  type: string;
  replicas: number;
  /** Omitted: the type's default. */
  tickHz?: number;
  /** Passed to the game as GAME_SETTINGS (JSON); the game reads them with `ctx.settings`. */
  settings?: GameSettings;
  /** Omitted: DEFAULT_GAME_RESOURCES. */
  resources?: Resources;
}

/** Where and how a game runs: the same for every game of a cluster. */
export interface GameContext<Image = string, Env = EnvVar> {
  namespace: string;
  /** The services image, by digest (a studio game type runs its own). */
  image: Image;
  /** The registry of game types (services/src/game-types): the services image's and the stack's studio types. */
  gameTypes: GameTypes;
  imagePullSecret?: string;
  /** What every game server needs besides its own: Redis (the game role's Secret), discovery namespace. */
  env: Env[];
  managedBy: ManagedBy;
}

export const DEFAULT_GAME_RESOURCES: Resources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } };
const PRE_STOP_SEC = 5;
/** SIGTERM: no new players; the rest stay until they leave or this passes (DRAIN_TIMEOUT_MS). */
const DRAIN_SEC = 20;

export type GamePod<Image, Env> = PodSpec<Container<Image, Env | EnvVar>, EmptyDirVolume>;

/** Labels of every object of a game (the selector's plus its type and who manages it). */
export const gameLabels = (game: Pick<GameModel, "id" | "type">, managedBy: ManagedBy) => objectLabels("game", { [LABELS.game]: game.id, [LABELS.gameType]: game.type }, managedBy);

/** The type of `game`, or an error naming the known ones. */
export function typeOfGame(gameTypes: GameTypes, game: Pick<GameModel, "id" | "type">): GameType {
  const type = findGameType(gameTypes, game.type);
  if (type === undefined) throw new Error(`game ${game.id} has type "${game.type}", which is not one of ${gameTypeNames(gameTypes)} (GAME_TYPES, pomona:gameTypes)`);
  return type;
}

export function buildGameDeployment<Image, Env>(context: GameContext<Image, Env>, game: GameModel): Deployment<GamePod<Image | string, Env>> {
  const type = typeOfGame(context.gameTypes, game);
  const selector = gamePodLabels(game.id);
  const container = serverContainer<Image | string, Env | EnvVar>({
    name: "game",
    image: gameTypeImage(type, context.image),
    entryPoint: type.main,
    ports: { rpc: PORTS.gameRpc, http: PORTS.gameHttp },
    env: [
      fieldEnv("SERVER_ID", "metadata.name"),
      // The game server listens on, and publishes, its pod IP: connectors dial it directly.
      fieldEnv("HOST", "status.podIP"),
      ...plainEnv({
        PORT: PORTS.gameRpc,
        HTTP_PORT: PORTS.gameHttp,
        GAME_ID: game.id,
        TICK_HZ: game.tickHz ?? type.defaultTickHz,
        GAME_SETTINGS: JSON.stringify(game.settings ?? {}),
        DRAIN_TIMEOUT_MS: DRAIN_SEC * 1000,
      }),
      ...context.env,
    ],
    resources: game.resources ?? DEFAULT_GAME_RESOURCES,
    preStopSec: PRE_STOP_SEC,
  });
  return surgeFirstDeployment({
    name: gameName(game.id),
    namespace: context.namespace,
    labels: gameLabels(game, context.managedBy),
    selector,
    replicas: game.replicas,
    podAnnotations: metricsAnnotations(PORTS.gameHttp),
    pod: serverPodSpec(context, container, { terminationGracePeriodSeconds: PRE_STOP_SEC + DRAIN_SEC + 10, spreadSelector: selector }),
  });
}

/** The viewer port (and /metrics); RPC needs no Service, connectors use pod IPs from discovery. */
export function buildGameService(context: Pick<GameContext, "namespace" | "managedBy">, game: Pick<GameModel, "id" | "type">, owner?: OwnerReference): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: gameName(game.id),
      namespace: context.namespace,
      labels: { ...gameLabels(game, context.managedBy), [LABELS.metrics]: "true" },
      ...(owner ? { ownerReferences: [owner] } : {}),
    },
    spec: { type: "ClusterIP", selector: gamePodLabels(game.id), ports: [{ name: "http", port: PORTS.gameHttp, targetPort: "http" }] },
  };
}

/**
 * Headless: each worker pod (hostname `game-<id>-worker-<player>`, subdomain this Service) gets its
 * own DNS record once ready, which is the name the game calls. Only game types with workers have one.
 */
export function buildWorkersService(context: Pick<GameContext, "namespace" | "managedBy" | "gameTypes">, game: Pick<GameModel, "id" | "type">, owner?: OwnerReference): Service | undefined {
  if (!typeOfGame(context.gameTypes, game).workers) return undefined;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: workersServiceName(game.id), namespace: context.namespace, labels: gameLabels(game, context.managedBy), ...(owner ? { ownerReferences: [owner] } : {}) },
    // The record exists from the pod's first IP: the game calls a worker only once the creator saw it Ready.
    spec: { type: "ClusterIP", clusterIP: "None", publishNotReadyAddresses: true, selector: gameWorkerLabels(game.id), ports: [{ name: "turn", port: PORTS.worker, targetPort: "turn" }] },
  };
}

/** The owner link that makes Kubernetes' garbage collector delete `owned` with the game's Deployment. */
export function ownedByGame(id: string, deploymentUid: string): OwnerReference {
  // blockOwnerDeletion needs `update` on deployments/finalizers, which the creator's Role does not grant.
  return { apiVersion: "apps/v1", kind: "Deployment", name: gameName(id), uid: deploymentUid, controller: false, blockOwnerDeletion: false };
}
