/**
 * The Kubernetes backend (`@kubernetes/client-node`): a game is a Deployment and a Service
 * `game-<id>` plus a `/game-<id>` entry on the route object it owns (an Ingress path or an HTTPRoute
 * rule, route-table.ts); a worker is a Pod owned by its game's Deployment. It observes by listing what
 * carries its `managed-by` label (so a restart adopts what exists, and the stack's own games are never
 * seen), writes the route object with resourceVersion-pinned JSON patches retried on 409, and deletes
 * by name and by label, with ownerReferences as the garbage collector's safety net.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from "@kubernetes/client-node";
import type { GameBackend } from "../backend";
import { findGameType, SERVICES_GAME_TYPES, type GameTypes } from "../../game-types";
import { LABELS, PORTS, workerHost, workersServiceName } from "../../cluster-model";
import { gameName, workerName, type GameSpec, type PlayerSpec } from "../game-spec";
import type { ObservedGame, ObservedWorker, World } from "../world";
import { gameDeployment, gameService, managedSelector, workerPod, workerSelector, workersService, type ManifestContext } from "./manifests";
import { routeTable, type RouteObject, type RouteTable } from "./route-table";

export interface KubernetesBackendOptions extends ManifestContext {
  readonly kubeConfig: KubeConfig;
  /** The Ingress (rule 0) or HTTPRoute whose game entries the creator owns (the stack creates it). */
  readonly route: RouteObject;
  /** The stack's games whose entries share that object (the Ingress layout): kept, never reported as the creator's. */
  readonly staticGameIds?: readonly string[];
  /** Attempts of one route write when others keep changing the object (409). */
  readonly maxConflictRetries?: number;
  /** The cluster's DNS domain: workers are reached at `<pod>.<game>-workers.<namespace>.svc.<domain>`. */
  readonly clusterDomain: string;
}

export interface KubernetesCounters {
  apiCalls: number;
  routePatches: number;
  routeConflicts: number;
  alreadyExisted: number;
  alreadyGone: number;
}

const JSON_PATCH = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

export class KubernetesBackend implements GameBackend {
  readonly kind = "kubernetes" as const;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly routes: RouteTable;
  private readonly stats: KubernetesCounters = { apiCalls: 0, routePatches: 0, routeConflicts: 0, alreadyExisted: 0, alreadyGone: 0 };
  /** Deployment uid per game id, from the last observe or create: the owner of its Service and workers. */
  private readonly deploymentUids = new Map<string, string>();

  constructor(private readonly options: KubernetesBackendOptions) {
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.routes = routeTable(options.kubeConfig, options.namespace, options.route, options.staticGameIds ?? [], JSON_PATCH);
  }

  counters(): Record<string, number> {
    return { ...this.stats };
  }

  async observe(): Promise<World> {
    const namespace = this.options.namespace;
    const [deployments, pods, route] = await Promise.all([
      this.call(() => this.apps.listNamespacedDeployment({ namespace, labelSelector: managedSelector })),
      this.call(() => this.core.listNamespacedPod({ namespace, labelSelector: workerSelector() })),
      this.call(() => this.routes.read()),
    ]);
    const workersByGame = new Map<string, Map<string, ObservedWorker>>();
    for (const pod of pods.items) {
      const labels = pod.metadata?.labels ?? {};
      const gameId = labels[LABELS.game];
      const player = labels[LABELS.player];
      if (gameId === undefined || player === undefined || pod.metadata?.deletionTimestamp !== undefined) continue;
      let workers = workersByGame.get(gameId);
      if (workers === undefined) workersByGame.set(gameId, (workers = new Map()));
      workers.set(player, observeWorker(pod, player, labels[LABELS.revision] ?? "", `http://${workerHost(gameId, player, namespace, this.options.clusterDomain)}:${PORTS.worker}`));
    }
    const games = new Map<string, ObservedGame>();
    for (const deployment of deployments.items) {
      const id = deployment.metadata?.labels?.[LABELS.game];
      if (id === undefined || deployment.metadata?.deletionTimestamp !== undefined) continue;
      if (deployment.metadata?.uid !== undefined) this.deploymentUids.set(id, deployment.metadata.uid);
      games.set(id, observeGame(id, deployment, workersByGame.get(id) ?? new Map(), this.options.gameTypes ?? SERVICES_GAME_TYPES));
    }
    const { ids, dirty } = this.routes.routed(route);
    return { games, routes: ids, routesDirty: dirty };
  }

  async createGame(spec: GameSpec): Promise<void> {
    const namespace = this.options.namespace;
    let deployment: V1Deployment;
    try {
      deployment = await this.call(() => this.apps.createNamespacedDeployment({ namespace, body: gameDeployment(this.options, spec) }));
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      this.stats.alreadyExisted++;
      deployment = await this.call(() => this.apps.readNamespacedDeployment({ name: gameName(spec.id), namespace }));
      if (deployment.metadata?.labels?.[LABELS.managedBy] !== gameDeployment(this.options, spec).metadata?.labels?.[LABELS.managedBy]) {
        throw new Error(`a Deployment ${gameName(spec.id)} that the game-creator did not create exists (a static game of the stack?); pick another id`);
      }
    }
    const uid = deployment.metadata?.uid;
    if (uid === undefined) throw new Error(`the API server returned Deployment ${gameName(spec.id)} without a uid`);
    this.deploymentUids.set(spec.id, uid);
    await this.ignore(409, () => this.core.createNamespacedService({ namespace, body: gameService(this.options, spec, uid) }));
    const workers = workersService(this.options, spec, uid);
    if (workers !== undefined) await this.ignore(409, () => this.core.createNamespacedService({ namespace, body: workers }));
  }

  async scaleGame(id: string, replicas: number): Promise<void> {
    await this.call(() =>
      this.apps.patchNamespacedDeployment({ name: gameName(id), namespace: this.options.namespace, body: [{ op: "replace", path: "/spec/replicas", value: replicas }] }, JSON_PATCH),
    );
  }

  /** Deployment (its ReplicaSets and pods follow, and so does everything it owns), Service, then any worker left. */
  async deleteGame(id: string): Promise<void> {
    const namespace = this.options.namespace;
    await this.ignore(404, () => this.apps.deleteNamespacedDeployment({ name: gameName(id), namespace, propagationPolicy: "Background" }));
    await this.ignore(404, () => this.core.deleteNamespacedService({ name: gameName(id), namespace }));
    await this.ignore(404, () => this.core.deleteNamespacedService({ name: workersServiceName(id), namespace }));
    const pods = await this.call(() => this.core.listNamespacedPod({ namespace, labelSelector: workerSelector(id) }));
    await Promise.all(pods.items.map((pod) => this.ignore(404, () => this.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace, gracePeriodSeconds: 0 }))));
    this.deploymentUids.delete(id);
  }

  async setRoutes(ids: readonly string[]): Promise<void> {
    const attempts = this.options.maxConflictRetries ?? 8;
    for (let attempt = 1; ; attempt++) {
      const route = await this.call(() => this.routes.read());
      const patch = this.routes.plan(route, ids);
      if (patch.length === 0) return;
      try {
        this.stats.routePatches++;
        await this.call(() => this.routes.patch(patch));
        return;
      } catch (error) {
        // 409: changed since we read it (resourceVersion); 422: a `test` saw another path at an index.
        if (!(isStatus(error, 409) || isStatus(error, 422)) || attempt >= attempts) throw error;
        this.stats.routeConflicts++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 20 * 2 ** attempt * Math.random())));
      }
    }
  }

  async createWorker(gameId: string, player: PlayerSpec): Promise<void> {
    const uid = this.deploymentUids.get(gameId);
    if (uid === undefined) throw new Error(`game ${gameId} has no Deployment yet`);
    await this.ignore(409, () => this.core.createNamespacedPod({ namespace: this.options.namespace, body: workerPod(this.options, gameId, uid, player) }));
  }

  async deleteWorker(gameId: string, player: string): Promise<void> {
    await this.ignore(404, () => this.core.deleteNamespacedPod({ name: workerName(gameId, player), namespace: this.options.namespace, gracePeriodSeconds: 0 }));
  }

  async close(): Promise<void> {}

  private async call<T>(request: () => Promise<T>): Promise<T> {
    this.stats.apiCalls++;
    try {
      return await request();
    } catch (error) {
      throw describeApiError(error);
    }
  }

  /** Runs `request`; an answer of `status` means it is already done (exists / gone). */
  private async ignore(status: 404 | 409, request: () => Promise<unknown>): Promise<void> {
    try {
      await this.call(request);
    } catch (error) {
      if (!isStatus(error, status)) throw error;
      if (status === 409) this.stats.alreadyExisted++;
      else this.stats.alreadyGone++;
    }
  }
}

export class KubernetesApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "KubernetesApiError";
  }
}

function describeApiError(error: unknown): Error {
  if (error instanceof KubernetesApiError) return error;
  if (error instanceof ApiException) {
    const body = typeof error.body === "string" ? safeJson(error.body) : error.body;
    const reason = (body as { message?: string } | undefined)?.message ?? String(error.message).slice(0, 200);
    return new KubernetesApiError(error.code, `Kubernetes API ${error.code}: ${reason}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof KubernetesApiError && error.status === status;
}

function observeGame(id: string, deployment: V1Deployment, workers: ReadonlyMap<string, ObservedWorker>, types: GameTypes): ObservedGame {
  const replicas = deployment.spec?.replicas ?? 1;
  const failing = deployment.status?.conditions?.find((c) => (c.type === "Progressing" && c.status === "False") || (c.type === "ReplicaFailure" && c.status === "True"));
  const type = deployment.metadata?.labels?.[LABELS.gameType] ?? "";
  return {
    id,
    type: findGameType(types, type) === undefined ? "" : type,
    replicas,
    readyReplicas: deployment.status?.readyReplicas ?? 0,
    ...(failing === undefined ? {} : { failure: `${failing.reason ?? failing.type}: ${failing.message ?? ""}`.trim() }),
    workers,
  };
}

/** `url` is the worker's DNS name (its pod hostname under the game's headless Service): stable across the pod's IPs. */
function observeWorker(pod: V1Pod, player: string, revision: string, url: string): ObservedWorker {
  const phase = pod.status?.phase;
  if (phase === "Failed" || phase === "Succeeded") {
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    const why = terminated?.reason === "OOMKilled" ? "the worker exceeded its memory limit (OOMKilled)" : `the worker exited (${terminated?.reason ?? phase}, code ${terminated?.exitCode ?? "?"})`;
    return { player, revision, ready: false, failure: why };
  }
  const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
  if (waiting?.reason === "ErrImagePull" || waiting?.reason === "ImagePullBackOff" || waiting?.reason === "CreateContainerConfigError") {
    return { player, revision, ready: false, failure: `${waiting.reason}: ${waiting.message ?? ""}`.trim() };
  }
  const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
  return { player, revision, ready, ...(ready ? { url } : {}) };
}
