/**
 * What a client of the game-creator may ask for, validated before anything is written: a game
 * (id, type, replicas, settings) and a player's bot code. Ids become Kubernetes names —
 * `game-<id>` (Deployment, Service, Ingress path) and `game-<id>-worker-<player>` (Pod) — so both
 * are DNS-1123 labels short enough for the longest name to stay within 63 characters.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { findGameType, gameTypeNames, SERVICES_GAME_TYPES, type GameTypes } from "../game-types";
import { gameSettingsSchema, type GameSettings } from "../cluster-model";

export const MAX_GAME_ID_CHARS = 30;
export const MAX_PLAYER_ID_CHARS = 20;
/** Bot source size; it travels in the worker's environment (Kubernetes) or argv-free env (local). */
export const MAX_CODE_BYTES = 64 * 1024;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const labelRule = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters (it becomes part of Kubernetes names)`)
    .regex(LABEL, `${what} must be lowercase letters, digits and "-", starting and ending with a letter or digit (a DNS-1123 label)`);

export const gameIdSchema = labelRule("id", MAX_GAME_ID_CHARS);
export const playerIdSchema = labelRule("player", MAX_PLAYER_ID_CHARS);

/** A create request, for the game types this creator runs (the services image's and the stack's studio types). */
export const createGameSchemaFor = (types: GameTypes) =>
  z
    .object({
      id: gameIdSchema,
      type: z.string().refine((type) => findGameType(types, type) !== undefined, {
        error: (issue) => `unknown game type ${JSON.stringify(issue.input)}; known types: ${gameTypeNames(types)}`,
      }),
      replicas: z.number().int().min(1).max(16).default(1),
      tickHz: z.number().min(1).max(60).optional(),
      settings: gameSettingsSchema.default({}),
    })
    .strict()
    .superRefine((value, ctx) => {
      const type = findGameType(types, value.type);
      if (type !== undefined && value.replicas > type.maxReplicas) {
        ctx.addIssue({ code: "custom", path: ["replicas"], message: `a ${value.type} game runs at most ${type.maxReplicas} replica(s)` });
      }
    });

export const createGameSchema = createGameSchemaFor(SERVICES_GAME_TYPES);

export type CreateGameInput = z.input<typeof createGameSchema>;

/** A game as the desired state holds it. */
export interface GameSpec {
  readonly id: string;
  /** A name in the creator's game types. */
  readonly type: string;
  readonly replicas: number;
  readonly tickHz?: number;
  readonly settings: GameSettings;
  readonly createdAtMs: number;
}

export const submitCodeSchema = z
  .object({
    code: z
      .string({ error: "code must be a string of JavaScript" })
      .min(1, "code must not be empty")
      .refine((code) => Buffer.byteLength(code, "utf8") <= MAX_CODE_BYTES, `code must be at most ${MAX_CODE_BYTES} bytes`),
  })
  .strict();

/** A player's bot: its code and a revision (hash of the code), so new code replaces the worker. */
export interface PlayerSpec {
  readonly player: string;
  readonly code: string;
  readonly revision: string;
  readonly submittedAtMs: number;
}

export function playerSpec(player: string, code: string, nowMs: number): PlayerSpec {
  return { player, code, revision: codeRevision(code), submittedAtMs: nowMs };
}

/** Short, label-safe digest of the code. */
export function codeRevision(code: string): string {
  return createHash("sha256").update(code).digest("hex").slice(0, 16);
}

export { gameName, viewerPath, workerName } from "../cluster-model";
