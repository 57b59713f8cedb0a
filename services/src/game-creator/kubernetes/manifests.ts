/**
 * The objects the game-creator asks Kubernetes for, as pure functions of the desired state: per game
 * a Deployment and a Service `game-<id>`, per player a Pod `game-<id>-worker-<player>` owned by the
 * game's Deployment. Labels match what the stack's NetworkPolicies select (infra/names.ts), and the
 * `managed-by` label is how the creator finds its own objects and never touches the stack's games.
 */
import type { V1Deployment, V1EnvVar, V1OwnerReference, V1Pod, V1SecurityContext, V1Service } from "@kubernetes/client-node";
import { findGameType, gameTypeImage, SERVICES_GAME_TYPES, type GameTypes } from "../../game-types";
import { gameName, workerName, type GameSpec, type PlayerSpec } from "../game-spec";
import { IMAGE_NODE_MAJOR, IMAGE_PERMISSION_FLAG } from "../../workers/permission-flag";
import { sandboxProcessMemoryMb, supervisorNodeArgs } from "../../workers/isolation";

export const LABELS = {
  partOf: "app.kubernetes.io/part-of",
  component: "app.kubernetes.io/component",
  managedBy: "app.kubernetes.io/managed-by",
  game: "pomona.dev/game",
  gameType: "pomona.dev/game-type",
  player: "pomona.dev/player",
  revision: "pomona.dev/code-revision",
} as const;

export const MANAGED_BY = "pomona-game-creator";
export const PORTS = { gameRpc: 4100, gameHttp: 8080, worker: 8000 } as const;
/** `USER 10001` of services/Dockerfile. */
const SERVICES_UID = 10001;

export interface ManifestContext {
  readonly namespace: string;
  /** The services image (by digest): every worker, and every game whose type names no image of its own. */
  readonly image: string;
  /** The types games may have (a studio's with their own image); default: the services image's. */
  readonly gameTypes?: GameTypes;
  /** Environment of every game server besides its own (Redis, discovery namespace, routes), as the stack gives it. */
  readonly gameEnv: readonly V1EnvVar[];
  readonly workerLimits: WorkerPodLimits;
}

export interface WorkerPodLimits {
  /** Per-turn CPU deadline inside the sandbox. */
  readonly turnDeadlineMs: number;
  /** Heap of the sandbox thread; the pod's memory limit is above it with room for Node itself. */
  readonly sandboxMemoryMb: number;
  readonly podMemoryMi: number;
  readonly podCpuMilli: number;
}

const base = { [LABELS.partOf]: "pomona" } as const;
/** Selector of a game's server pods (immutable in the Deployment: kept few), as infra/names.ts gamePodLabels. */
export const gameSelector = (id: string): Record<string, string> => ({ ...base, [LABELS.component]: "game", [LABELS.game]: id });
const gameLabels = (spec: GameSpec): Record<string, string> => ({ ...gameSelector(spec.id), [LABELS.managedBy]: MANAGED_BY, [LABELS.gameType]: spec.type });
/** Every object of the creator carries this: list and delete by it. */
export const managedSelector = `${LABELS.managedBy}=${MANAGED_BY}`;
export const workerSelector = (id?: string): string => `${LABELS.component}=worker,${managedSelector}${id === undefined ? "" : `,${LABELS.game}=${id}`}`;

function securityContext(): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: SERVICES_UID,
    runAsGroup: SERVICES_UID,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

const probe = (path: string, port: string, periodSeconds: number, failureThreshold: number) => ({ httpGet: { path, port }, periodSeconds, timeoutSeconds: 2, failureThreshold });

export function gameDeployment(context: ManifestContext, spec: GameSpec): V1Deployment {
  const type = findGameType(context.gameTypes ?? SERVICES_GAME_TYPES, spec.type);
  if (type === undefined) throw new Error(`game ${spec.id} has type "${spec.type}", which this game-creator does not know (GAME_TYPES)`);
  const labels = gameLabels(spec);
  const env: V1EnvVar[] = [
    { name: "SERVER_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "HOST", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    { name: "PORT", value: String(PORTS.gameRpc) },
    { name: "HTTP_PORT", value: String(PORTS.gameHttp) },
    { name: "GAME_ID", value: spec.id },
    { name: "TICK_HZ", value: String(spec.tickHz ?? type.defaultTickHz) },
    { name: "GAME_SETTINGS", value: JSON.stringify(spec.settings) },
    ...context.gameEnv,
  ];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: gameName(spec.id), namespace: context.namespace, labels },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: gameSelector(spec.id) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(PORTS.gameHttp), "prometheus.io/path": "/metrics" } },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: SERVICES_UID, runAsGroup: SERVICES_UID, fsGroup: SERVICES_UID, seccompProfile: { type: "RuntimeDefault" } },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 35,
          containers: [
            {
              name: "game",
              image: gameTypeImage(type, context.image),
              command: ["node", type.main],
              ports: [
                { name: "rpc", containerPort: PORTS.gameRpc },
                { name: "http", containerPort: PORTS.gameHttp },
              ],
              env,
              securityContext: securityContext(),
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
              startupProbe: probe("/healthz", "http", 2, 30),
              livenessProbe: probe("/healthz", "http", 10, 3),
              readinessProbe: probe("/readyz", "http", 2, 2),
              lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
        },
      },
    },
  };
}

/** The owner link that makes Kubernetes' garbage collector delete `owned` with the game's Deployment. */
export function ownedByGame(id: string, deploymentUid: string): V1OwnerReference {
  // blockOwnerDeletion needs `update` on deployments/finalizers, which the Role does not grant.
  return { apiVersion: "apps/v1", kind: "Deployment", name: gameName(id), uid: deploymentUid, controller: false, blockOwnerDeletion: false };
}

/** The viewer port (and /metrics) the Ingress path `/game-<id>` points at. */
export function gameService(context: ManifestContext, spec: GameSpec, deploymentUid: string): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: gameName(spec.id), namespace: context.namespace, labels: { ...gameLabels(spec), "pomona.dev/metrics": "true" }, ownerReferences: [ownedByGame(spec.id, deploymentUid)] },
    spec: { type: "ClusterIP", selector: gameSelector(spec.id), ports: [{ name: "http", port: PORTS.gameHttp, targetPort: "http" }] },
  };
}

/** Where the worker's compiled code lives in the image: the only files its process may read. */
export const WORKER_DIST_DIR = "/app/services/dist/src/workers/";

export function workerPod(context: ManifestContext, gameId: string, deploymentUid: string, player: PlayerSpec): V1Pod {
  const limits = context.workerLimits;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: workerName(gameId, player.player),
      namespace: context.namespace,
      labels: { ...base, [LABELS.component]: "worker", [LABELS.managedBy]: MANAGED_BY, [LABELS.game]: gameId, [LABELS.player]: player.player, [LABELS.revision]: player.revision },
      ownerReferences: [ownedByGame(gameId, deploymentUid)],
    },
    spec: {
      // A bot that crashed its worker stays stopped (its reason is the pod's status), never crash-loops.
      restartPolicy: "Never",
      securityContext: { runAsNonRoot: true, runAsUser: SERVICES_UID, runAsGroup: SERVICES_UID, seccompProfile: { type: "RuntimeDefault" } },
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: "worker",
          image: context.image,
          // The supervisor; it starts the bot's sandbox process under the same permission model (services/src/workers/isolation.ts).
          command: ["node", ...supervisorNodeArgs(`${WORKER_DIST_DIR}worker-main.js`, limits.sandboxMemoryMb, IMAGE_PERMISSION_FLAG)],
          ports: [{ name: "turn", containerPort: PORTS.worker }],
          env: [
            // The pod is the sandbox process's network and PID namespace (no capability to make its own).
            { name: "WORKER_ISOLATION", value: "pod" },
            { name: "PORT", value: String(PORTS.worker) },
            { name: "HOST", value: "0.0.0.0" },
            { name: "PLAYER", value: player.player },
            { name: "PLAYER_CODE", value: player.code },
            { name: "TURN_DEADLINE_MS", value: String(limits.turnDeadlineMs) },
            { name: "SANDBOX_MEMORY_MB", value: String(limits.sandboxMemoryMb) },
            // RLIMIT_DATA for the image's Node 24 (address space; the pod's limit bounds RSS).
            { name: "SANDBOX_PROCESS_MEMORY_MB", value: String(sandboxProcessMemoryMb(limits.sandboxMemoryMb, IMAGE_NODE_MAJOR)) },
          ],
          securityContext: securityContext(),
          resources: { requests: { cpu: `${Math.max(10, Math.round(limits.podCpuMilli / 4))}m`, memory: `${limits.podMemoryMi}Mi` }, limits: { cpu: `${limits.podCpuMilli}m`, memory: `${limits.podMemoryMi}Mi` } },
          readinessProbe: { httpGet: { path: "/healthz", port: "turn" }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
        },
      ],
    },
  };
}
