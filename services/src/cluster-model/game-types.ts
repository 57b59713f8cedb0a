/**
 * The game types the image contains (`services/dist/games/<entry>/main.js`): which entry point runs the
 * servers, how many replicas make sense, and whether players submit bots that run in workers. Stacks
 * and the game-creator accept the same list.
 */
export interface GameType {
  /** `services/games/<entry>/main.ts` (dist: `services/dist/games/<entry>/main.js`). */
  readonly entry: string;
  readonly maxReplicas: number;
  /** Players submit code that runs in per-player workers (one world per game: one replica). */
  readonly workers: boolean;
  /** Tick rate when the request names none. */
  readonly defaultTickHz: number;
}

export const GAME_TYPES = {
  arena: { entry: "arena", maxReplicas: 16, workers: false, defaultTickHz: 20 },
  grid: { entry: "grid", maxReplicas: 1, workers: true, defaultTickHz: 10 },
} as const satisfies Record<string, GameType>;

export type GameTypeName = keyof typeof GAME_TYPES;
