/**
 * Game types, registered once: the stack (static games, the admission policy, the quota) and the
 * game-creator (runtime games) both read them from here. A type is the script that runs its servers
 * in an image, the image (none: the stack's services image), and its defaults. The services image's
 * own types are listed below; a studio's game shipped as its own image (built on `@pomona/server`)
 * is declared in the stack file under `pomona:gameTypes` and reaches the game-creator as GAME_TYPES,
 * both validated by `studioGameTypesSchema`. Pure: no Pulumi, no Kubernetes client.
 */
import { z } from "zod";

export interface GameType {
  /** `node <main>` runs one game server, relative to the image's working directory. */
  readonly main: string;
  /** Digest-pinned image whose `main` this is; undefined: the stack's services image. */
  readonly image?: string;
  readonly maxReplicas: number;
  /** Players submit code that runs in per-player workers (one world per game: one replica); runtime games only. */
  readonly workers: boolean;
  /** Tick rate when the game names none. */
  readonly defaultTickHz: number;
}

export type GameTypes = Readonly<Record<string, GameType>>;

/** The types the services image runs: `services/games/<name>/main.ts`, compiled to `services/dist/games/<name>/main.js`. */
export const SERVICES_GAME_TYPES: GameTypes = {
  arena: { main: "services/dist/games/arena/main.js", maxReplicas: 16, workers: false, defaultTickHz: 20 },
  grid: { main: "services/dist/games/grid/main.js", maxReplicas: 1, workers: true, defaultTickHz: 10 },
};

const IMAGE_BY_DIGEST = /^[a-z0-9.:/_-]+@sha256:[0-9a-f]{64}$/;
const TYPE_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const MAIN_PATH = /^[A-Za-z0-9_./@-]{1,255}\.(js|cjs|mjs)$/;

/** One studio game type: its own image and main script; no workers (those run the services image's sandbox). */
export const studioGameTypeSchema = z
  .object({
    image: z.string().regex(IMAGE_BY_DIGEST, "must be the studio's image pinned by digest: <registry>/<repo>@sha256:<64 hex>"),
    main: z.string().regex(MAIN_PATH, 'must be the game server\'s script inside that image, relative to its WORKDIR or absolute, such as "dist/main.js"'),
    maxReplicas: z.number().int().min(1).max(100).default(16),
    defaultTickHz: z.number().int().min(1).max(120).default(20),
  })
  .strict();

export const studioGameTypesSchema = z
  .record(z.string(), studioGameTypeSchema)
  .superRefine((declared, ctx) => {
    for (const name of Object.keys(declared)) {
      if (!TYPE_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: 'game type names are 1-32 characters of a-z, 0-9 and "-", starting and ending with a letter or digit (they become label values)' });
      if (Object.hasOwn(SERVICES_GAME_TYPES, name)) ctx.addIssue({ code: "custom", path: [name], message: `"${name}" is a game type of the services image; give the studio's type another name` });
    }
  });

export type StudioGameTypes = z.output<typeof studioGameTypesSchema>;

/** The services image's types plus a studio's, each studio type with `workers: false`. */
export function gameTypesWith(studio: StudioGameTypes): GameTypes {
  const declared = Object.entries(studio).map(([name, type]) => [name, { ...type, workers: false }] as const);
  return { ...SERVICES_GAME_TYPES, ...Object.fromEntries(declared) };
}

export function findGameType(types: GameTypes, name: string): GameType | undefined {
  return Object.hasOwn(types, name) ? types[name] : undefined;
}

/** Names of the types that match `filter`, for error messages: "arena, duel". */
export function gameTypeNames(types: GameTypes, filter: (type: GameType) => boolean = () => true): string {
  return Object.entries(types)
    .filter(([, type]) => filter(type))
    .map(([name]) => name)
    .join(", ");
}

/** The image a game of this type runs: its own, else the services image. */
export const gameTypeImage = <I>(type: GameType, servicesImage: I): string | I => type.image ?? servicesImage;
