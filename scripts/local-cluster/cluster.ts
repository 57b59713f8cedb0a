/**
 * Starts the planned local cluster — redis-server, game servers, connectors, the gate and nginx —
 * waits for each to be ready, and stops everything it started, in order, whatever happens.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makePrefix, NginxProcess, writeConf } from "./nginx";
import { buildWorkerBundle } from "../build-worker";
import { creatorApi } from "./creator-client";
import { GAME_ROUTES_FILE, type ClusterPlan } from "./plan";
import { ManagedProcess } from "./processes";
import { startRedis } from "./redis";

const ROOT = path.resolve(__dirname, "../..");

export interface LocalCluster {
  readonly plan: ClusterPlan;
  readonly redis: ManagedProcess;
  readonly servers: ReadonlyMap<string, ManagedProcess>;
  readonly nginx: NginxProcess | undefined;
  /** The game-creator, when the plan has one (it stops the games it started when it stops). */
  readonly gameCreator: ManagedProcess | undefined;
  /** Every pid it started (nginx workers included), for checks that nothing stays behind. */
  pids(): number[];
  /** Gate first (no new entries), then connectors and games, then nginx and Redis, each stopped at once (SIGINT, no drain); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Non-event output of the children; default: our stderr with the name in front. null: dropped. */
  readonly log?: ((name: string, line: string) => void) | null;
  /** Told as each part comes up. */
  readonly onProgress?: (what: string) => void;
  /** Called once the plan is laid out, before anything starts: extra environment per process name (the fault suite wires proxies in). */
  readonly prepare?: (plan: ClusterPlan) => Promise<Readonly<Record<string, Readonly<Record<string, string>>>>>;
}

export async function startLocalCluster(plan: ClusterPlan, options: StartOptions = {}): Promise<LocalCluster> {
  const sink = options.log;
  const log = (name: string) => (sink === null || sink === undefined ? sink : (line: string) => sink(name, line));
  const progress = options.onProgress ?? (() => undefined);
  mkdirSync(plan.options.workDir, { recursive: true });
  const servers = new Map<string, ManagedProcess>();
  let redis: ManagedProcess | undefined;
  let nginx: NginxProcess | undefined;
  let gameCreator: ManagedProcess | undefined;

  const stop = async (graceMs = 8_000) => {
    await gameCreator?.stop(graceMs, "SIGINT");
    const byRole = (role: string) => plan.processes.filter((p) => p.role === role).map((p) => servers.get(p.name)).filter((p): p is ManagedProcess => p !== undefined);
    for (const tier of [byRole("gate"), byRole("connector"), byRole("game")]) await Promise.all(tier.map((server) => server.stop(graceMs, "SIGINT")));
    await nginx?.stop();
    await redis?.stop(graceMs);
  };

  try {
    const overrides = (await options.prepare?.(plan)) ?? {};
    redis = await startRedis({ port: plan.redis.port, password: plan.redis.password, users: plan.redis.users, workDir: plan.options.workDir, log: log("redis") });
    progress(`redis-server on 127.0.0.1:${plan.redis.port}`);
    for (const role of ["game", "connector", "gate"] as const) {
      const tier = plan.processes.filter((p) => p.role === role);
      for (const planned of tier) servers.set(planned.name, ManagedProcess.node(planned.name, planned.script, { ...planned.env, ...overrides[planned.name] }, ROOT, log(planned.name)));
      await Promise.all(tier.map(async (planned) => progress(`${planned.name} ready on port ${(await servers.get(planned.name)!.waitFor("ready", 30_000)).port}`)));
    }
    if (plan.nginxConfig !== undefined) {
      const prefix = makePrefix();
      if (plan.gameCreator !== undefined) writeConf(prefix, GAME_ROUTES_FILE, "");
      const conf = writeConf(prefix, "nginx.conf", plan.nginxConfig);
      // A copy next to the run's other files, for a developer who wants to read what nginx runs.
      writeFileSync(path.join(plan.options.workDir, "nginx.conf"), plan.nginxConfig);
      nginx = await NginxProcess.start(prefix, conf, plan.options.proxyPort);
      progress(`nginx on 127.0.0.1:${plan.options.proxyPort}`);
    }
    if (plan.gameCreator !== undefined) {
      const workerEntry = await buildWorkerBundle(path.join(plan.options.workDir, "worker"));
      const nginxEnv: Record<string, string> = nginx === undefined ? {} : { NGINX_ROUTES_FILE: path.join(nginx.prefix, GAME_ROUTES_FILE), NGINX_PID_FILE: path.join(nginx.prefix, "nginx.pid") };
      const planned = plan.gameCreator;
      gameCreator = ManagedProcess.node(planned.name, planned.script, { ...planned.env, ...nginxEnv, WORKER_ENTRY: workerEntry }, ROOT, log(planned.name));
      progress(`game-creator ready on port ${(await gameCreator.waitFor("ready", 30_000)).port}`);
      const api = creatorApi(plan.urls.gameCreator!, plan.options.creatorToken!);
      for (const game of plan.options.startGames) {
        const created = await api.create(game);
        if (created.status !== 201) throw new Error(`the game-creator refused game ${game.id}: ${created.status} ${JSON.stringify(created.body)}`);
      }
      await Promise.all(plan.options.startGames.map(async (game) => progress(`game ${game.id} (${game.type}, ${game.replicas} replica(s)) ready after ${await api.waitReady(game.id, 60_000)} ms`)));
    }
  } catch (error) {
    await stop(2_000);
    throw error;
  }

  return {
    plan,
    redis,
    servers,
    nginx,
    gameCreator,
    pids: () => [redis!.pid, ...(gameCreator ? [gameCreator.pid] : []), ...[...servers.values()].map((server) => server.pid), ...(nginx ? [nginx.child.pid!, ...nginx.workers()] : [])],
    stop,
  };
}
