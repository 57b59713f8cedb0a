/** Child processes for benchmarks: entry points over IPC, CPU time and RSS read from /proc. */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { nodeCommand } from "../node24/runtime";

const CLOCK_TICKS_PER_SECOND = 100;

/** The load generator is C (scripts/bench/load-client.c says why), compiled with the system's cc to `binary`. */
export function compileLoadClient(binary: string): void {
  mkdirSync(path.dirname(binary), { recursive: true });
  try {
    execFileSync("cc", ["-O2", "-Wall", "-o", binary, path.join(__dirname, "load-client.c")], { stdio: "inherit" });
  } catch (error) {
    throw new Error(`compiling the load generator (scripts/bench/load-client.c) with cc failed: ${(error as Error).message}. Install a C compiler (Debian: apt-get install gcc; npm test's scripts/ensure-deps.mjs does).`);
  }
}

/** A native load generator speaking Node's IPC (line-delimited JSON on the fd named by NODE_CHANNEL_FD). */
export function spawnGenerator(binary: string, args: string[]): ChildProcess {
  return spawn(binary, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "json" });
}

/** A JavaScript entry point run by plain Node (no loader) with `nodeOptions`, as the image runs servers. */
export function forkJs(script: string, args: string[], nodeOptions: string, command = nodeCommand("node20"), nodeArgs: readonly string[] = []): ChildProcess {
  return fork(script, args, { execPath: command.command, execArgv: [...command.args, ...nodeArgs], env: { ...process.env, NODE_OPTIONS: nodeOptions }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

export function nextMessage<T extends { kind: string }>(child: ChildProcess, kind: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${kind}" from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (message: T) => {
      if (message?.kind !== kind) return;
      clearTimeout(timer);
      child.off("message", listener);
      resolve(message);
    };
    child.on("message", listener);
  });
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process now, in MB (VmRSS). */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number((Number(match[1]) / 1024).toFixed(1));
}

export function percentile(histogram: ArrayLike<number>, bucketMs: number, fraction: number): number {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  if (total === 0) return NaN;
  const wanted = total * fraction;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= wanted) return (i + 1) * bucketMs;
  }
  return histogram.length * bucketMs;
}
