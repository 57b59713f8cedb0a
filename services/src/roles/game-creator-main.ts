/**
 * The game-creator process: its HTTP API and probes on PORT (8090), the desired state in Redis, the
 * reconcile loop, and one backend — Kubernetes inside a pod (in-cluster service-account credentials),
 * local processes and nginx elsewhere. Env: docs/game-creator.md (`services/src/game-creator/config.ts`).
 * Prints `ready` / `stats` / `stopped` JSON lines; SIGTERM or SIGINT stops it (games keep running in
 * Kubernetes; locally they stop with it).
 */
import path from "node:path";
import type { V1EnvVar } from "@kubernetes/client-node";
import { parseCommandLine } from "../cli";
import { GameCreatorApi } from "../game-creator/api";
import type { GameBackend } from "../game-creator/backend";
import { creatorConfigSchema, parseCreatorConfig, type CreatorConfig } from "../game-creator/config";
import { DesiredStore } from "../game-creator/desired-store";
import { gameTypesWith, type GameTypes } from "../game-types";
import { CreatorHttpServer } from "../game-creator/http-api";
import { LocalBackend } from "../game-creator/local/local-backend";
import { Reconciler } from "../game-creator/reconciler";
import { log } from "../logging";
import { workerPodMemoryMi } from "../workers/isolation";
import { counter, counterBy, createMetricsRegistry, exportCounters } from "../metrics";
import { createRedisClient } from "../redis";
import { numberOrUndefined, runServerProcess, type RunningServer } from "./server-process";

parseCommandLine({
  command: "node services/dist/src/roles/game-creator-main.js",
  summary: "The game-creator: its HTTP API on PORT, desired games in Redis, the reconcile loop and one backend (Kubernetes in a pod, local processes elsewhere). Configured by environment only (docs/game-creator.md); a bad value fails naming the variable.",
  flags: {},
  environment: [Object.keys(creatorConfigSchema.shape).join(" ")],
  examples: ['CREATOR_TOKEN="$(openssl rand -base64 24)" REDIS_URL=redis://127.0.0.1:6379 npx tsx services/src/roles/game-creator-main.ts'],
});

const SERVICES_ROOT = path.resolve(__dirname, path.extname(__filename) === ".ts" ? "../../.." : "../../../..");

async function backendFor(config: CreatorConfig, gameTypes: GameTypes): Promise<GameBackend> {
  const plainGameEnv: Record<string, string> = {
    REDIS_URL: config.GAME_REDIS_URL ?? config.REDIS_URL,
    POMONA_NAMESPACE: config.POMONA_NAMESPACE,
    ...(config.POMONA_ROUTES ? { POMONA_ROUTES: config.POMONA_ROUTES } : {}),
  };
  if (config.BACKEND === "kubernetes") {
    // Loaded only here: the Kubernetes client takes seconds to load, which `--help` and a local backend never need.
    const { KubeConfig } = await import("@kubernetes/client-node");
    const { KubernetesBackend } = await import("../game-creator/kubernetes/kubernetes-backend");
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromCluster();
    const gameEnv: V1EnvVar[] = config.GAME_ENV ?? Object.entries(plainGameEnv).map(([name, value]) => ({ name, value }));
    return new KubernetesBackend({
      kubeConfig,
      namespace: config.POD_NAMESPACE!,
      route: config.INGRESS_NAME !== undefined ? { kind: "ingress", name: config.INGRESS_NAME } : { kind: "httproute", name: config.HTTPROUTE_NAME! },
      staticGameIds: config.STATIC_GAME_IDS ?? [],
      clusterDomain: config.CLUSTER_DOMAIN,
      image: config.GAME_IMAGE!,
      gameTypes,
      gameEnv,
      workerLimits: { turnDeadlineMs: config.WORKER_TURN_DEADLINE_MS, sandboxMemoryMb: config.WORKER_MEMORY_MB, podMemoryMi: workerPodMemoryMi(config.WORKER_MEMORY_MB), podCpuMilli: 250 },
    });
  }
  const runner = config.LOCAL_RUNNER ?? (path.extname(__filename) === ".ts" ? "tsx" : "dist");
  return new LocalBackend({
    root: config.LOCAL_ROOT ?? SERVICES_ROOT,
    runner,
    gameTypes,
    gameEnv: plainGameEnv,
    workerEntry: config.WORKER_ENTRY ?? path.join(SERVICES_ROOT, "services/dist/src/workers/worker-main.js"),
    workerLimits: { turnDeadlineMs: config.WORKER_TURN_DEADLINE_MS, sandboxMemoryMb: config.WORKER_MEMORY_MB },
    ...(config.NGINX_ROUTES_FILE ? { nginx: { routesFile: config.NGINX_ROUTES_FILE, pidFile: config.NGINX_PID_FILE!, proxyUrl: config.PROXY_URL! } } : {}),
  });
}

async function start(): Promise<RunningServer> {
  const config = parseCreatorConfig(process.env);
  const redis = createRedisClient({ url: config.REDIS_URL, connectionName: "game-creator", commandTimeoutMs: 5_000 }, (error) => log.warn({ err: error }, "redis"));
  await redis.connect();
  const store = new DesiredStore(redis, config.POMONA_NAMESPACE, { maxGames: config.MAX_GAMES, maxPlayersPerGame: config.MAX_PLAYERS_PER_GAME, maxWorkers: config.MAX_WORKERS });
  const gameTypes = gameTypesWith(config.GAME_TYPES ?? {});
  const backend = await backendFor(config, gameTypes);
  const reconciler = new Reconciler(store, backend, {
    resyncMs: config.RESYNC_MS,
    followUpMs: config.FOLLOW_UP_MS,
    concurrency: config.CONCURRENCY,
    log: (line) => log.warn({}, line),
  });
  let synced = false;
  void reconciler.synced.then(() => (synced = true));
  const metrics = createMetricsRegistry("game-creator", "game-creator");
  const api = new GameCreatorApi(store, reconciler, gameTypes);
  const http = new CreatorHttpServer(api, { host: config.HOST, port: config.PORT, token: config.CREATOR_TOKEN, maxBodyBytes: config.MAX_BODY_BYTES, isReady: () => synced && redis.status === "ready", metrics });
  exportCounters(metrics, "pomona_creator_", () => ({ ...reconciler.counters, ...http.counters, backend: backend.counters() }), {
    passes: counter("reconcile passes completed"),
    passErrors: counter("reconcile passes that failed (Redis or the backend unreachable)"),
    actions: counter("backend actions taken"),
    actionErrors: counter("backend actions that failed"),
    gamesCreated: counter("games created"),
    gamesDeleted: counter("games deleted (asked for or orphans)"),
    workersCreated: counter("workers started"),
    workersDeleted: counter("workers removed"),
    routeWrites: counter("route table writes (Ingress patches, nginx reloads)"),
    requests: counter("API requests"),
    unauthorized: counter("API requests refused for a missing or wrong token"),
    badRequests: counter("API requests refused as invalid"),
    tooLarge: counter("API requests refused as too large"),
    limited: counter("API requests refused past MAX_GAMES, MAX_PLAYERS_PER_GAME or MAX_WORKERS (429)"),
    backend: counterBy("counter", "backend counters (Kubernetes API calls, 409 conflicts retried, processes started …)"),
  });
  const port = await http.listen();
  reconciler.start();
  return {
    ready: { id: "game-creator", backend: backend.kind, port, namespace: config.POMONA_NAMESPACE },
    stats: () => ({ ...reconciler.counters, http: { ...http.counters }, backend: backend.counters(), lastPassError: reconciler.lastPassError }),
    stop: async () => {
      http.close();
      await reconciler.stop();
      await backend.close();
      redis.disconnect();
    },
  };
}

runServerProcess("game-creator", "game-creator", start, numberOrUndefined(process.env.STATS_INTERVAL_MS));
