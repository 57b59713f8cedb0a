/**
 * Runs the real nginx binary on a generated config, for the local cluster and the tests alike: in
 * the foreground, with every file under a private prefix directory, as an ordinary user (when run
 * as root, nginx is started as `nobody`, so the config is proven to need no root).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { isAlive, killQuietly } from "./processes";

export { isAlive };

export const NGINX_BIN = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const NOBODY = 65534;

const started = new Set<number>();
process.once("exit", () => {
  for (const pid of started) killQuietly(pid, "SIGKILL");
});

/** Whether the nginx binary is installed (the local cluster falls back to direct ports without it). */
export function hasNginx(): boolean {
  return fs.existsSync(NGINX_BIN);
}

/** Throws one actionable line when the binary is absent. */
export function requireNginx(): void {
  if (!hasNginx()) {
    throw new Error(`nginx not found at ${NGINX_BIN}: install it with \`apt-get install -y nginx\` (or set NGINX_BIN to its path)`);
  }
}

/** The uid/gid nginx runs as: ourselves, or `nobody` when we are root. */
function identity(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
}

/** A private prefix directory owned by the user nginx runs as. */
export function makePrefix(): string {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-nginx-"));
  fs.chmodSync(prefix, 0o755);
  const { uid, gid } = identity();
  if (uid !== undefined && gid !== undefined) fs.chownSync(prefix, uid, gid);
  return prefix;
}

export function writeConf(prefix: string, name: string, text: string): string {
  const file = path.join(prefix, name);
  fs.writeFileSync(file, text, { mode: 0o644 });
  return file;
}

export interface NginxRun {
  readonly status: number | null;
  readonly output: string;
}

/** `nginx <args> -p <prefix>/ -c <conf>` to completion, as the nginx user. */
export function nginxCommand(prefix: string, conf: string, args: string[]): NginxRun {
  const result = spawnSync(NGINX_BIN, [...args, "-e", "stderr", "-p", `${prefix}/`, "-c", conf], { encoding: "utf8", timeout: 10_000, ...identity() });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

export class NginxProcess {
  private output = "";
  private exited = false;
  /** Every worker pid ever seen, so `stop` can make sure none outlives the test. */
  private readonly seenWorkers = new Set<number>();

  private constructor(
    readonly child: ChildProcess,
    readonly prefix: string,
    readonly conf: string,
    readonly port: number,
  ) {
    started.add(child.pid!);
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.once("exit", () => {
      this.exited = true;
      started.delete(child.pid!);
    });
  }

  /** Starts the master in the foreground and resolves once /healthz answers 200 on `port`. */
  static async start(prefix: string, conf: string, port: number): Promise<NginxProcess> {
    const child = spawn(NGINX_BIN, ["-e", "stderr", "-p", `${prefix}/`, "-c", conf], { stdio: ["ignore", "pipe", "pipe"], ...identity() });
    const nginx = new NginxProcess(child, prefix, conf, port);
    try {
      const deadline = Date.now() + 5_000;
      while ((await httpGet(port, "/healthz", "localhost").catch(() => undefined))?.status !== 200) {
        if (nginx.exited) throw new Error(`nginx exited at start:\n${nginx.output}`);
        if (Date.now() > deadline) throw new Error(`nginx did not answer /healthz on port ${port} within 5 s (is the port taken?):\n${nginx.output}`);
        await sleep(20);
      }
    } catch (error) {
      await nginx.stop();
      throw error;
    }
    return nginx;
  }

  get log(): string {
    return this.output;
  }

  /** Current worker pids (children of the master). */
  workers(): number[] {
    const master = this.child.pid!;
    const pids: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      // Fields after the parenthesised command: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === master) pids.push(Number(entry));
    }
    for (const pid of pids) this.seenWorkers.add(pid);
    return pids.sort((a, b) => a - b);
  }

  /** `nginx -s reload` against this instance's prefix and config. */
  reload(): void {
    this.workers();
    const run = nginxCommand(this.prefix, this.conf, ["-s", "reload"]);
    if (run.status !== 0) throw new Error(`nginx -s reload failed (${run.status}):\n${run.output}`);
  }

  /** Graceful quit, then TERM, then KILL of the master and of every worker seen: nothing stays behind. */
  async stop(): Promise<void> {
    this.workers();
    if (!this.exited) nginxCommand(this.prefix, this.conf, ["-s", "quit"]);
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      if (await this.waitExit(3_000)) break;
      killQuietly(this.child.pid!, signal);
    }
    await this.waitExit(2_000);
    for (const pid of this.seenWorkers) killQuietly(pid, "SIGKILL");
  }

  private async waitExit(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.exited && Date.now() < deadline) await sleep(20);
    return this.exited;
  }
}


/** A plain HTTP GET with a chosen Host header. */
export function httpGet(port: number, urlPath: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path: urlPath, headers: { Host: host }, agent: false, timeout: 2_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error("HTTP request timed out")));
    request.on("error", reject);
  });
}
