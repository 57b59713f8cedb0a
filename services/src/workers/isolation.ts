"use strict";
/**
 * How the supervisor (worker-main.ts) starts the sandbox process, per isolation mode — the layers
 * that hold once player code has left the vm (docs/workers.md, threat model):
 *   - always: Node's permission model (read the worker's own folder only; write nothing; no child
 *     process; the sandbox thread is the only thread, started before player code runs), a V8 heap cap
 *     and RLIMIT_DATA (one native allocation cannot grow the process past `dataMb`), no core dumps;
 *   - `namespaces` (the local cluster; needs root, fails closed without it): a network namespace with
 *     no interface (no socket reaches anything; turns come on the listening socket the supervisor
 *     hands in), a PID namespace (no other process to signal), a new session (no process group
 *     shared with the creator), a mount namespace whose root holds only the bundle and the runtime,
 *     read-only (no Unix socket, no file of the machine: sandbox-root.ts), and uid nobody without
 *     capabilities; killed with its supervisor;
 *   - `pod` (Kubernetes): the pod already is its own network and PID namespace, with no egress by
 *     NetworkPolicy and no capability to make namespaces;
 *   - `none`: development only, on a machine without namespaces; the supervisor warns loudly.
 * Dependency-free (the worker process may read its own folder only).
 */
import path from "node:path";
import { permissionFlag } from "./permission-flag";
import { dropPrivileges, SANDBOX_ROOT_SCRIPT, sandboxRootBinds } from "./sandbox-root";
export const ISOLATIONS = ["namespaces", "pod", "none"] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/**
 * RLIMIT_DATA of a sandbox process whose thread has a `heapMb` heap: room for Node itself, the process
 * heap (2×) and the thread. Node 24's V8 reserves more address space per isolate: measured on 24.22, a
 * process with one worker thread aborts at start under 1,024 MB and starts at 1,280 MB (Node 20: 192 MB).
 * There the limit bounds address space, not RSS; the pod's memory limit bounds RSS.
 */
export function sandboxProcessMemoryMb(heapMb: number, nodeMajor = Number(process.versions.node.split(".")[0])): number {
  return Math.max(nodeMajor >= 22 ? 1280 : 192, heapMb * 6);
}

/**
 * A worker pod's memory limit, MiB: two Node processes (supervisor and sandbox, ~50–60 MB RSS each
 * idle) plus six times the bot's heap (measured on Node 24: a 2^27 array peaks at 211 MB RSS before V8 aborts). A bot past it is OOM-killed by the cgroup; the supervisor
 * records that SIGKILL as a memory stop.
 */
export function workerPodMemoryMi(heapMb: number): number {
  return 128 + heapMb * 6;
}

export interface SandboxCommandOptions {
  readonly isolation: Isolation;
  /** This Node binary. */
  readonly nodePath: string;
  /** The sandbox process's entry (worker-process.js) and the folder it may read (with a trailing separator). */
  readonly entry: string;
  readonly readableDir: string;
  /** The sandbox thread's heap, MB; the process's own heap gets twice that. */
  readonly heapMb: number;
  /** RLIMIT_DATA of the sandbox process, MB. */
  readonly dataMb: number;
}

const MIB = 1024 * 1024;
/** The listening socket the supervisor passes to the sandbox process as its fourth stdio entry. */
export const LISTEN_FD = 3;

export function parseIsolation(value: string | undefined): Isolation {
  const isolation = value === undefined || value === "" ? "namespaces" : value;
  if (!(ISOLATIONS as readonly string[]).includes(isolation)) throw new Error(`WORKER_ISOLATION: must be one of ${ISOLATIONS.join(", ")}, got ${JSON.stringify(value)} (namespaces locally, pod in Kubernetes)`);
  return isolation as Isolation;
}

/** Node's flags for the supervisor (`entry`: worker-main.js): it may read its own folder and start its sandbox process, nothing else. */
export function supervisorNodeArgs(entry: string, sandboxMemoryMb: number, permission = permissionFlag()): string[] {
  return ["--no-warnings", `--max-old-space-size=${Math.max(32, sandboxMemoryMb)}`, permission, `--allow-fs-read=${path.dirname(entry)}${path.sep}`, "--allow-child-process", entry];
}

/** The command line of the sandbox process: `[command, ...args]`. */
export function sandboxCommand(options: SandboxCommandOptions): string[] {
  const node = [
    options.nodePath,
    `--max-old-space-size=${options.heapMb * 2}`,
    permissionFlag(),
    `--allow-fs-read=${options.readableDir}`,
    "--allow-worker",
    // Without it Node 20 ignores the vm's import() callback (sandbox-thread.ts refuses to run the bot then).
    "--experimental-vm-modules",
    "--no-warnings",
    options.entry,
  ];
  const limits = ["/usr/bin/prlimit", `--data=${options.dataMb * MIB}`, "--core=0", "--"];
  if (options.isolation !== "namespaces") return [...limits, ...node];
  const root = ["/bin/sh", "-c", SANDBOX_ROOT_SCRIPT, "pomona-sandbox-root", options.readableDir.replace(/\/+$/, ""), ...sandboxRootBinds(options.nodePath), "--"];
  return ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/usr/bin/unshare", "--net", "--pid", "--ipc", "--uts", "--mount", "--fork", "--kill-child", "--", ...root, ...dropPrivileges(), ...limits, ...node];
}
