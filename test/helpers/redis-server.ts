/**
 * A private redis-server for one test suite: free loopback port, its own temp dir,
 * no persistence unless asked. Every suite that needs Redis starts its own and stops it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./ports";

export interface RedisServerOptions {
  /** Require this password (`requirepass`). */
  password?: string;
  /** Keep an append-only file in the temp dir so a restart keeps the data. */
  persistence?: boolean;
  /** Fixed port; a free one is chosen otherwise. */
  port?: number;
  /** How long to wait for "ready" before failing. */
  startTimeoutMs?: number;
}

export class RedisServerMissingError extends Error {
  constructor() {
    super(
      "redis-server is not installed or not on PATH. Install it with: " +
        "`sudo apt-get update && sudo apt-get install -y redis-server` (or run `bash .ci/run`, which installs it).",
    );
    this.name = "RedisServerMissingError";
  }
}

/** Finds an executable on PATH, the way the shell would. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function redisServerBinary(): string {
  const binary = findOnPath("redis-server");
  if (!binary) throw new RedisServerMissingError();
  return binary;
}

export class RedisServer {
  readonly host = "127.0.0.1";
  private child: ChildProcess | undefined;
  private readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "pomona-redis-"));
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    await server.launch();
    return server;
  }

  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : "";
    return `redis://${auth}${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts redis-server again on the same port (after `stop()` or `kill()`). Data is gone unless `persistence`. */
  async launch(): Promise<void> {
    if (this.child) throw new Error(`redis-server already running on port ${this.port}`);
    const args = [
      "--port", String(this.port),
      "--bind", this.host,
      "--dir", this.dir,
      "--save", "",
      "--appendonly", this.options.persistence ? "yes" : "no",
      "--daemonize", "no",
      "--loglevel", "warning",
      "--protected-mode", "no",
    ];
    if (this.options.password) args.push("--requirepass", this.options.password);
    const child = spawn(redisServerBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    this.child = child;
    child.once("exit", () => {
      if (this.child === child) this.child = undefined;
    });
    try {
      await this.waitUntilReady(this.options.startTimeoutMs ?? 5000);
    } catch (error) {
      this.child = undefined;
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${this.port} did not become ready: ${(error as Error).message}\n${output}`);
    }
  }

  /** Graceful stop (SIGTERM) and wait for exit. */
  async stop(): Promise<void> {
    await this.signalAndWait("SIGTERM");
  }

  /** Hard kill, as a crashed pod: no shutdown, no save. */
  async kill(): Promise<void> {
    await this.signalAndWait("SIGKILL");
  }

  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  /** Sends one command over a raw RESP connection (no client library), so tests can poke Redis independently of the code under test. */
  async command(...args: string[]): Promise<string> {
    const full = this.options.password ? [["AUTH", this.options.password], args] : [args];
    const payload = full
      .map((cmd) => `*${cmd.length}\r\n` + cmd.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(""))
      .join("");
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.port, this.host);
      let reply = "";
      socket.setTimeout(2000, () => socket.destroy(new Error("redis command timed out")));
      socket.on("error", reject);
      socket.on("data", (chunk) => {
        reply += chunk.toString();
        const lines = reply.split("\r\n");
        if (lines.length > full.length) {
          socket.end();
          resolve(lines.slice(full.length - 1).join("\r\n").trim());
        }
      });
      socket.write(payload);
    });
  }

  /** Stops the server (if running) and removes its temp dir. */
  async dispose(): Promise<void> {
    if (this.child) {
      this.resume();
      await this.kill();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (signal !== "SIGKILL") child.kill("SIGCONT");
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.child) throw new Error("redis-server exited during start-up");
      try {
        const pong = await this.command("PING");
        if (pong.includes("PONG")) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`timeout after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
