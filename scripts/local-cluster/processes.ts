/**
 * A child process of the local cluster: started with its environment, its JSON event lines parsed
 * (`ready`, `stats`, `stopped`), everything else it prints forwarded with its name in front, and
 * stopped for sure: SIGTERM, then SIGKILL after a grace period. Every child is killed if this
 * process exits first, so nothing outlives `npm start` or a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface EventLine {
  readonly event: string;
  readonly [key: string]: unknown;
}

export interface ChildOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Where lines that are not JSON events go (default: our stderr, prefixed with the name); null drops them. */
  readonly log?: ((line: string) => void) | null | undefined;
  readonly uid?: number;
  readonly gid?: number;
}

export class ManagedProcess {
  /** The latest event lines (the oldest are dropped past 1,000). */
  readonly events: EventLine[] = [];
  /** Event lines printed so far, including dropped ones: "a new stats line since" checks compare it. */
  eventCount = 0;
  private readonly output: string[] = [];
  private waiters: Array<{ match: (line: EventLine) => boolean; resolve: (line: EventLine) => void }> = [];
  private exitValue: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    log: ((line: string) => void) | null | undefined,
  ) {
    running.add(child);
    const forward = log === null ? () => undefined : (log ?? ((line: string) => process.stderr.write(`[${name}] ${line}\n`)));
    const keep = (line: string) => {
      this.output.push(line);
      if (this.output.length > 200) this.output.shift();
    };
    createInterface({ input: child.stdout! }).on("line", (text) => {
      const line = parseEvent(text);
      if (line === undefined) {
        keep(text);
        forward(text);
        return;
      }
      this.events.push(line);
      this.eventCount++;
      if (this.events.length > 1000) this.events.splice(0, 500);
      this.waiters = this.waiters.filter((waiter) => (waiter.match(line) ? (waiter.resolve(line), false) : true));
    });
    createInterface({ input: child.stderr! }).on("line", (text) => {
      keep(text);
      forward(text);
    });
    this.exitPromise = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        running.delete(child);
        this.exitValue = { code, signal };
        resolve(this.exitValue);
      }),
    );
  }

  static start(options: ChildOptions): ManagedProcess {
    const child = spawn(options.command, [...options.args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    return new ManagedProcess(options.name, child, options.log);
  }

  /** A TypeScript entry point of this repository, run by Node through tsx. */
  static node(name: string, script: string, env: Readonly<Record<string, string>>, cwd: string, log?: ((line: string) => void) | null): ManagedProcess {
    return ManagedProcess.start({ name, command: process.execPath, args: ["--import", "tsx", script], env, cwd, log });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.exitValue !== undefined;
  }

  get exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }

  /** The last lines it printed that were not events (for error messages). */
  get recentOutput(): string {
    return this.output.slice(-20).join("\n");
  }

  /** The first event line (printed already or later) named `event`; rejects if the process exits or the time runs out. */
  waitFor(event: string, timeoutMs = 20_000, match: (line: EventLine) => boolean = () => true): Promise<EventLine> {
    const predicate = (line: EventLine) => line.event === event && match(line);
    const seen = this.events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} ${why} before printing "${event}"${this.recentOutput ? `:\n${this.recentOutput}` : ""}`));
      };
      const timer = setTimeout(() => fail(`did not get there within ${timeoutMs} ms`), timeoutMs);
      void this.exitPromise.then((exit) => fail(`exited (code ${exit.code}, signal ${exit.signal})`));
      this.waiters.push({
        match: predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /**
   * `signal` (SIGTERM: a server drains first; SIGINT: it stops at once), then SIGKILL after
   * `graceMs`; resolves once it has exited.
   */
  async stop(graceMs = 5_000, signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitValue !== undefined) return this.exitValue;
    this.child.kill("SIGCONT");
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const exit = await this.exitPromise;
    clearTimeout(timer);
    return exit;
  }

  async kill(): Promise<void> {
    if (this.exitValue !== undefined) return;
    this.child.kill("SIGCONT");
    this.child.kill("SIGKILL");
    await this.exitPromise;
  }
}

/** A live (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

export function killQuietly(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function parseEvent(text: string): EventLine | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && typeof (value as EventLine).event === "string" ? (value as EventLine) : undefined;
  } catch {
    return undefined;
  }
}
