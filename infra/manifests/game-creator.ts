/**
 * The game-creator (issue 6): adds and removes games while the cluster runs. It is the only Pomona
 * pod that talks to the Kubernetes API, through a namespaced Role with exactly the verbs it needs.
 * It owns the paths of its own Ingress (`games-runtime`); Pulumi creates that Ingress once and then
 * leaves its rules alone, so a `pulumi up` never deletes a game created at runtime.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig, ViewerConfig } from "../config-schema";
import { fieldEnv, metricsAnnotations, plainEnv, podDisruptionBudget, secretEnv } from "../hardening";
import { LABELS, NAMES, objectLabels, PORTS, selectorLabels } from "../names";
import type { TierContext } from "./context";
import { buildGamesIngress } from "./games";
import { networkPolicy, tcp } from "./network-policy";
import { serverContainer, serverPodSpec } from "./workload";

export interface GameCreatorManifestArgs extends TierContext {
  /** The creator's own image (services/Dockerfile target game-creator: the one with the Kubernetes client). */
  creatorImage: pulumi.Input<string>;
  /** In the names games call their workers by. */
  clusterDomain: string;
  gameCreator: StackConfig["gameCreator"];
  viewer: Extract<ViewerConfig, { kind: "ingress" }>;
  viewerTimeoutSec: number;
}

const labels = objectLabels("game-creator");
const selector = selectorLabels("game-creator");
export const RUNTIME_INGRESS = "games-runtime";

/** Exactly what issue 6 needs, in this namespace only: games, their Services, workers, and one Ingress. */
export const GAME_CREATOR_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
  { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "create", "delete"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], resourceNames: [RUNTIME_INGRESS], verbs: ["get", "patch"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "delete"] },
];

export function buildGameCreatorServiceAccount(args: GameCreatorManifestArgs): k8s.core.v1.ServiceAccountArgs {
  return { metadata: { name: NAMES.gameCreator, namespace: args.namespace, labels }, automountServiceAccountToken: false };
}

export function buildGameCreatorRole(args: GameCreatorManifestArgs): k8s.rbac.v1.RoleArgs {
  return { metadata: { name: NAMES.gameCreator, namespace: args.namespace, labels }, rules: GAME_CREATOR_RULES };
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
      ...plainEnv({ PORT: PORTS.gameCreator, INGRESS_NAME: RUNTIME_INGRESS, CLUSTER_DOMAIN: args.clusterDomain }),
      // The image it starts games and workers from: the same digest as every other server.
      { name: "GAME_IMAGE", value: args.image },
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
      // One reconciler: two would race on the same Ingress and Deployments.
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

/** The Ingress whose paths the game-creator owns; declared with its host and no path. */
export function buildRuntimeIngress(args: GameCreatorManifestArgs): k8s.networking.v1.IngressArgs {
  const ingress = buildGamesIngress({ ...args, games: [] }, RUNTIME_INGRESS, []);
  if (ingress === undefined) throw new Error("the runtime Ingress needs viewer.kind ingress");
  return { ...ingress, metadata: { ...ingress.metadata, labels } };
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
