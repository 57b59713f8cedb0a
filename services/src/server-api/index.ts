/**
 * `@pomona/server`: what a studio's game server imports — the game API (`defineGame`, channels, the
 * tick) with the server that runs it, and what a game's own `main` needs to be a well-behaved
 * process (Redis from the environment, the `ready`/`stats`/`stopped` lines, drain on SIGTERM). The
 * package also ships the role mains as commands (`pomona-connector`, `pomona-gate`,
 * `pomona-game-creator`). packages/server/README.md shows a whole game.
 */
export * from "../game";
export { runGameServerMain } from "../roles/game-server-main";
export { runServerProcess, printEvent, numberOrUndefined, type RunningServer } from "../roles/server-process";
export { createRedisClient, redisFromEnv, type RedisConnectionInput } from "../redis";
export { ConfigError } from "../config/validate";
export { parseCommandLine, failUsage, integerFlag, type CommandSpec } from "../cli";
export { TurnClient } from "../workers/turn-client";
export { WorkerDirectory } from "../workers/worker-directory";
