/**
 * The arena's state: players on a 100 × 100 field, each with the last input sequence number
 * the server applied (what `onAck` tells the player), in rooms of at most ROOM_CAPACITY: everyone
 * sees the players of their room, so a tick's broadcast stays the same size however many join.
 */
import { randomUUID } from "node:crypto";
import type { SessionRef } from "@pomona/server";

export const FIELD_SIZE = 100;
export const STEP = 1;
export const ROOM_CAPACITY = 50;
/** The first room is `room`, the next `room-2`, `room-3`… */
export const roomName = (index: number) => (index === 0 ? "room" : `room-${index + 1}`);

export type Direction = "up" | "down" | "left" | "right";

export interface Player {
  /** The player's current session: a resume on another connector replaces it. */
  session: SessionRef;
  readonly name: string;
  readonly room: string;
  /** This record's incarnation: a player created again (after the server lost it) gets a new one. */
  readonly record: string;
  x: number;
  y: number;
  /** Last input sequence number applied (0: none yet). */
  seq: number;
}

export interface PlayerState {
  readonly id: string;
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

const delta: Readonly<Record<Direction, readonly [number, number]>> = {
  up: [0, -STEP],
  down: [0, STEP],
  left: [-STEP, 0],
  right: [STEP, 0],
};

const clamp = (value: number) => Math.min(FIELD_SIZE, Math.max(0, value));

export class Arena {
  readonly players = new Map<string, Player>();
  /** Room name → its players, in the order rooms were opened. */
  readonly rooms = new Map<string, Set<Player>>();

  constructor(private readonly roomCapacity = ROOM_CAPACITY) {}

  join(session: SessionRef, name: string): Player {
    const existing = this.players.get(session.id);
    if (existing !== undefined) return existing;
    // Spread newcomers along the diagonal so a fresh arena is readable at a glance.
    const spot = (this.players.size * 7) % FIELD_SIZE;
    const room = this.roomWithSpace();
    const player: Player = { session, name, room, record: randomUUID(), x: spot, y: spot, seq: 0 };
    this.players.set(session.id, player);
    this.rooms.get(room)!.add(player);
    return player;
  }

  private roomWithSpace(): string {
    for (let index = 0; ; index++) {
      const name = roomName(index);
      const members = this.rooms.get(name);
      if (members === undefined) this.rooms.set(name, new Set());
      if (members === undefined || members.size < this.roomCapacity) return name;
    }
  }

  /** The same player, now reached through a new session (resumed on another connector). */
  rekey(fromSessionId: string, to: SessionRef): boolean {
    const player = this.players.get(fromSessionId);
    if (player === undefined) return false;
    this.players.delete(fromSessionId);
    player.session = to;
    this.players.set(to.id, player);
    return true;
  }

  /** The player that left, if it was here. */
  leave(sessionId: string): Player | undefined {
    const player = this.players.get(sessionId);
    if (player === undefined) return undefined;
    this.players.delete(sessionId);
    this.rooms.get(player.room)?.delete(player);
    return player;
  }

  /** Applies an input unless it is older than one already applied (inputs may arrive out of order as notifies). */
  move(player: Player, seq: number, to: { x: number; y: number } | { dir: Direction }): void {
    if (seq <= player.seq) return;
    player.seq = seq;
    if ("dir" in to) {
      const [dx, dy] = delta[to.dir];
      player.x = clamp(player.x + dx);
      player.y = clamp(player.y + dy);
    } else {
      player.x = clamp(to.x);
      player.y = clamp(to.y);
    }
  }

  /** The players of one room, as its members see them. */
  snapshot(room: string): PlayerState[] {
    const players: PlayerState[] = [];
    for (const { session, name, x, y } of this.rooms.get(room) ?? []) players.push({ id: session.id, name, x, y });
    return players;
  }
}
