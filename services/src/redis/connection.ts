/**
 * Builds ioredis clients that fail fast: no unbounded offline queue, a timeout on every
 * command, quick reconnects. A server must keep working from cached state while Redis is
 * away, which means a Redis call may fail but must never hang for seconds.
 */
import Redis, { type RedisOptions } from "ioredis";
import { parseConfig } from "../config/validate";
import { backoffDelayMs, type BackoffPolicy } from "../util/backoff";
import { redisConnectionSchema, type RedisConnectionInput } from "./options";

/** Pure: validated connection settings → ioredis options. Unit-tested without a server. */
export function toIoredisOptions(input: RedisConnectionInput): RedisOptions {
  const options = parseConfig("redis", redisConnectionSchema, input);
  const backoff: BackoffPolicy = { baseMs: options.reconnectBaseDelayMs, maxMs: options.reconnectMaxDelayMs, jitter: 0.5 };
  const fromUrl = options.url ? parseRedisUrl(options.url) : {};
  // rediss:// switches TLS on; its settings (ca, cert, key…) still come from `tls`.
  const tls = fromUrl.tls && options.tls === false ? true : options.tls;
  const base: RedisOptions = {
    host: options.host,
    port: options.port,
    db: options.db,
    username: options.username,
    password: options.password,
    ...fromUrl,
    tls: tls === true ? {} : tls === false ? undefined : tls,
    lazyConnect: true,
    // Bounded: while disconnected, commands fail at once instead of piling up in memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    enableReadyCheck: true,
    connectionName: options.connectionName,
    retryStrategy: (attempt: number) => backoffDelayMs(attempt, backoff),
  };
  if (options.sentinels) {
    return {
      ...base,
      sentinels: options.sentinels,
      name: options.sentinelMasterName,
      sentinelPassword: options.sentinelPassword,
      sentinelRetryStrategy: (attempt: number) => backoffDelayMs(attempt, backoff),
      enableTLSForSentinelMode: Boolean(base.tls),
    };
  }
  return base;
}

function parseRedisUrl(url: string): Partial<RedisOptions> & { tls?: true } {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: true as const } : {}),
  };
}

/**
 * ioredis listens for a single 'error' per socket. A TLS socket ended in mid-handshake (stop() or a failed start()
 * while the certificate is being rejected) emits a second one, the server's alert: unhandled, it would crash the process.
 */
class PomonaRedis extends Redis {
  override disconnect(reconnect = false): void {
    this.stream?.on("error", () => {});
    super.disconnect(reconnect);
  }
}

/** A fail-fast client, not yet connected (`await client.connect()`); errors are surfaced through `onError`, never thrown unhandled. */
export function createRedisClient(input: RedisConnectionInput, onError: (error: Error) => void = () => {}): Redis {
  const client = new PomonaRedis(toIoredisOptions(input));
  client.on("error", onError);
  return client;
}
