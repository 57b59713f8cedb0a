/**
 * The desired state in Redis: the games asked for and each game's players (bot code), plus the
 * ready-worker table each game server reads. A create and a player's submission are each one script
 * that checks the duplicate id, the game's existence and the limits and writes, atomically: two
 * concurrent requests can never both pass the last free slot.
 */
import type Redis from "ioredis";
import { workerKeys, type WorkerEndpoint } from "../workers/keys";
import type { GameSpec, PlayerSpec } from "./game-spec";

/** KEYS: games. ARGV: id, spec, maxGames. */
const CREATE_GAME = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'duplicate' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 'games-limit' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'created'`;

/**
 * KEYS: games, this game's players. ARGV: game id, player, record, maxPlayersPerGame, maxWorkers,
 * players-key prefix. Every player is one worker, so the workers in all are the players of every game
 * (read by prefix: the keys share the namespace's hash slot and the creator's ACL key pattern).
 */
const PUT_PLAYER = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 'no-game' end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  return 'stored'
end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return 'players-limit' end
local workers = 0
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do workers = workers + redis.call('HLEN', ARGV[6] .. id) end
if workers >= tonumber(ARGV[5]) then return 'workers-limit' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 'stored'`;

/** How much one creator may hold (config MAX_GAMES, MAX_PLAYERS_PER_GAME, MAX_WORKERS). */
export interface CreatorLimits {
  readonly maxGames: number;
  readonly maxPlayersPerGame: number;
  readonly maxWorkers: number;
}

export type CreateResult = "created" | "duplicate" | "games-limit";
export type PutPlayerResult = "stored" | "no-game" | "players-limit" | "workers-limit";

export class DesiredStore {
  private readonly gamesKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    readonly limits: CreatorLimits,
  ) {
    this.gamesKey = `pomona:{${namespace}}:creator:games`;
  }

  private get playersPrefix(): string {
    return `pomona:{${this.namespace}}:creator:players:`;
  }

  private playersKey(id: string): string {
    return this.playersPrefix + id;
  }

  async createGame(spec: GameSpec): Promise<CreateResult> {
    return (await this.redis.eval(CREATE_GAME, 1, this.gamesKey, spec.id, JSON.stringify(spec), this.limits.maxGames)) as CreateResult;
  }

  async getGame(id: string): Promise<GameSpec | undefined> {
    const raw = await this.redis.hget(this.gamesKey, id);
    return raw === null ? undefined : (JSON.parse(raw) as GameSpec);
  }

  async listGames(): Promise<GameSpec[]> {
    const all = await this.redis.hgetall(this.gamesKey);
    return Object.values(all).map((raw) => JSON.parse(raw) as GameSpec);
  }

  /** False if there was no such game. Its players go with it. */
  async deleteGame(id: string): Promise<boolean> {
    const [[, removed]] = (await this.redis.multi().hdel(this.gamesKey, id).del(this.playersKey(id)).exec()) as Array<[Error | null, number]>;
    return removed === 1;
  }

  /** A new player counts against the limits; new code for an existing player does not. */
  async putPlayer(gameId: string, player: PlayerSpec): Promise<PutPlayerResult> {
    const { maxPlayersPerGame, maxWorkers } = this.limits;
    return (await this.redis.eval(PUT_PLAYER, 2, this.gamesKey, this.playersKey(gameId), gameId, player.player, JSON.stringify(player), maxPlayersPerGame, maxWorkers, this.playersPrefix)) as PutPlayerResult;
  }

  async deletePlayer(gameId: string, player: string): Promise<boolean> {
    return (await this.redis.hdel(this.playersKey(gameId), player)) === 1;
  }

  async listPlayers(gameId: string): Promise<PlayerSpec[]> {
    const all = await this.redis.hgetall(this.playersKey(gameId));
    return Object.values(all).map((raw) => JSON.parse(raw) as PlayerSpec);
  }

  /** Replaces the game's ready-worker table and hints its servers. */
  async publishWorkers(gameId: string, workers: ReadonlyMap<string, string>): Promise<void> {
    const keys = workerKeys(this.namespace, gameId);
    const multi = this.redis.multi().del(keys.endpoints);
    if (workers.size > 0) multi.hset(keys.endpoints, Object.fromEntries([...workers].map(([player, url]) => [player, JSON.stringify({ url } satisfies WorkerEndpoint)])));
    await multi.publish(keys.changed, "1").exec();
  }

  async forgetWorkers(gameId: string): Promise<void> {
    await this.redis.del(workerKeys(this.namespace, gameId).endpoints);
  }
}
