/**
 * The grid world (AI:MMO-style): avatars on a square board, one per player, each moved by its
 * player's bot; coins to pick up. Pure state and rules, no I/O.
 *
 * Each avatar carries what the server holds for its player, as the arena does for its players: the
 * record's incarnation (`record`, new whenever the avatar is created again) and the last turn whose
 * action was applied (`turn`). Viewers receive both every tick, so a check of "nothing the game
 * applied was lost" reads the server's state instead of inferring it.
 */
import { randomBytes } from "node:crypto";

export const MOVES = ["up", "down", "left", "right", "stay"] as const;
export type Move = (typeof MOVES)[number];
export const MAX_REASON_CHARS = 300;

export interface Avatar {
  readonly player: string;
  /** This avatar's incarnation: 48 random bits, base64url. */
  readonly record: string;
  /** The last turn whose action was applied (0: none yet). */
  turn: number;
  x: number;
  y: number;
  score: number;
  /** "playing", or "stopped" with the sandbox's reason. */
  status: "playing" | "stopped";
  reason?: string;
  /** Actions that changed its square (a stay or a step into the edge is not a move). */
  moves: number;
}

export interface PlayerView {
  readonly tick: number;
  readonly size: number;
  readonly me: { readonly x: number; readonly y: number; readonly score: number };
  readonly coins: ReadonlyArray<readonly [number, number]>;
  readonly others: ReadonlyArray<readonly [number, number]>;
}

export class GridWorld {
  readonly avatars = new Map<string, Avatar>();
  readonly coins: Array<[number, number]> = [];

  constructor(
    readonly size = 24,
    coinCount = 12,
    private readonly random: () => number = Math.random,
    private readonly newRecord: () => string = () => randomBytes(6).toString("base64url"),
  ) {
    for (let i = 0; i < coinCount; i++) this.coins.push(this.spot());
  }

  join(player: string): Avatar {
    let avatar = this.avatars.get(player);
    if (avatar === undefined) {
      const [x, y] = this.spot();
      avatar = { player, record: this.newRecord(), turn: 0, x, y, score: 0, status: "playing", moves: 0 };
      this.avatars.set(player, avatar);
    }
    return avatar;
  }

  leave(player: string): void {
    this.avatars.delete(player);
  }

  /** `reason` is cut to MAX_REASON_CHARS: it came from a worker, and every viewer receives it every tick. */
  stop(player: string, reason: string): void {
    const avatar = this.avatars.get(player);
    if (avatar === undefined || avatar.status === "stopped") return;
    avatar.status = "stopped";
    avatar.reason = String(reason).slice(0, MAX_REASON_CHARS);
  }

  /**
   * Applies a bot's action for `turn`; anything that is not `{move: <one of MOVES>}`, or an answer
   * to a turn older than the last applied one, is a no-op.
   */
  act(player: string, action: unknown, turn: number): void {
    const avatar = this.avatars.get(player);
    if (avatar === undefined || avatar.status !== "playing" || turn <= avatar.turn) return;
    const move = (action as { move?: unknown } | null)?.move;
    if (typeof move !== "string" || !(MOVES as readonly string[]).includes(move)) return;
    avatar.turn = turn;
    const [dx, dy] = move === "up" ? [0, -1] : move === "down" ? [0, 1] : move === "left" ? [-1, 0] : move === "right" ? [1, 0] : [0, 0];
    const [x, y] = [clamp(avatar.x + dx, 0, this.size - 1), clamp(avatar.y + dy, 0, this.size - 1)];
    if (x !== avatar.x || y !== avatar.y) avatar.moves++;
    avatar.x = x;
    avatar.y = y;
    const coin = this.coins.findIndex(([x, y]) => x === avatar.x && y === avatar.y);
    if (coin >= 0) {
      avatar.score++;
      this.coins[coin] = this.spot();
    }
  }

  view(player: string, tick: number): PlayerView | undefined {
    const me = this.avatars.get(player);
    if (me === undefined) return undefined;
    const others: Array<[number, number]> = [];
    for (const avatar of this.avatars.values()) if (avatar !== me) others.push([avatar.x, avatar.y]);
    return { tick, size: this.size, me: { x: me.x, y: me.y, score: me.score }, coins: this.coins, others };
  }

  snapshot(tick: number): { tick: number; size: number; coins: Array<[number, number]>; avatars: Avatar[] } {
    return { tick, size: this.size, coins: this.coins, avatars: [...this.avatars.values()] };
  }

  private spot(): [number, number] {
    return [Math.floor(this.random() * this.size), Math.floor(this.random() * this.size)];
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
