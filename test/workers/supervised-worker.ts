/**
 * One player's worker started as the local backend starts it (the bundle, the supervisor's flags,
 * WORKER_ISOLATION=namespaces), for the tests that attack it; optionally with the bundle's sandbox
 * thread replaced by an attacker's (a bot that already left its vm).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { buildWorkerBundle } from "../../scripts/build-worker";
import { supervisorNodeArgs } from "../../services/src/workers/isolation";

/** The worker bundle; with `attackerThread`, its sandbox-thread.js is the attacker's module (bundled with what it imports: the real thread's hardening). */
export async function buildBundle(attackerThread?: string): Promise<string> {
  const entry = await buildWorkerBundle(mkdtempSync(path.join(os.tmpdir(), "pomona-worker-")));
  if (attackerThread !== undefined) await build({ entryPoints: [attackerThread], outfile: path.join(path.dirname(entry), "sandbox-thread.js"), bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "silent" });
  return entry;
}

export class SupervisedWorker {
  readonly process: ChildProcess;
  readonly stderr: string[] = [];
  readonly ready: Promise<{ port: number; sandbox: string; reason?: string }>;
  readonly exited: Promise<number | null>;

  constructor(entry: string, code: string, env: Record<string, string> = {}) {
    this.process = spawn(process.execPath, supervisorNodeArgs(entry, 32), {
      env: { WORKER_ISOLATION: "namespaces", PLAYER: "attacker", PLAYER_CODE: code, PORT: "0", HOST: "127.0.0.1", TURN_DEADLINE_MS: "50", SANDBOX_MEMORY_MB: "32", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.process.stderr! }).on("line", (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.ready = new Promise((resolve, reject) => {
      createInterface({ input: this.process.stdout! }).on("line", (line) => {
        if (line.startsWith('{"event":"ready"')) resolve(JSON.parse(line));
      });
      void this.exited.then((code) => reject(new Error(`the worker exited (${code}): ${this.stderr.join(" | ")}`)));
    });
  }

  async post(path_: string, body?: string): Promise<{ status: number; body: any }> {
    const { port } = await this.ready;
    return new Promise((resolve, reject) => {
      const request = http.request({ host: "127.0.0.1", port, path: path_, method: body === undefined ? "GET" : "POST", agent: false, timeout: 20_000 }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
      });
      request.on("error", reject);
      request.on("timeout", () => request.destroy(new Error("timeout")));
      request.end(body);
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGTERM");
    await this.exited;
  }
}
