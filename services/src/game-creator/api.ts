/**
 * What the HTTP API does, without HTTP: validate, write the desired state, wake the reconciler,
 * answer with a status code and a JSON body whose `error` and `reason` say what was wrong. Nothing
 * is written unless the whole request is valid, and a write is one atomic Redis operation.
 */
import type { z } from "zod";
import type { DesiredStore } from "./desired-store";
import { createGameSchema, gameIdSchema, playerIdSchema, playerSpec, submitCodeSchema, viewerPath, type GameSpec } from "./game-spec";
import { GAME_TYPES } from "../cluster-model";
import type { Reconciler } from "./reconciler";
import type { GameStatus } from "./world";

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

const problem = (status: number, error: string, reason: string): ApiAnswer => ({ status, body: { error, reason } });

export class GameCreatorApi {
  constructor(
    private readonly store: DesiredStore,
    private readonly reconciler: Reconciler,
    private readonly now: () => number = Date.now,
  ) {}

  async createGame(input: unknown): Promise<ApiAnswer> {
    const parsed = parse(createGameSchema, input);
    if (!parsed.ok) return parsed.answer;
    const spec: GameSpec = { ...parsed.value, type: parsed.value.type as GameSpec["type"], createdAtMs: this.now() };
    const created = await this.store.createGame(spec);
    if (created === "duplicate") return problem(409, "DUPLICATE_ID", `a game with id "${spec.id}" already exists; delete it first or pick another id`);
    if (created === "games-limit") return problem(429, "TOO_MANY_GAMES", `this game-creator holds at most ${this.store.limits.maxGames} games (MAX_GAMES); delete one first`);
    this.reconciler.trigger();
    return { status: 201, body: this.describe(spec) };
  }

  async listGames(): Promise<ApiAnswer> {
    const games = await this.store.listGames();
    return { status: 200, body: { games: games.sort((a, b) => a.id.localeCompare(b.id)).map((spec) => this.describe(spec)) } };
  }

  async getGame(id: string): Promise<ApiAnswer> {
    const checked = parse(gameIdSchema, id);
    if (!checked.ok) return checked.answer;
    const spec = await this.store.getGame(id);
    if (spec !== undefined) return { status: 200, body: this.describe(spec) };
    // Deleted, still being removed: its status says so until nothing is left.
    const status = this.reconciler.status(id);
    if (status !== undefined) return { status: 200, body: { id, status: { ...status, phase: "deleting", reason: "deleted: removing its servers, workers and route" } } };
    return problem(404, "NOT_FOUND", `no game "${id}"`);
  }

  async deleteGame(id: string): Promise<ApiAnswer> {
    const checked = parse(gameIdSchema, id);
    if (!checked.ok) return checked.answer;
    if (!(await this.store.deleteGame(id))) return problem(404, "NOT_FOUND", `no game "${id}"`);
    this.reconciler.trigger();
    return { status: 202, body: { id, status: { phase: "deleting", reason: "deleted: removing its servers, workers and route" } } };
  }

  async putPlayer(gameId: string, player: string, input: unknown): Promise<ApiAnswer> {
    for (const [schema, value] of [
      [gameIdSchema, gameId],
      [playerIdSchema, player],
    ] as const) {
      const checked = parse(schema, value);
      if (!checked.ok) return checked.answer;
    }
    const body = parse(submitCodeSchema, input);
    if (!body.ok) return body.answer;
    const spec = await this.store.getGame(gameId);
    if (spec === undefined) return problem(404, "NOT_FOUND", `no game "${gameId}"`);
    if (!GAME_TYPES[spec.type].workers) return problem(400, "NO_WORKERS", `a ${spec.type} game has no per-player workers; create a game of type ${workerTypes()}`);
    const record = playerSpec(player, body.value.code, this.now());
    const stored = await this.store.putPlayer(gameId, record);
    if (stored === "no-game") return problem(404, "NOT_FOUND", `no game "${gameId}" (deleted meanwhile)`);
    if (stored === "players-limit") return problem(429, "TOO_MANY_PLAYERS", `a game holds at most ${this.store.limits.maxPlayersPerGame} players (MAX_PLAYERS_PER_GAME); remove one first`);
    if (stored === "workers-limit") return problem(429, "TOO_MANY_WORKERS", `this game-creator runs at most ${this.store.limits.maxWorkers} workers in all games (MAX_WORKERS); remove a player first`);
    this.reconciler.trigger();
    return { status: 202, body: { game: gameId, player, revision: record.revision } };
  }

  async deletePlayer(gameId: string, player: string): Promise<ApiAnswer> {
    if (!parse(gameIdSchema, gameId).ok || !parse(playerIdSchema, player).ok) return problem(404, "NOT_FOUND", "no such player");
    if (!(await this.store.deletePlayer(gameId, player))) return problem(404, "NOT_FOUND", `no player "${player}" in game "${gameId}"`);
    this.reconciler.trigger();
    return { status: 202, body: { game: gameId, player, status: "deleting" } };
  }

  private describe(spec: GameSpec): { id: string; type: string; replicas: number; settings: GameSpec["settings"]; viewerPath: string; status: GameStatus } {
    const status = this.reconciler.status(spec.id) ?? { phase: "pending", reason: "waiting for the reconciler", readyReplicas: 0, replicas: spec.replicas, route: false, workers: [] };
    return { id: spec.id, type: spec.type, replicas: spec.replicas, settings: spec.settings, viewerPath: viewerPath(spec.id), status };
  }
}

function workerTypes(): string {
  return Object.entries(GAME_TYPES)
    .filter(([, type]) => type.workers)
    .map(([name]) => name)
    .join(" or ");
}

type Parsed<T> = { ok: true; value: T } | { ok: false; answer: ApiAnswer };

function parse<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const reason = result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message)).join("; ");
  return { ok: false, answer: problem(400, "BAD_REQUEST", reason) };
}
