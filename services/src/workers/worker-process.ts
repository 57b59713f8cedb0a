"use strict";
/**
 * The sandbox process of one player's worker, started by its supervisor (worker-main.ts) with the
 * command of isolation.ts: it serves turns on the listening socket the supervisor hands it as fd 3
 * (in its own network namespace it could open no other) and runs the bot in its sandbox thread.
 * Prints `{"event":"listening","sandbox":…,"reason":…}` once it serves.
 *
 * Env: PLAYER, PLAYER_CODE, TURN_DEADLINE_MS, SANDBOX_MEMORY_MB, MAX_DEADLINE_MISSES.
 */
import { LISTEN_FD } from "./isolation";
import { sandboxLimits } from "./sandbox/limits";
import { Sandbox } from "./sandbox/sandbox";
import { WorkerServer } from "./worker-server";

const env = process.env;
const int = (value: string | undefined) => (value === undefined || value === "" ? undefined : Number(value));

async function main(): Promise<void> {
  // Measured on Node 24.22: a worker thread of a process running in "/" may read every file despite --allow-fs-read.
  if (process.cwd() === "/") throw new Error("the sandbox process runs in /, where Node 24's permission model lets its thread read every file: start it in its own folder");
  const code = env.PLAYER_CODE;
  if (code === undefined || code === "") throw new Error("PLAYER_CODE is empty: the worker has no bot to run");
  // The bot's source is the only secret-ish input; the sandbox thread gets an empty environment anyway.
  delete env.PLAYER_CODE;
  const limits = sandboxLimits({ turnDeadlineMs: int(env.TURN_DEADLINE_MS), memoryMb: int(env.SANDBOX_MEMORY_MB), maxConsecutiveDeadlineMisses: int(env.MAX_DEADLINE_MISSES) });
  const server = new WorkerServer({ player: env.PLAYER ?? "player", engine: new Sandbox(code, limits), maxViewBytes: limits.maxViewBytes, listen: { fd: LISTEN_FD } });
  await server.start();
  process.stdout.write(`${JSON.stringify({ event: "listening", sandbox: server.sandbox.state, reason: server.sandbox.reason })}\n`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(`worker: the sandbox process failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
