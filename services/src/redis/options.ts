/**
 * How every Pomona server connects to Redis. One validated shape, shared by discovery,
 * session bindings and the game registry, so auth/TLS/Sentinel are configured once.
 */
import { z } from "zod";

const endpoint = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict();

export const redisConnectionSchema = z
  .object({
    /** `redis://[user[:password]@]host:port[/db]` or `rediss://…` for TLS; overrides host/port/db/user/password. */
    url: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://").optional(),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(6379),
    db: z.number().int().min(0).max(15).default(0),
    /** ACL user (Redis 6+). Omit for the `default` user. */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** `true` for TLS with system CAs, or Node TLS options (ca, cert, key, servername, rejectUnauthorized). */
    tls: z.union([z.boolean(), z.record(z.string(), z.unknown())]).default(false),
    /** Sentinel endpoints; when set, `sentinelMasterName` names the monitored master. */
    sentinels: z.array(endpoint).min(1).optional(),
    sentinelMasterName: z.string().min(1).optional(),
    sentinelPassword: z.string().min(1).optional(),
    /** Every command fails after this long instead of hanging (a paused or partitioned Redis). */
    commandTimeoutMs: z.number().int().min(10).max(60_000).default(500),
    connectTimeoutMs: z.number().int().min(10).max(60_000).default(1000),
    /** Reconnect backoff starts here and doubles up to `reconnectMaxDelayMs`, with jitter. */
    reconnectBaseDelayMs: z.number().int().min(1).max(60_000).default(50),
    reconnectMaxDelayMs: z.number().int().min(1).max(60_000).default(1000),
    /** Shown in `CLIENT LIST`, so operators can tell which server holds a connection. */
    connectionName: z.string().regex(/^[^\s]+$/, "must not contain spaces").optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.sentinels && !value.sentinelMasterName) {
      ctx.addIssue({ code: "custom", path: ["sentinelMasterName"], message: "is required when sentinels are set (the name in sentinel.conf `sentinel monitor <name> …`)" });
    }
    if (value.reconnectBaseDelayMs > value.reconnectMaxDelayMs) {
      ctx.addIssue({ code: "custom", path: ["reconnectBaseDelayMs"], message: "must not exceed reconnectMaxDelayMs" });
    }
  });

export type RedisConnectionInput = z.input<typeof redisConnectionSchema>;
export type RedisConnectionOptions = z.output<typeof redisConnectionSchema>;
