/**
 * A game's settings (GAME_SETTINGS, read by the game as `ctx.settings`): the same rule for a stack's
 * static games and the game-creator's requests.
 */
import { z } from "zod";

export const MAX_GAME_SETTINGS = 32;

const settingValue = z.union([z.string().max(256), z.number().finite(), z.boolean()]);

export const gameSettingsSchema = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, "setting names are identifiers of at most 32 characters"), settingValue)
  .refine((settings) => Object.keys(settings).length <= MAX_GAME_SETTINGS, `at most ${MAX_GAME_SETTINGS} settings`);

export type GameSettings = Readonly<Record<string, string | number | boolean>>;
