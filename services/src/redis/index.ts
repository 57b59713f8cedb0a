export { createRedisClient, toIoredisOptions, reconnectDelayMs } from "./connection";
export { redisConnectionSchema, type RedisConnectionInput, type RedisConnectionOptions } from "./options";
