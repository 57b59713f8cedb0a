/**
 * Static games from the stack file: per game `game-<id>` a Deployment of game servers and a Service
 * for the viewer port, and one route `/game-<id>` each on the Ingress (or Gateway API HTTPRoutes).
 * Also the policy that fences per-player worker pods, which games create at runtime (issue 6).
 */
import type * as k8s from "@pulumi/kubernetes";
import { findGameType, gameTypeImage, type GameTypes } from "../../services/src/game-types";
import type { GameConfig, ViewerConfig } from "../config-schema";
import { fieldEnv, metricsAnnotations, plainEnv, podDisruptionBudget } from "../hardening";
import { gameName, gamePodLabels, LABELS, NAMES, objectLabels, PORTS, selectorLabels, WORKER_POD_LABELS } from "../names";
import { gameHttpRouteRule, HTTPROUTE_MAX_RULES } from "../../services/src/game-creator/kubernetes/httproute-patch";
import { gameIngressPath } from "../../services/src/game-creator/kubernetes/ingress-patch";
import type { TierContext } from "./context";
import { networkPolicy, tcp } from "./network-policy";
import { serverContainer, serverPodSpec, surgeFirstDeployment } from "./workload";

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

const PRE_STOP_SEC = 5;
/** SIGTERM: no new players; the rest stay until they leave or this passes (DRAIN_TIMEOUT_MS). */
const DRAIN_SEC = 20;

const gameLabels = (id: string) => objectLabels("game", { [LABELS.game]: id });

export function buildGameDeployment(args: GamesManifestArgs, game: GameConfig): k8s.apps.v1.DeploymentArgs {
  const selector = gamePodLabels(game.id);
  const type = findGameType(args.gameTypes, game.type);
  if (type === undefined) throw new Error(`pomona:games: game ${game.id} has type "${game.type}", which is neither the services image's nor in pomona:gameTypes`);
  const container = serverContainer({
    name: "game",
    image: gameTypeImage(type, args.image),
    entryPoint: type.main,
    ports: { rpc: PORTS.gameRpc, http: PORTS.gameHttp },
    env: [
      fieldEnv("SERVER_ID", "metadata.name"),
      // The game server listens on, and publishes, its pod IP: connectors dial it directly.
      fieldEnv("HOST", "status.podIP"),
      ...plainEnv({ PORT: PORTS.gameRpc, HTTP_PORT: PORTS.gameHttp, GAME_ID: game.id, TICK_HZ: game.tickHz ?? type.defaultTickHz, DRAIN_TIMEOUT_MS: DRAIN_SEC * 1000 }),
      ...args.serverEnv.game,
    ],
    resources: game.resources,
    preStopSec: PRE_STOP_SEC,
  });
  return surgeFirstDeployment({
    name: gameName(game.id),
    namespace: args.namespace,
    labels: gameLabels(game.id),
    selector,
    replicas: game.replicas,
    podAnnotations: metricsAnnotations(PORTS.gameHttp),
    pod: serverPodSpec(args, container, { terminationGracePeriodSeconds: PRE_STOP_SEC + DRAIN_SEC + 10, spreadSelector: selector }),
  });
}

/** The viewer port (and /metrics); RPC needs no Service, connectors use pod IPs from discovery. */
export function buildGameService(args: GamesManifestArgs, game: GameConfig): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: gameName(game.id), namespace: args.namespace, labels: { ...gameLabels(game.id), [LABELS.metrics]: "true" } },
    spec: { type: "ClusterIP", selector: gamePodLabels(game.id), ports: [{ name: "http", port: PORTS.gameHttp, targetPort: "http" }] },
  };
}

export function buildGamePodDisruptionBudget(args: GamesManifestArgs, game: GameConfig): k8s.policy.v1.PodDisruptionBudgetArgs {
  return podDisruptionBudget(gameName(game.id), args.namespace, gameLabels(game.id), gamePodLabels(game.id));
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
