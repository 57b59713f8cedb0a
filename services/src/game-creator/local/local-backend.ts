/**
 * The local backend (`npm start`): a game is `replicas` game-server processes on this machine, a
 * worker is one process per player (a supervisor under Node's permission model that starts the
 * bot's sandbox process in namespaces of its own: services/src/workers/isolation.ts), and the route table is the nginx include of `/game-<id>` locations, rewritten and
 * reloaded (SIGHUP to the master) when it changes. A route counts as live once a GET through nginx
 * reaches the game. Processes die with the game-creator, so a restarted creator re-creates every
 * game from the desired state instead of adopting processes.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { renderGameRoutes } from "../../proxy/game-routes";
import type { GameBackend } from "../backend";
import { GAME_TYPES } from "../../cluster-model";
import { gameName, viewerPath, workerName, type GameSpec, type PlayerSpec } from "../game-spec";
import type { ObservedGame, ObservedWorker, World } from "../world";
import { supervisorNodeArgs } from "../../workers/isolation";
import { ChildServer } from "./child-server";

export interface LocalNginx {
  /** The include file nginx.conf names (`gameRoutesInclude`). */
  readonly routesFile: string;
  /** The master's pid file: SIGHUP reloads. */
  readonly pidFile: string;
  /** Where nginx listens, for the route check (`http://127.0.0.1:8080`). */
  readonly proxyUrl: string;
}

export interface LocalBackendOptions {
  /** Working directory of game processes (the repository, or /app in the image). */
  readonly root: string;
  /** How game entry points run: TypeScript through tsx, or tsc's output. */
  readonly runner: "tsx" | "dist";
  /** Environment every game server gets (Redis, discovery namespace, routes). */
  readonly gameEnv: Readonly<Record<string, string>>;
  /** The bundled worker (scripts/build-worker.ts) or services/dist/src/workers/worker-main.js. */
  readonly workerEntry: string;
  readonly workerLimits: { readonly turnDeadlineMs: number; readonly sandboxMemoryMb: number };
  /** Absent: no proxy (direct mode); routes are live as soon as written. */
  readonly nginx?: LocalNginx;
}

/** Like a pod's restartPolicy: a crashed replica is started again this many times before the game is failed. */
const MAX_RESTARTS = 3;
/** Game servers starting at once: 50 Node processes compiling at once on 2 cores starve each other (and the creator). */
const MAX_STARTING = 4;

interface LocalGame {
  readonly spec: GameSpec;
  /** Replicas asked for; the started ones are in `replicas`, the rest wait for a start slot. */
  wanted: number;
  replicas: ChildServer[];
  restarts: number;
  readonly workers: Map<string, { readonly revision: string; readonly child: ChildServer }>;
}

export class LocalBackend implements GameBackend {
  readonly kind = "local" as const;
  private readonly games = new Map<string, LocalGame>();
  /** Routes in the file nginx runs, and those confirmed through it. */
  private written = new Map<string, number>();
  private readonly confirmed = new Set<string>();
  private readonly stats = { processesStarted: 0, processesStopped: 0, restarts: 0, routeWrites: 0, reloads: 0 };
  /** Ports handed to our children and not yet known free again: two children never get the same one. */
  private readonly portsInUse = new Set<number>();
  private readonly starting = new Set<ChildServer>();
  private readonly waiting: LocalGame[] = [];
  private pumping = false;

  constructor(private readonly options: LocalBackendOptions) {
    if (options.nginx !== undefined) writeAtomically(options.nginx.routesFile, renderGameRoutes({ routes: [] }));
  }

  counters(): Record<string, number> {
    return { ...this.stats, processes: [...this.games.values()].reduce((n, game) => n + game.replicas.length + game.workers.size, 0) };
  }

  /** Every pid it runs (tests check none outlives its game). */
  pids(gameId?: string): number[] {
    const games = gameId === undefined ? [...this.games.values()] : [this.games.get(gameId)].filter((g): g is LocalGame => g !== undefined);
    return games.flatMap((game) => [...game.replicas, ...[...game.workers.values()].map((w) => w.child)].filter((c) => c.exit === undefined).map((c) => c.pid!));
  }

  async observe(): Promise<World> {
    await this.restartCrashed();
    await this.confirmRoutes();
    const games = new Map<string, ObservedGame>();
    for (const [id, game] of this.games) {
      const workers = new Map<string, ObservedWorker>();
      for (const [player, { revision, child }] of game.workers) {
        const port = child.ready?.port;
        const failure = child.failure;
        workers.set(player, {
          player,
          revision,
          ready: failure === undefined && typeof port === "number",
          ...(failure !== undefined ? { failure } : typeof port === "number" ? { url: `http://127.0.0.1:${port}` } : {}),
        });
      }
      const failures = game.replicas.map((c) => c.failure).filter((f): f is string => f !== undefined);
      games.set(id, {
        id,
        type: game.spec.type,
        replicas: game.wanted,
        readyReplicas: game.replicas.filter((c) => c.ready !== undefined && c.exit === undefined).length,
        ...(failures.length > 0 ? { failure: failures[0] } : {}),
        workers,
      });
    }
    return { games, routes: new Set(this.confirmed), routesDirty: false };
  }

  async createGame(spec: GameSpec): Promise<void> {
    if (this.games.has(spec.id)) return;
    const game: LocalGame = { spec, wanted: spec.replicas, replicas: [], restarts: 0, workers: new Map() };
    this.games.set(spec.id, game);
    this.waiting.push(game);
    void this.pump();
  }

  async scaleGame(id: string, replicas: number): Promise<void> {
    const game = this.games.get(id);
    if (game === undefined) return;
    game.wanted = replicas;
    if (game.replicas.length < replicas && !this.waiting.includes(game)) this.waiting.push(game);
    void this.pump();
    const extra = game.replicas.splice(replicas);
    await Promise.all(extra.map((child) => this.stopChild(child)));
  }

  async deleteGame(id: string): Promise<void> {
    const game = this.games.get(id);
    if (game === undefined) return;
    this.games.delete(id);
    game.wanted = 0;
    await Promise.all([...game.replicas, ...[...game.workers.values()].map((w) => w.child)].map((child) => this.stopChild(child)));
  }

  async setRoutes(ids: readonly string[]): Promise<void> {
    const next = new Map<string, number>();
    for (const id of ids) {
      const port = this.games.get(id)?.replicas.find((c) => c.exit === undefined && typeof c.ready?.httpPort === "number")?.ready?.httpPort;
      if (typeof port === "number") next.set(id, port);
    }
    const unchanged = next.size === this.written.size && [...next].every(([id, port]) => this.written.get(id) === port);
    if (unchanged) return;
    this.written = next;
    for (const id of [...this.confirmed]) if (!next.has(id)) this.confirmed.delete(id);
    const nginx = this.options.nginx;
    if (nginx === undefined) {
      for (const id of next.keys()) this.confirmed.add(id);
      return;
    }
    writeAtomically(nginx.routesFile, renderGameRoutes({ routes: [...next].map(([id, port]) => ({ id, host: "127.0.0.1", port })) }));
    this.stats.routeWrites++;
    const pid = Number(fs.readFileSync(nginx.pidFile, "utf8").trim());
    process.kill(pid, "SIGHUP");
    this.stats.reloads++;
  }

  async createWorker(gameId: string, player: PlayerSpec): Promise<void> {
    const game = this.games.get(gameId);
    if (game === undefined) throw new Error(`game ${gameId} is not running here`);
    if (game.workers.has(player.player)) return;
    const limits = this.options.workerLimits;
    const entry = this.options.workerEntry;
    const child = new ChildServer({
      name: workerName(gameId, player.player),
      command: process.execPath,
      args: supervisorNodeArgs(entry, limits.sandboxMemoryMb),
      // Only what the worker needs: no Redis URL, no tokens, no PATH. Its sandbox runs in namespaces of its own unless this machine cannot (docs/workers.md).
      env: { WORKER_ISOLATION: process.env.WORKER_ISOLATION ?? "namespaces", GAME_ID: gameId, PLAYER: player.player, PLAYER_CODE: player.code, PORT: String(await this.port()), HOST: "127.0.0.1", TURN_DEADLINE_MS: String(limits.turnDeadlineMs), SANDBOX_MEMORY_MB: String(limits.sandboxMemoryMb) },
      cwd: path.dirname(entry),
    });
    this.stats.processesStarted++;
    // The game was deleted while a port was being found: stop the worker rather than orphan it.
    if (this.games.get(gameId) !== game || game.workers.has(player.player)) {
      await this.stopChild(child);
      return;
    }
    game.workers.set(player.player, { revision: player.revision, child });
  }

  async deleteWorker(gameId: string, player: string): Promise<void> {
    const game = this.games.get(gameId);
    const worker = game?.workers.get(player);
    if (worker === undefined) return;
    game!.workers.delete(player);
    await this.stopChild(worker.child);
  }

  async close(): Promise<void> {
    await Promise.all([...this.games.keys()].map((id) => this.deleteGame(id)));
  }

  /** Starts waiting replicas while fewer than MAX_STARTING are starting. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.starting.size < MAX_STARTING && this.waiting.length > 0) {
        const game = this.waiting[0];
        if (this.games.get(game.spec.id) !== game || game.replicas.length >= game.wanted) {
          this.waiting.shift();
          continue;
        }
        const child = await this.startReplica(game.spec, game.replicas.length + 1);
        // Deleted (or the backend closed) while its ports were being found: its child would outlive everything.
        if (this.games.get(game.spec.id) !== game) {
          await this.stopChild(child);
          continue;
        }
        game.replicas.push(child);
        this.starting.add(child);
        void child.settled.then(() => {
          this.starting.delete(child);
          void this.pump();
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  private async startReplica(spec: GameSpec, n: number): Promise<ChildServer> {
    const type = GAME_TYPES[spec.type];
    const script = this.options.runner === "tsx" ? [`--import`, `tsx`, `services/games/${type.entry}/main.ts`] : [`services/dist/games/${type.entry}/main.js`];
    this.stats.processesStarted++;
    return new ChildServer({
      name: `${gameName(spec.id)}-${n}`,
      command: process.execPath,
      args: script,
      env: {
        ...this.options.gameEnv,
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        SERVER_ID: `${gameName(spec.id)}-${n}-${randomBytes(3).toString("hex")}`,
        HOST: "127.0.0.1",
        PORT: String(await this.port()),
        HTTP_PORT: String(await this.port()),
        GAME_ID: spec.id,
        TICK_HZ: String(spec.tickHz ?? type.defaultTickHz),
        GAME_SETTINGS: JSON.stringify(spec.settings),
      },
      cwd: this.options.root,
    });
  }

  private async stopChild(child: ChildServer): Promise<void> {
    await child.stop("SIGINT");
    this.stats.processesStopped++;
    this.release(child);
  }

  private release(child: ChildServer): void {
    for (const key of ["PORT", "HTTP_PORT"]) this.portsInUse.delete(Number(child.spec.env[key]));
  }

  /** A free loopback port no other child of ours holds (children reserving their own race each other). */
  private async port(): Promise<number> {
    for (;;) {
      const candidate = await freePort();
      if (!this.portsInUse.has(candidate)) {
        this.portsInUse.add(candidate);
        return candidate;
      }
    }
  }

  /** Crashed replicas start again (new ports), up to MAX_RESTARTS per game; after that the game stays failed. */
  private async restartCrashed(): Promise<void> {
    for (const game of this.games.values()) {
      for (const [index, child] of game.replicas.entries()) {
        if (child.exit === undefined || game.restarts >= MAX_RESTARTS) continue;
        game.restarts++;
        this.stats.restarts++;
        this.release(child);
        game.replicas[index] = await this.startReplica(game.spec, index + 1);
      }
    }
  }

  /** A route is live once nginx's new workers answer it with the right game. */
  private async confirmRoutes(): Promise<void> {
    const proxy = this.options.nginx?.proxyUrl;
    if (proxy === undefined) return;
    await Promise.all(
      [...this.written.keys()]
        .filter((id) => !this.confirmed.has(id))
        .map(async (id) => {
          const body = await get(`${proxy}${viewerPath(id)}`).catch(() => undefined);
          if ((body as { game?: string } | undefined)?.game === id) this.confirmed.add(id);
        }),
    );
  }
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o644 });
  fs.renameSync(temp, file);
}

function get(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 1_000 }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => {
        try {
          resolve(response.statusCode === 200 ? JSON.parse(text) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
