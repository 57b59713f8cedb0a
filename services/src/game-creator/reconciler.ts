/**
 * The reconcile loop: read the desired state, observe the backend, plan, act, repeat. A pass runs
 * every `resyncMs`, at once when the API changed something (`trigger`), and again shortly after a
 * pass that acted, to watch its effects land. One pass at a time, so two never race on the route
 * table; actions inside a pass run with bounded concurrency.
 */
import type { GameBackend } from "./backend";
import type { DesiredStore } from "./desired-store";
import { planReconcile, type DesiredGame, type ReconcilePlan } from "./reconcile-plan";
import type { GameStatus } from "./world";

export interface ReconcilerOptions {
  readonly resyncMs: number;
  /** Delay of the follow-up pass after a pass that acted. */
  readonly followUpMs: number;
  /** Backend calls in flight at once within a pass. */
  readonly concurrency: number;
  readonly log?: (line: string) => void;
}

export interface ReconcilerCounters {
  passes: number;
  passErrors: number;
  actions: number;
  actionErrors: number;
  gamesCreated: number;
  gamesDeleted: number;
  workersCreated: number;
  workersDeleted: number;
  routeWrites: number;
}

export class Reconciler {
  readonly counters: ReconcilerCounters = { passes: 0, passErrors: 0, actions: 0, actionErrors: 0, gamesCreated: 0, gamesDeleted: 0, workersCreated: 0, workersDeleted: 0, routeWrites: 0 };
  private statuses = new Map<string, GameStatus>();
  private readonly errors = new Map<string, string>();
  private readonly published = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private firstPass: Promise<void>;
  private resolveFirstPass!: () => void;
  lastPassError: string | undefined;

  constructor(
    private readonly store: DesiredStore,
    private readonly backend: GameBackend,
    private readonly options: ReconcilerOptions,
  ) {
    this.firstPass = new Promise((resolve) => (this.resolveFirstPass = resolve));
  }

  start(): void {
    this.schedule(0);
  }

  /** Resolves after the first complete pass (the creator is ready then). */
  get synced(): Promise<void> {
    return this.firstPass;
  }

  /** A pass soon (coalesced with one running). */
  trigger(): void {
    if (this.running !== undefined) this.again = true;
    else this.schedule(0);
  }

  status(id: string): GameStatus | undefined {
    return this.statuses.get(id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
    }, delayMs);
  }

  private async pass(): Promise<void> {
    let acted = false;
    try {
      const desired = await this.readDesired();
      const world = await this.backend.observe();
      const plan = planReconcile(desired, world, this.errors);
      acted = await this.execute(plan);
      this.statuses = new Map(plan.statuses);
      this.counters.passes++;
      this.lastPassError = undefined;
      this.resolveFirstPass();
    } catch (error) {
      this.counters.passErrors++;
      this.lastPassError = message(error);
      this.options.log?.(`reconcile pass failed: ${this.lastPassError}`);
    }
    const busy = acted || [...this.statuses.values()].some((status) => status.phase !== "ready" && status.phase !== "failed");
    this.schedule(busy ? this.options.followUpMs : this.options.resyncMs);
  }

  private async readDesired(): Promise<Map<string, DesiredGame>> {
    const games = await this.store.listGames();
    const desired = new Map<string, DesiredGame>();
    await Promise.all(
      games.map(async (spec) => {
        const players = await this.store.listPlayers(spec.id);
        desired.set(spec.id, { spec, players: new Map(players.map((p) => [p.player, p])) });
      }),
    );
    for (const id of this.errors.keys()) if (!desired.has(id)) this.errors.delete(id);
    return desired;
  }

  /** Creates first, then the route table (new games get their path, deleted ones lose it), then deletes. */
  private async execute(plan: ReconcilePlan): Promise<boolean> {
    let acted = false;
    const act = async (gameId: string, what: string, action: () => Promise<unknown>, clearsError = true) => {
      acted = true;
      this.counters.actions++;
      try {
        await action();
        if (clearsError) this.errors.delete(gameId);
      } catch (error) {
        this.counters.actionErrors++;
        const reason = `${what} failed: ${message(error)}`;
        this.errors.set(gameId, reason);
        this.options.log?.(`game ${gameId}: ${reason}`);
      }
    };
    await this.limited(plan.createGames.map((spec) => () => act(spec.id, "creating the game", async () => (await this.backend.createGame(spec), this.counters.gamesCreated++))));
    await this.limited(plan.scaleGames.map(({ id, replicas }) => () => act(id, "scaling the game", () => this.backend.scaleGame(id, replicas))));
    if (plan.routes !== undefined) {
      const routes = plan.routes;
      acted = true;
      this.counters.actions++;
      this.counters.routeWrites++;
      try {
        await this.backend.setRoutes(routes);
      } catch (error) {
        this.counters.actionErrors++;
        for (const id of routes) this.errors.set(id, `writing the route table failed: ${message(error)}`);
        this.options.log?.(`route table: ${message(error)}`);
      }
    }
    await this.limited(
      plan.deleteGames.map((id) => () =>
        act(id, "deleting the game", async () => {
          await this.backend.deleteGame(id);
          await this.store.forgetWorkers(id);
          this.published.delete(id);
          this.counters.gamesDeleted++;
        }, false),
      ),
    );
    await this.limited(plan.deleteWorkers.map(({ gameId, player }) => () => act(gameId, `deleting the worker of ${player}`, async () => (await this.backend.deleteWorker(gameId, player), this.counters.workersDeleted++), false)));
    await this.limited(plan.createWorkers.map(({ gameId, player }) => () => act(gameId, `starting the worker of ${player.player}`, async () => (await this.backend.createWorker(gameId, player), this.counters.workersCreated++), false)));
    for (const [gameId, workers] of plan.readyWorkers) {
      const fingerprint = JSON.stringify([...workers].sort());
      if (this.published.get(gameId) === fingerprint) continue;
      await this.store.publishWorkers(gameId, workers);
      this.published.set(gameId, fingerprint);
    }
    return acted;
  }

  private async limited(tasks: Array<() => Promise<void>>): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < tasks.length) await tasks[next++]();
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, tasks.length) }, lane));
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
