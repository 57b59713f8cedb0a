/**
 * The desired state in Redis: the games asked for and each game's players (bot code), plus the
 * ready-worker table each game server reads. A create is one HSETNX (a duplicate id loses
 * atomically, nothing half-written); a player is added only while its game exists (one script).
 */
import type Redis from "ioredis";
import { workerKeys, type WorkerEndpoint } from "../workers/keys";
import type { GameSpec, PlayerSpec } from "./game-spec";

const PUT_PLAYER_IF_GAME = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

export class DesiredStore {
  private readonly gamesKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
  ) {
    this.gamesKey = `pomona:{${namespace}}:creator:games`;
  }

  private playersKey(id: string): string {
    return `pomona:{${this.namespace}}:creator:players:${id}`;
  }

  /** False if a game with this id already exists. */
  async createGame(spec: GameSpec): Promise<boolean> {
    return (await this.redis.hsetnx(this.gamesKey, spec.id, JSON.stringify(spec))) === 1;
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

  /** False if the game does not exist (deleted meanwhile). */
  async putPlayer(gameId: string, player: PlayerSpec): Promise<boolean> {
    return (await this.redis.eval(PUT_PLAYER_IF_GAME, 2, this.gamesKey, this.playersKey(gameId), gameId, player.player, JSON.stringify(player))) === 1;
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
