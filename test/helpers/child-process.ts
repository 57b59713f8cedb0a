/**
 * Runs a TypeScript fixture as a real separate process (so it can be SIGKILLed or SIGSTOPped)
 * and reads the JSON lines it prints. Every child is killed when the test run ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface FixtureLine {
  event: string;
  [key: string]: unknown;
}

export class FixtureProcess {
  readonly lines: FixtureLine[] = [];
  private waiters: Array<{ match: (line: FixtureLine) => boolean; resolve: (line: FixtureLine) => void }> = [];
  private exitCode: number | null | undefined;
  private stderr = "";

  private constructor(readonly child: ChildProcess) {
    running.add(child);
    child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: child.stdout! }).on("line", (text) => {
      let line: FixtureLine;
      try {
        line = JSON.parse(text) as FixtureLine;
      } catch {
        return;
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((waiter) => (waiter.match(line) ? (waiter.resolve(line), false) : true));
    });
    child.once("exit", (code) => {
      this.exitCode = code;
      running.delete(child);
    });
  }

  static start(script: string, env: Record<string, string>): FixtureProcess {
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new FixtureProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first line (already printed or future) whose `event` matches. */
  waitFor(event: string, timeoutMs = 10_000, match: (line: FixtureLine) => boolean = () => true): Promise<FixtureLine> {
    const predicate = (line: FixtureLine) => line.event === event && match(line);
    const seen = this.lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fixture did not print "${event}" within ${timeoutMs} ms (exit=${this.exitCode}) stderr:\n${this.stderr}`)),
        timeoutMs,
      );
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
    this.child.kill(signal);
  }

  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGCONT");
    this.child.kill("SIGKILL");
    await exited;
  }
}
