/**
 * The game server's configuration, validated at start; every duration says its unit.
 */
import { z } from "zod";
import type { DiscoveryOptionsInput } from "../discovery";
import { SERVER_ID_PATTERN } from "../discovery/member";
import { parseConfig } from "../config/validate";
import { gameSettingsSchema } from "../cluster-model";

/** Text that is not JSON stays text, and the settings schema refuses it with its own message. */
function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const gameServerConfigSchema = z
  .object({
    /** This server's id, unique in the cluster (`arena-1`). */
    id: z.string().regex(SERVER_ID_PATTERN, "letters, digits, '.', '_' or '-', at most 128"),
    /** Address other servers dial for RPC (the pod IP in a cluster), published in discovery. */
    host: z.string().min(1).max(255).default("127.0.0.1"),
    /** Interface the RPC server listens on; defaults to `host`. */
    listenHost: z.string().min(1).max(255).optional(),
    /** RPC port; 0 picks a free one. */
    port: z.number().int().min(0).max(65535).default(0),
    /** Ticks per second; overrides the game's `tickHz` (default 20). */
    tickHz: z.number().positive().max(1000).optional(),
    /** Lateness, in ticks, beyond which the loop realigns instead of running missed ticks back to back. */
    maxLagTicks: z.number().int().min(1).max(1000).default(5),
    /** Tick batches that may wait in one connector's link (queued, not yet taken by the kernel) before the next is dropped: a connector that stops reading is sent recent ticks when it resumes, not seconds of stale ones. */
    maxQueuedTicks: z.number().int().min(1).max(1000).default(2),
    /** Deadline of bind / kick / setSettings calls to a connector, ms. */
    requestTimeoutMs: z.number().int().positive().max(60_000).default(2000),
    /** Deadline of a `ctx.rpc` call to another server that names none, ms. */
    remoteTimeoutMs: z.number().int().positive().max(600_000).default(2000),
    /** Every route of the cluster's route dictionary (connector and games alike); omitted: routes are sent as text. */
    routes: z.array(z.string().min(1)).max(65_535).optional(),
    /** Discovery options (validated by ServiceDiscovery); omitted: the server does not register (tests). */
    discovery: z.custom<DiscoveryOptionsInput>((value) => typeof value === "object" && value !== null, { message: "must be discovery options" }).optional(),
    /** How long the players of a connector that left the cluster may take to resume on another connector before their sessions close. */
    resumeGraceMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** HTTP port for probes (`/healthz`, `/readyz`), `/metrics` and the viewer stream; absent: no HTTP server. 0 picks a free one. */
    httpPort: z.number().int().min(0).max(65535).optional(),
    /** Interface the HTTP server listens on; defaults to listenHost, then host. */
    httpHost: z.string().min(1).max(255).optional(),
    /** The game this server belongs to (`GAME_ID`): with `httpPort`, viewers watch its broadcasts on `/game-<gameId>`. */
    gameId: z.string().max(30).regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "a lowercase DNS-1123 label of at most 30 characters").optional(),
    /** Viewer WebSockets one server accepts at once. */
    maxViewers: z.number().int().min(1).max(100_000).default(1000),
    /** GAME_SETTINGS as JSON text (the env form) or an object: what the game reads as `ctx.settings`. */
    settings: z.preprocess((value) => (typeof value === "string" ? parseJsonOr(value) : value), gameSettingsSchema).default({}),
    /** Pod IP published next to `host`, if different. */
    podIp: z.string().max(64).optional(),
  })
  .strict();

export type GameServerConfigInput = z.input<typeof gameServerConfigSchema>;
export type GameServerConfig = z.output<typeof gameServerConfigSchema>;

export function parseGameServerConfig(input: unknown): GameServerConfig {
  return parseConfig("gameServer", gameServerConfigSchema, input);
}
