"use strict";
/**
 * Entry point of one player's worker (Kubernetes: the worker Pod; locally: a child process of the
 * game-creator): a supervisor that runs no player code. It opens the turn socket, starts the sandbox
 * process (worker-process.ts) with the command of isolation.ts and hands it the socket, and watches
 * it: when the sandbox process dies — V8 aborts the whole process when a bot allocates natively past
 * its limit (`new Array(2 ** 27).fill(0)`), RLIMIT_DATA refuses one huge allocation — it records why
 * (`memory limit exceeded: …`) and serves the turns in its place with that reason, so the game marks
 * the bot stopped instead of seeing a refused connection. Imports only its own folder and built-ins:
 *
 *   node --max-old-space-size=64 --permission --allow-fs-read=<this folder>/ --allow-child-process worker-main.js   (Node 20: --experimental-permission)
 *
 * Env: PLAYER, PLAYER_CODE, PORT (0: any), HOST (default 127.0.0.1), TURN_DEADLINE_MS,
 * SANDBOX_MEMORY_MB, MAX_DEADLINE_MISSES, SANDBOX_PROCESS_MEMORY_MB (RLIMIT_DATA of the sandbox
 * process), WORKER_ISOLATION (namespaces | pod | none). Prints `{"event":"ready","port":…}`;
 * SIGTERM/SIGINT stop it and its sandbox.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { LISTEN_FD, parseIsolation, sandboxCommand, sandboxProcessMemoryMb } from "./isolation";
import { sandboxLimits } from "./sandbox/limits";
import type { TurnResult } from "./sandbox/sandbox";
import { WorkerServer, type TurnEngine } from "./worker-server";

const env = process.env;
const int = (value: string | undefined) => (value === undefined || value === "" ? undefined : Number(value));
/** What the supervisor keeps of the sandbox process's output: enough to tell a V8 abort, never all of it. */
const KEEP_OUTPUT_CHARS = 4_096;
const V8_OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed|Fatal process out of memory|Cannot allocate memory/;
/** The sandbox process must be serving within this (Node start-up, the bot's load, on a busy machine). */
const START_TIMEOUT_MS = 60_000;

/** The turns of a bot whose sandbox process is gone: each answers at once with why. */
function gone(reason: string, counters: Readonly<Record<string, number>>): TurnEngine {
  return {
    state: "stopped",
    reason,
    counters,
    start: async () => undefined,
    turn: async (): Promise<TurnResult> => ({ status: "stopped", reason, ms: 0 }),
    stop: () => undefined,
  };
}

/** Why the sandbox process ended, from its exit and the tail of its stderr; `memory` when V8 or the kernel ended it for memory. */
function deathReason(code: number | null, signal: NodeJS.Signals | null, stderr: string, heapMb: number, dataMb: number): { reason: string; memory: boolean } {
  if (signal === "SIGABRT" || code === 134 || V8_OUT_OF_MEMORY.test(stderr)) {
    return { reason: `memory limit exceeded: the bot's sandbox process ran out of memory (heap ${heapMb} MB, process ${dataMb} MB) and was ended`, memory: true };
  }
  // Nothing but the kernel's OOM killer (the pod's memory limit) sends the sandbox SIGKILL while the supervisor runs.
  if (signal === "SIGKILL") return { reason: `memory limit exceeded: the bot's sandbox process was killed (SIGKILL), past its pod's memory limit`, memory: true };
  return { reason: `the bot's sandbox process exited (code ${code}, signal ${signal})`, memory: false };
}

function keepTail(into: { text: string }) {
  return (chunk: Buffer) => {
    into.text = (into.text + chunk.toString("utf8")).slice(-KEEP_OUTPUT_CHARS);
  };
}

async function main(): Promise<void> {
  const code = env.PLAYER_CODE;
  if (code === undefined || code === "") throw new Error("PLAYER_CODE is empty: the worker has no bot to run");
  const isolation = parseIsolation(env.WORKER_ISOLATION);
  const limits = sandboxLimits({ turnDeadlineMs: int(env.TURN_DEADLINE_MS), memoryMb: int(env.SANDBOX_MEMORY_MB), maxConsecutiveDeadlineMisses: int(env.MAX_DEADLINE_MISSES) });
  const dataMb = int(env.SANDBOX_PROCESS_MEMORY_MB) ?? sandboxProcessMemoryMb(limits.memoryMb);
  if (!Number.isInteger(dataMb) || dataMb < 128) throw new Error(`SANDBOX_PROCESS_MEMORY_MB: must be an integer of at least 128 (a Node process with its sandbox thread), got ${env.SANDBOX_PROCESS_MEMORY_MB}`);
  if (isolation === "none") console.error("worker: WARNING: WORKER_ISOLATION=none — a bot that leaves its vm can open sockets to anything on this machine and signal its processes. Development only.");
  const player = env.PLAYER ?? "player";
  const host = env.HOST ?? "127.0.0.1";

  const socket = net.createServer();
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.listen(int(env.PORT) ?? 0, host, resolve);
  });
  const port = (socket.address() as net.AddressInfo).port;
  const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;

  const dir = __dirname + path.sep;
  const [command, ...args] = sandboxCommand({ isolation, nodePath: process.execPath, entry: path.join(__dirname, `worker-process${path.extname(__filename)}`), readableDir: dir, heapMb: limits.memoryMb, dataMb });
  // GAME_ID only labels the process (tests and operators find a game's processes by it).
  const sandboxEnv = { ...(env.GAME_ID === undefined ? {} : { GAME_ID: env.GAME_ID }), PLAYER: player, PLAYER_CODE: code, TURN_DEADLINE_MS: String(limits.turnDeadlineMs), SANDBOX_MEMORY_MB: String(limits.memoryMb), MAX_DEADLINE_MISSES: String(limits.maxConsecutiveDeadlineMisses) };
  delete env.PLAYER_CODE;
  const stdio: StdioOptions = ["ignore", "pipe", "pipe"];
  stdio[LISTEN_FD] = fd;
  const child: ChildProcess = spawn(command, args, { env: sandboxEnv, cwd: __dirname, detached: true, stdio });
  // The sandbox process holds the socket now; this process takes it back only if that one dies.
  socket.close();
  const stopChild = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.once("exit", stopChild);

  const stdout = { text: "" };
  const stderr = { text: "" };
  child.stdout!.on("data", keepTail(stdout));
  child.stderr!.on("data", keepTail(stderr));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (exitCode, signal) => resolve({ code: exitCode, signal }));
    child.once("error", (error) => {
      stderr.text += `\ncould not start ${command}: ${error.message}`;
      resolve({ code: -1, signal: null });
    });
  });
  const listening = new Promise<{ sandbox: string; reason?: string }>((resolve) => {
    child.stdout!.on("data", () => {
      const line = stdout.text.split("\n").find((l) => l.startsWith('{"event":"listening"'));
      if (line === undefined) return;
      try {
        const event = JSON.parse(line) as { sandbox?: unknown; reason?: unknown };
        resolve({ sandbox: String(event.sandbox).slice(0, 20), ...(typeof event.reason === "string" ? { reason: event.reason.slice(0, 300) } : {}) });
      } catch {
        resolve({ sandbox: "unknown" });
      }
    });
  });
  const started = await Promise.race([listening, exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), START_TIMEOUT_MS).unref())]);
  // A bot whose top level ran the process out of memory is a stopped bot, not a worker that failed to start.
  const diedLoading = started !== undefined && "code" in started ? deathReason(started.code, started.signal, stderr.text, limits.memoryMb, dataMb) : undefined;
  if (started === undefined || (diedLoading !== undefined && !diedLoading.memory)) {
    stopChild();
    const hint = isolation === "namespaces" ? " (WORKER_ISOLATION=namespaces needs root and util-linux's unshare, setpriv and prlimit; on a development machine without them, WORKER_ISOLATION=none)" : "";
    throw new Error(`the sandbox process did not start${hint}: ${stderr.text.trim().split("\n").slice(-3).join(" | ").slice(0, 600)}`);
  }

  let standIn: WorkerServer | undefined;
  let stopping = false;
  const serveInItsPlace = async (reason: string) => {
    console.error(`worker: ${reason}`);
    standIn = new WorkerServer({ player, engine: gone(reason, {}), maxViewBytes: limits.maxViewBytes, listen: { host, port } });
    await standIn.start();
  };
  if (diedLoading !== undefined) await serveInItsPlace(diedLoading.reason);
  else {
    void exited.then(async ({ code: exitCode, signal }) => {
      if (!stopping) await serveInItsPlace(deathReason(exitCode, signal, stderr.text, limits.memoryMb, dataMb).reason);
    });
  }
  const status = diedLoading === undefined ? (started as { sandbox: string; reason?: string }) : { sandbox: "stopped", reason: diedLoading.reason };
  process.stdout.write(`${JSON.stringify({ event: "ready", port, player, isolation, ...status })}\n`);
  const stop = () => {
    stopping = true;
    stopChild();
    void (standIn?.stop() ?? Promise.resolve()).then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(`worker: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
