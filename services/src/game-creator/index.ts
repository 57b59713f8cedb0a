/** The game-creator: games and workers created and removed at runtime. See docs/game-creator.md. */
export { GameCreatorApi, type ApiAnswer } from "./api";
export type { GameBackend } from "./backend";
export { parseCreatorConfig, type CreatorConfig } from "./config";
export { DesiredStore } from "./desired-store";
export { createGameSchema, gameName, viewerPath, workerName, type GameSpec, type PlayerSpec } from "./game-spec";
export { GAME_TYPES, type GameTypeName } from "../cluster-model";
export { CreatorHttpServer } from "./http-api";
export { KubernetesBackend } from "./kubernetes/kubernetes-backend";
export { LocalBackend } from "./local/local-backend";
export { planReconcile, type DesiredGame, type ReconcilePlan } from "./reconcile-plan";
export { Reconciler } from "./reconciler";
export type { GameStatus, World } from "./world";
