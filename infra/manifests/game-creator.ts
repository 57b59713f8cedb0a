/**
 * The game-creator (issue 6): adds and removes games while the cluster runs. It is the only Pomona
 * pod that talks to the Kubernetes API, through a namespaced Role with exactly the verbs it needs.
 * It owns the game entries of one route object (docs/ingress-routes.md): with an Ingress, the viewer
 * host's one Ingress `games` (static paths seeded by the stack, kept by the creator); with the Gateway
 * API, its own HTTPRoute `games-runtime` beside the static ones. Pulumi creates that object once and
 * then leaves its rules alone, so a `pulumi up` never deletes a game created at runtime.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StudioGameTypes } from "../../services/src/game-types";
import type { GameConfig, StackConfig, ViewerConfig } from "../config-schema";
import { fieldEnv, metricsAnnotations, plainEnv, podDisruptionBudget, secretEnv } from "../hardening";
import { LABELS, NAMES, objectLabels, PORTS, selectorLabels } from "../names";
import type { TierContext } from "./context";
import { gatewayParentRefs } from "./games";
import { networkPolicy, tcp } from "./network-policy";
import { serverContainer, serverPodSpec } from "./workload";

export interface GameCreatorManifestArgs extends TierContext {
  /** The creator's own image (services/Dockerfile target game-creator: the one with the Kubernetes client). */
  creatorImage: pulumi.Input<string>;
  /** In the names games call their workers by. */
  clusterDomain: string;
  gameCreator: StackConfig["gameCreator"];
  viewer: ViewerConfig;
  /** The stack's games: with an Ingress their paths share the creator's object, and it keeps them. */
  games: GameConfig[];
  /** The stack's studio game types (pomona:gameTypes): the creator may start games of these too, from their own images. */
  studioGameTypes: StudioGameTypes;
}

const labels = objectLabels("game-creator");
const selector = selectorLabels("game-creator");
/** The HTTPRoute whose rules the creator owns (Gateway API layout). */
export const RUNTIME_HTTPROUTE = "games-runtime";

/** The object whose game entries the creator owns, as the env and the Role name it. */
export function creatorRouteObject(viewer: ViewerConfig): { env: Record<string, string>; rule: k8s.types.input.rbac.v1.PolicyRule } {
  if (viewer.kind === "ingress") {
    return { env: { INGRESS_NAME: NAMES.gamesRoute }, rule: { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], resourceNames: [NAMES.gamesRoute], verbs: ["get", "patch"] } };
  }
  return { env: { HTTPROUTE_NAME: RUNTIME_HTTPROUTE }, rule: { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], resourceNames: [RUNTIME_HTTPROUTE], verbs: ["get", "patch"] } };
}

/** Exactly what issue 6 needs, in this namespace only: games, their Services, workers, and one route object. */
export function gameCreatorRules(viewer: ViewerConfig): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
    { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "create", "delete"] },
    creatorRouteObject(viewer).rule,
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "delete"] },
  ];
}

export function buildGameCreatorServiceAccount(args: GameCreatorManifestArgs): k8s.core.v1.ServiceAccountArgs {
  return { metadata: { name: NAMES.gameCreator, namespace: args.namespace, labels }, automountServiceAccountToken: false };
}

export function buildGameCreatorRole(args: GameCreatorManifestArgs): k8s.rbac.v1.RoleArgs {
  return { metadata: { name: NAMES.gameCreator, namespace: args.namespace, labels }, rules: gameCreatorRules(args.viewer) };
}

export function buildGameCreatorRoleBinding(args: GameCreatorManifestArgs): k8s.rbac.v1.RoleBindingArgs {
  return {
    metadata: { name: NAMES.gameCreator, namespace: args.namespace, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NAMES.gameCreator },
    subjects: [{ kind: "ServiceAccount", name: NAMES.gameCreator, namespace: args.namespace }],
  };
}

export function buildGameCreatorSecret(args: GameCreatorManifestArgs, token: pulumi.Input<string>): k8s.core.v1.SecretArgs {
  return { metadata: { name: NAMES.gameCreatorSecret, namespace: args.namespace, labels }, type: "Opaque", stringData: { token } };
}

export function buildGameCreatorDeployment(args: GameCreatorManifestArgs): k8s.apps.v1.DeploymentArgs {
  const container = serverContainer({
    name: "game-creator",
    image: args.creatorImage,
    entryPoint: "services/dist/src/roles/game-creator-main.js",
    ports: { http: PORTS.gameCreator },
    env: [
      fieldEnv("POD_NAMESPACE", "metadata.namespace"),
      ...plainEnv({ PORT: PORTS.gameCreator, ...creatorRouteObject(args.viewer).env, CLUSTER_DOMAIN: args.clusterDomain }),
      ...(args.viewer.kind === "ingress" && args.games.length > 0 ? plainEnv({ STATIC_GAME_IDS: args.games.map((game) => game.id).join(",") }) : []),
      // The image it starts games and workers from: the same digest as every other server.
      { name: "GAME_IMAGE", value: args.image },
      ...plainEnv({ GAME_TYPES: Object.keys(args.studioGameTypes).length > 0 ? JSON.stringify(args.studioGameTypes) : undefined }),
      secretEnv("CREATOR_TOKEN", NAMES.gameCreatorSecret, "token"),
      ...args.serverEnv.creator,
      // The env every game server it creates gets: the game role's Secret references, never a password.
      { name: "GAME_ENV", value: pulumi.output(args.serverEnv.game).apply((env) => JSON.stringify(env)) },
      ...plainEnv({ MAX_GAMES: args.gameCreator.limits.maxGames, MAX_PLAYERS_PER_GAME: args.gameCreator.limits.maxPlayersPerGame, MAX_WORKERS: args.gameCreator.limits.maxWorkers }),
    ],
    resources: args.gameCreator.resources,
    preStopSec: 2,
  });
  return {
    metadata: { name: NAMES.gameCreator, namespace: args.namespace, labels },
    spec: {
      // One reconciler: two would race on the same route object and Deployments.
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations: metricsAnnotations(PORTS.gameCreator) },
        spec: serverPodSpec(args, container, {
          terminationGracePeriodSeconds: 30,
          serviceAccountName: NAMES.gameCreator,
          // The one pod that needs API credentials.
          automountServiceAccountToken: true,
        }),
      },
    },
  };
}

/** Internal only: the API is for operators (port-forward) and the namespaces the stack lists. */
export function buildGameCreatorService(args: GameCreatorManifestArgs): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: NAMES.gameCreator, namespace: args.namespace, labels: { ...labels, [LABELS.metrics]: "true" } },
    spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: PORTS.gameCreator, targetPort: "http" }] },
  };
}

/** Gateway API layout: the HTTPRoute whose rules the game-creator owns, declared with its parents and hostnames and no rule. */
export function buildRuntimeHttpRoute(args: GameCreatorManifestArgs): k8s.apiextensions.CustomResourceArgs | undefined {
  if (args.viewer.kind !== "gateway") return undefined;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: RUNTIME_HTTPROUTE, namespace: args.namespace, labels },
    spec: { parentRefs: gatewayParentRefs(args.viewer), hostnames: args.viewer.hostnames, rules: [] },
  };
}

export function buildGameCreatorPodDisruptionBudget(args: GameCreatorManifestArgs): k8s.policy.v1.PodDisruptionBudgetArgs {
  return podDisruptionBudget(NAMES.gameCreator, args.namespace, labels, selector);
}

export function buildGameCreatorNetworkPolicy(args: GameCreatorManifestArgs): k8s.networking.v1.NetworkPolicyArgs {
  return networkPolicy({
    name: NAMES.gameCreator,
    namespace: args.namespace,
    component: "game-creator",
    podSelector: selector,
    ingress: [{ ports: [PORTS.gameCreator], from: [{ namespaces: args.gameCreator.apiClientNamespaces }, { namespaces: args.scrapeNamespaces }] }],
    // Names, Redis, and the Kubernetes API (the stack's CIDRs, the metadata address excepted).
    egress: [args.egress.dns, args.egress.redis, { ports: tcp(443, 6443), to: [{ cidrs: args.gameCreator.apiServerCidrs }] }],
  });
}
