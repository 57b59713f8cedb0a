import { z } from "zod";
import { redisConnectionSchema } from "../redis/options";

export const discoveryOptionsSchema = z
  .object({
    redis: redisConnectionSchema.prefault({}),
    /** Key namespace: one per cluster sharing a Redis. */
    namespace: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "letters, digits, '_' or '-'").default("pomona"),
    /** A member that stops refreshing is gone after this long. Refreshed every ttlMs/3. */
    ttlMs: z.number().int().min(300).max(300_000).default(3000),
    /** Full resync period: the truth, since pub/sub hints can be lost across disconnects. */
    resyncIntervalMs: z.number().int().min(50).max(60_000).default(500),
    /** How long start() keeps trying to claim the id (an old process' lease may still be live). */
    startTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.redis.commandTimeoutMs * 2 > value.ttlMs / 3) {
      ctx.addIssue({
        code: "custom",
        path: ["redis", "commandTimeoutMs"],
        message: `must be at most ttlMs/6 (${Math.floor(value.ttlMs / 6)} ms) so a slow refresh cannot outlive the lease; lower it or raise ttlMs`,
      });
    }
  });

export type DiscoveryOptionsInput = z.input<typeof discoveryOptionsSchema>;
export type DiscoveryOptions = z.output<typeof discoveryOptionsSchema>;
