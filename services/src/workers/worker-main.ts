/**
 * Entry point of one player's worker process (Kubernetes: the worker Pod; locally: a child process of
 * the game-creator). Imports only its own folder and Node built-ins, so it runs under Node's
 * permission model with read access to this folder alone:
 *
 *   node --max-old-space-size=64 --permission --allow-fs-read=<this folder>/ --allow-worker worker-main.js   (Node 20: --experimental-permission)
 *
 * Env: PLAYER, PLAYER_CODE (the bot's JavaScript), PORT (0: any), HOST (default 127.0.0.1),
 * TURN_DEADLINE_MS, SANDBOX_MEMORY_MB, MAX_DEADLINE_MISSES. Prints `{"event":"ready","port":…}`;
 * SIGTERM/SIGINT stop it.
 */
import { sandboxLimits } from "./sandbox/limits";
import { WorkerServer } from "./worker-server";

const env = process.env;
const int = (value: string | undefined) => (value === undefined || value === "" ? undefined : Number(value));

async function main(): Promise<void> {
  const code = env.PLAYER_CODE;
  if (code === undefined || code === "") throw new Error("PLAYER_CODE is empty: the worker has no bot to run");
  const server = new WorkerServer({
    player: env.PLAYER ?? "player",
    code,
    limits: sandboxLimits({ turnDeadlineMs: int(env.TURN_DEADLINE_MS), memoryMb: int(env.SANDBOX_MEMORY_MB), maxConsecutiveDeadlineMisses: int(env.MAX_DEADLINE_MISSES) }),
    host: env.HOST ?? "127.0.0.1",
    port: int(env.PORT) ?? 0,
  });
  // The bot's source is the only secret-ish input; no child of this process needs it.
  delete env.PLAYER_CODE;
  const port = await server.start();
  process.stdout.write(`${JSON.stringify({ event: "ready", port, player: env.PLAYER, sandbox: server.sandbox.state, reason: server.sandbox.reason })}\n`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(`worker: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
