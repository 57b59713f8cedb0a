/**
 * A player's worker: one Pod `game-<id>-worker-<player>` running the player's bot in the sandbox,
 * owned by its game's Deployment (it dies with the game), with the hostname and subdomain that give
 * it the DNS name the game calls (`names.ts` workerHost). It holds no Secret and reaches nothing.
 */
import { IMAGE_NODE_MAJOR, IMAGE_PERMISSION_FLAG } from "../workers/permission-flag";
import { sandboxProcessMemoryMb, supervisorNodeArgs } from "../workers/isolation";
import type { OwnerReference, Pod } from "./kube-objects";
import { LABELS, objectLabels, type ManagedBy } from "./labels";
import { workerName, workersServiceName } from "./names";
import { plainEnv } from "./pod";
import { PORTS } from "./ports";
import { workerReadinessProbe } from "./probes";
import { containerSecurityContext, podSecurityContext, UIDS } from "./security";

export interface WorkerLimits {
  /** Per-turn CPU deadline inside the sandbox. */
  readonly turnDeadlineMs: number;
  /** Heap of the sandbox thread; the pod's memory limit is above it with room for Node itself. */
  readonly sandboxMemoryMb: number;
  readonly podMemoryMi: number;
  readonly podCpuMilli: number;
}

export interface WorkerContext<Image = string> {
  namespace: string;
  image: Image;
  limits: WorkerLimits;
  managedBy: ManagedBy;
}

/** A player's bot as the desired state holds it. */
export interface WorkerModel {
  readonly player: string;
  readonly code: string;
  /** Hash of the code (label): new code replaces the worker. */
  readonly revision: string;
}

/** Where the worker's compiled code lives in the image: the only files its process may read. */
export const WORKER_DIST_DIR = "/app/services/dist/src/workers/";

export function buildWorkerPod<Image>(context: WorkerContext<Image>, gameId: string, worker: WorkerModel, owner: OwnerReference): Pod<Image> {
  const limits = context.limits;
  const name = workerName(gameId, worker.player);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: context.namespace,
      labels: objectLabels("worker", { [LABELS.game]: gameId, [LABELS.player]: worker.player, [LABELS.revision]: worker.revision }, context.managedBy),
      ownerReferences: [owner],
    },
    spec: {
      // A bot that crashed its worker stays stopped (its reason is the pod's status), never crash-loops.
      restartPolicy: "Never",
      hostname: name,
      subdomain: workersServiceName(gameId),
      securityContext: podSecurityContext(UIDS.services, { fsGroup: false }),
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
          env: plainEnv({
            // The pod is the sandbox process's network and PID namespace (no capability to make its own).
            WORKER_ISOLATION: "pod",
            PORT: PORTS.worker,
            HOST: "0.0.0.0",
            PLAYER: worker.player,
            PLAYER_CODE: worker.code,
            TURN_DEADLINE_MS: limits.turnDeadlineMs,
            SANDBOX_MEMORY_MB: limits.sandboxMemoryMb,
            // RLIMIT_DATA for the image's Node 24 (address space; the pod's limit bounds RSS).
            SANDBOX_PROCESS_MEMORY_MB: sandboxProcessMemoryMb(limits.sandboxMemoryMb, IMAGE_NODE_MAJOR),
          }),
          securityContext: containerSecurityContext(UIDS.services),
          resources: {
            requests: { cpu: `${Math.max(10, Math.round(limits.podCpuMilli / 4))}m`, memory: `${limits.podMemoryMi}Mi` },
            limits: { cpu: `${limits.podCpuMilli}m`, memory: `${limits.podMemoryMi}Mi` },
          },
          readinessProbe: workerReadinessProbe("turn"),
        },
      ],
    },
  };
}
