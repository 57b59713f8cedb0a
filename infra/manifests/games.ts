/**
 * Static games from the stack file: per game `game-<id>` a Deployment of game servers and a Service
 * for the viewer port, and one route `/game-<id>` each on the Ingress (or Gateway API HTTPRoutes).
 * Also the policy that fences per-player worker pods, which games create at runtime (issue 6).
 */
import type * as k8s from "@pulumi/kubernetes";
import {
  buildGameDeployment as buildModelGameDeployment,
  buildGameService as buildModelGameService,
  buildWorkersService,
  gameLabels,
  MANAGED_BY,
  type GameContext,
} from "../../services/src/cluster-model";
import type { GameTypes } from "../../services/src/game-types";
import type { GameConfig, ViewerConfig } from "../config-schema";
import { podDisruptionBudget, type EnvVar } from "../hardening";
import { gameName, gamePodLabels, NAMES, objectLabels, selectorLabels, PORTS, WORKER_POD_LABELS } from "../names";
import { gameHttpRouteRule, HTTPROUTE_MAX_RULES } from "../../services/src/game-creator/kubernetes/httproute-patch";
import { gameIngressPath } from "../../services/src/game-creator/kubernetes/ingress-patch";
import type { TierContext } from "./context";
import { networkPolicy, tcp } from "./network-policy";

export interface GamesManifestArgs extends TierContext {
  games: GameConfig[];
  /** The services image's game types and the stack's studio types (their own image and main). */
  gameTypes: GameTypes;
  viewer?: ViewerConfig;
  /** The WebSocket timeout the viewer route gets (above 2 × heartbeat). */
  viewerTimeoutSec: number;
  /** A game-creator owns the Ingress's paths after it is created (its runtime games share the host). */
  creatorOwnsIngressPaths?: boolean;
}

const gameContext = (args: GamesManifestArgs): GameContext<TierContext["image"], EnvVar> => ({
  namespace: args.namespace,
  image: args.image,
  gameTypes: args.gameTypes,
  ...(args.imagePullSecret ? { imagePullSecret: args.imagePullSecret } : {}),
  env: args.serverEnv.game,
  managedBy: MANAGED_BY.stack,
});

/** The cluster model's game Deployment, as the game-creator builds it too. */
export function buildGameDeployment(args: GamesManifestArgs, game: GameConfig): k8s.apps.v1.DeploymentArgs {
  return buildModelGameDeployment(gameContext(args), game);
}

export function buildGameService(args: GamesManifestArgs, game: GameConfig): k8s.core.v1.ServiceArgs {
  return buildModelGameService(gameContext(args), game);
}

/** For game types with workers: the headless Service their worker pods are named under. */
export function buildGameWorkersService(args: GamesManifestArgs, game: GameConfig): k8s.core.v1.ServiceArgs | undefined {
  return buildWorkersService(gameContext(args), game);
}

export function buildGamePodDisruptionBudget(args: GamesManifestArgs, game: GameConfig): k8s.policy.v1.PodDisruptionBudgetArgs {
  return podDisruptionBudget(gameName(game.id), args.namespace, gameLabels(game, MANAGED_BY.stack), gamePodLabels(game.id));
}

/** Annotations of the viewer Ingress: the stack's, plus the WebSocket timeout on each listed key. */
export function viewerIngressAnnotations(viewer: Extract<ViewerConfig, { kind: "ingress" }>, timeoutSec: number): Record<string, string> {
  return { ...viewer.annotations, ...Object.fromEntries(viewer.timeoutAnnotations.map((key) => [key, String(timeoutSec)])) };
}

/**
 * The one Ingress of the viewer host, with a path per static game; with a game-creator it also holds
 * the runtime games' paths (docs/ingress-routes.md). A rule without paths is valid, so a stack with
 * no static games still gets the host (and its TLS) declared.
 */
export function buildGamesIngress(args: GamesManifestArgs, name: string, games: GameConfig[]): k8s.networking.v1.IngressArgs | undefined {
  const viewer = args.viewer;
  if (viewer?.kind !== "ingress") return undefined;
  return {
    metadata: { name, namespace: args.namespace, labels: objectLabels("game"), annotations: viewerIngressAnnotations(viewer, args.viewerTimeoutSec) },
    spec: {
      ingressClassName: viewer.className,
      ...(viewer.tlsSecretName ? { tls: [{ hosts: [viewer.host], secretName: viewer.tlsSecretName }] } : {}),
      rules: [games.length > 0 ? { host: viewer.host, http: { paths: games.map((game) => gameIngressPath(game.id)) } } : { host: viewer.host }],
    },
  };
}

export const gatewayParentRefs = (viewer: Extract<ViewerConfig, { kind: "gateway" }>) => viewer.parentRefs.map((ref) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", ...ref }));

/** Gateway API alternative: HTTPRoutes of at most 16 rules, `/game-<id>` → Service `game-<id>`:8080 (runtime games: the creator's own route). */
export function buildGamesHttpRoutes(args: GamesManifestArgs): k8s.apiextensions.CustomResourceArgs[] {
  const viewer = args.viewer;
  if (viewer?.kind !== "gateway" || args.games.length === 0) return [];
  const routes: k8s.apiextensions.CustomResourceArgs[] = [];
  for (let start = 0; start < args.games.length; start += HTTPROUTE_MAX_RULES) {
    const games = args.games.slice(start, start + HTTPROUTE_MAX_RULES);
    routes.push({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: `${NAMES.gamesRoute}-${start / HTTPROUTE_MAX_RULES}`, namespace: args.namespace, labels: objectLabels("game") },
      spec: {
        parentRefs: gatewayParentRefs(viewer),
        hostnames: viewer.hostnames,
        rules: games.map((game) => gameHttpRouteRule(game.id)),
      },
    });
  }
  return routes;
}

/** Connectors reach game servers' RPC port; the ingress/gateway data plane and scrapers reach the viewer port. */
export function buildGamesNetworkPolicy(args: GamesManifestArgs): k8s.networking.v1.NetworkPolicyArgs {
  return networkPolicy({
    name: "games",
    namespace: args.namespace,
    component: "game",
    podSelector: selectorLabels("game"),
    ingress: [
      { ports: [PORTS.gameRpc], from: [{ tiers: ["connector"] }] },
      { ports: [PORTS.gameHttp], from: [{ namespaces: args.viewer?.controllerNamespaces ?? [] }, { namespaces: args.scrapeNamespaces }] },
    ],
    // Names, Redis, and its players' workers (POST /turn); never the connectors (they dial in).
    egress: [args.egress.dns, args.egress.redis, { ports: tcp(PORTS.worker), to: [{ tiers: ["worker"] }] }],
  });
}

/** Player code runs in workers: only its game may call it, and it may call nothing. */
export function buildWorkersNetworkPolicy(args: GamesManifestArgs): k8s.networking.v1.NetworkPolicyArgs {
  return networkPolicy({
    name: "workers",
    namespace: args.namespace,
    component: "worker",
    podSelector: WORKER_POD_LABELS,
    ingress: [{ ports: [PORTS.worker], from: [{ tiers: ["game"] }] }],
    // No egress rule: a worker may open no connection at all (an escaped bot reaches nothing).
  });
}
