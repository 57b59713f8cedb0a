/**
 * A server process the local backend started: its JSON event lines parsed (`ready` carries its
 * ports), its last output kept for error messages, stopped for sure (signal, then SIGKILL), and
 * killed if the game-creator exits first — by the kernel (`setpriv --pdeathsig`) where util-linux
 * is there, so a SIGKILLed creator leaves no game server or worker behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";

const SETPRIV = "/usr/bin/setpriv";
const dieWithParent = existsSync(SETPRIV) ? [SETPRIV, "--pdeathsig", "KILL", "--"] : [];
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment: nothing of the game-creator's own leaks in unless listed. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export class ChildServer {
  ready: Record<string, unknown> | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly recent: string[] = [];
  private readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private settle!: () => void;
  /** Resolves once it printed `ready` or exited: its start-up is over either way. */
  readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(readonly spec: ChildSpec) {
    const [command, ...args] = [...dieWithParent, spec.command, ...spec.args];
    this.child = spawn(command, args, { cwd: spec.cwd, env: { ...spec.env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(this.child);
    const keep = (line: string) => {
      this.recent.push(line.slice(0, 500));
      if (this.recent.length > 10) this.recent.shift();
    };
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      if (this.ready === undefined && line.startsWith('{"event":"ready"')) {
        try {
          this.ready = JSON.parse(line) as Record<string, unknown>;
          this.settle();
          return;
        } catch {
          // not an event after all
        }
      }
      if (!line.startsWith('{"event":')) keep(line);
    });
    createInterface({ input: this.child.stderr! }).on("line", keep);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        children.delete(this.child);
        this.exit = { code, signal };
        this.settle();
        resolve();
      }),
    );
    this.child.once("error", (error) => keep(`spawn failed: ${error.message}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Why it is not running, once it exited. */
  get failure(): string | undefined {
    if (this.exit === undefined) return undefined;
    const last = this.recent.filter((line) => line.trim() !== "").at(-1);
    return `${this.spec.name} exited (code ${this.exit.code}, signal ${this.exit.signal})${last === undefined ? "" : `: ${last}`}`;
  }

  async stop(signal: NodeJS.Signals = "SIGINT", graceMs = 5_000): Promise<void> {
    if (this.exit !== undefined) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
