export { createRedisClient, toIoredisOptions } from "./connection";
export { redisConnectionSchema, type RedisConnectionInput, type RedisConnectionOptions } from "./options";
export { redisFromEnv } from "./env";
