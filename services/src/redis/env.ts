/**
 * The Redis connection a server process reads from its environment, one rule for every role:
 * REDIS_URL (address, credentials, TLS), and for Sentinel REDIS_SENTINELS ("host:port,host:port")
 * with REDIS_SENTINEL_MASTER (the name in `sentinel monitor <name> …`).
 */
import { ConfigError } from "../config/validate";
import type { RedisConnectionInput } from "./options";

export function redisFromEnv(url: string, env: NodeJS.ProcessEnv = process.env): RedisConnectionInput {
  const list = env.REDIS_SENTINELS?.trim();
  if (!list) return { url };
  const sentinels = list.split(",").map((entry) => {
    const match = /^([^:\s]+):(\d{1,5})$/.exec(entry.trim());
    if (match === null || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new ConfigError("env", [`REDIS_SENTINELS: "${entry}" is not host:port; give a comma-separated list such as "redis-sentinel-0:26379,redis-sentinel-1:26379"`]);
    }
    return { host: match[1]!, port: Number(match[2]) };
  });
  const master = env.REDIS_SENTINEL_MASTER?.trim();
  if (!master) throw new ConfigError("env", ["REDIS_SENTINEL_MASTER: is required with REDIS_SENTINELS (the name in sentinel.conf `sentinel monitor <name> …`)"]);
  return { url, sentinels, sentinelMasterName: master };
}
