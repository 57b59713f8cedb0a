"use strict";
/**
 * The host side of one bot's sandbox: a worker thread with a capped heap running the bot in a vm
 * context (sandbox-thread.ts). One turn at a time; a turn never takes longer than the deadline plus
 * a grace period, whatever the bot does. The bot is **stopped**, with a reason that says why, when it
 *   - misses the CPU deadline on `maxConsecutiveDeadlineMisses` turns in a row (an endless loop),
 *   - exceeds its memory limit (V8 terminates the thread at the heap limit; a bot still holding over
 *     85 % of it after a turn is stopped first, since its turns then time out in the GC),
 *   - touches what player code may not (`require`, `process`, `fetch`, `import()` …),
 *   - or does not yield to the deadline at all (the watchdog terminates the thread).
 *   - or its thread says anything it should not (thread-messages.ts): code that left the vm holds the
 *     thread's port, so every message is parsed as hostile — `booted` then `loaded` once each, then
 *     only the reply to the turn in flight.
 * A stopped bot's turns answer at once with its reason; a deadline miss or a bot error is a no-op turn.
 */
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { SandboxLimits } from "./limits";
import type { ThreadData } from "./sandbox-thread";
import { parseThreadReply, parseTurnOutput, type ThreadReply } from "./thread-messages";

export type TurnResult =
  | { readonly status: "ok"; readonly action: unknown; readonly ms: number }
  | { readonly status: "error" | "deadline" | "busy" | "stopped"; readonly reason: string; readonly ms: number };

export type SandboxState = "starting" | "running" | "stopped";

/** Share of the heap limit in use after a turn at which the bot is stopped for memory. */
const MEMORY_STOP_FRACTION = 0.85;
/** A bot that misses its deadlines after holding this share of its heap is stopped for memory, not CPU. */
const GC_BOUND_FRACTION = 0.6;
/** Start-up of the thread itself (Node, the context, frozen intrinsics), before the bot's own load budget starts. */
const BOOT_TIMEOUT_MS = 30_000;
/** How long a thread that ignored its deadline may take to end before the bot's reason is written (its GC may end in an out-of-memory). */
const TERMINATE_WAIT_MS = 15_000;

const THREAD_FILE = path.join(__dirname, `sandbox-thread${path.extname(__filename)}`);
/**
 * Node 20 honours the vm's import callback only with this flag (without it the thread refuses to run
 * the bot). The thread keeps every flag of its process otherwise: a Worker given an `execArgv` without
 * `--experimental-permission` runs outside the permission model.
 */
const VM_MODULES = "--experimental-vm-modules";
const THREAD_EXEC_ARGV = process.execArgv.includes(VM_MODULES) ? undefined : [...process.execArgv, VM_MODULES];

export class Sandbox {
  state: SandboxState = "starting";
  reason: string | undefined;
  readonly counters = { turns: 0, ok: 0, errors: 0, deadlineMisses: 0, busy: 0 };
  private thread: Worker | undefined;
  private consecutiveMisses = 0;
  /** Largest heap in use seen after a turn: tells a bot stuck in the GC near its limit from an endless loop. */
  private peakHeapMb = 0;
  /** Heap after the last turn and how much it grew in that turn: a turn that never comes back from a heap growing past the limit is memory. */
  private lastHeapMb = 0;
  private heapGrowthMb = 0;
  private nextId = 1;
  /** Set once the watchdog terminates the thread: the reason waits for how the thread ends. */
  private ending: Promise<void> | undefined;
  private pending: { id: number; resolve: (reply: ThreadReply | undefined) => void; timer: NodeJS.Timeout } | undefined;

  /** `threadFile`: the thread's module (tests put an attacker's thread there to speak through the same port). */
  constructor(
    private readonly code: string,
    private readonly limits: SandboxLimits,
    private readonly threadFile: string = THREAD_FILE,
  ) {}

  /** Loads the bot; resolves once it is running or stopped (its top level refused, too slow, or broken). */
  start(): Promise<void> {
    const data: ThreadData = { code: this.code, turnDeadlineMs: this.limits.turnDeadlineMs, loadDeadlineMs: this.limits.loadDeadlineMs, maxActionBytes: this.limits.maxActionBytes };
    // From TypeScript sources (tests, tsx) the thread loads through tsx's require hook; built, it is plain JS.
    const fromSource = this.threadFile.endsWith(".ts");
    const thread = new Worker(fromSource ? `require("tsx/cjs"); require(${JSON.stringify(this.threadFile)});` : this.threadFile, {
      eval: fromSource,
      ...(THREAD_EXEC_ARGV === undefined ? {} : { execArgv: THREAD_EXEC_ARGV }),
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: Math.max(1, Math.floor(this.limits.memoryMb / 8)), stackSizeMb: 1 },
      stdout: true,
      stderr: true,
      env: {},
    });
    this.thread = thread;
    return new Promise((resolve) => {
      const expire = (reason: string) => () => (this.stop(reason), resolve());
      let loadTimer = setTimeout(expire(`its sandbox did not start within ${BOOT_TIMEOUT_MS} ms`), BOOT_TIMEOUT_MS);
      let booted = false;
      thread.on("message", (message: unknown) => {
        if (this.state === "stopped") return;
        const parsed = parseThreadReply(message, this.limits.maxActionBytes);
        const reply = "reply" in parsed ? parsed.reply : undefined;
        if (reply?.kind === "booted" && !booted && this.state === "starting") {
          booted = true;
          clearTimeout(loadTimer);
          const budget = this.limits.loadDeadlineMs + this.limits.watchdogGraceMs;
          loadTimer = setTimeout(() => void this.terminate(`its code did not finish loading within ${budget} ms`).then(resolve), budget);
        } else if (reply?.kind === "loaded" && booted && this.state === "starting") {
          clearTimeout(loadTimer);
          if (reply.violation !== null) this.stop(violationReason(reply.violation));
          else if (reply.timedOut) this.stop(`its code did not finish loading within ${this.limits.loadDeadlineMs} ms (an endless loop at the top level?)`);
          else if (reply.error !== undefined) this.stop(`its code failed to load: ${reply.error}`);
          else this.state = "running";
          resolve();
        } else if (reply?.kind === "turn" && this.pending !== undefined && this.pending.id === reply.id) {
          const pending = this.pending;
          this.pending = undefined;
          clearTimeout(pending.timer);
          pending.resolve(reply);
        } else {
          clearTimeout(loadTimer);
          this.stop(`sandbox violation: its thread sent ${"refused" in parsed ? parsed.refused : `a ${reply!.kind} message out of turn`} (the thread speaks only through the harness; the bot left its vm)`);
          resolve();
        }
      });
      thread.on("error", (error: Error & { code?: string }) => {
        clearTimeout(loadTimer);
        this.stop(
          error.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? `memory limit exceeded: the bot allocated more than its ${this.limits.memoryMb} MB heap`
            : `the sandbox failed: ${error.message.slice(0, 200)}`,
        );
        resolve();
      });
      thread.on("exit", () => {
        clearTimeout(loadTimer);
        if (this.state !== "stopped" && this.ending === undefined) this.stop("the sandbox exited");
        resolve();
      });
    });
  }

  /** Runs one turn; `view` is the JSON text of what the bot sees. */
  async turn(view: string): Promise<TurnResult> {
    const startedMs = performance.now();
    const elapsed = () => Math.round((performance.now() - startedMs) * 100) / 100;
    this.counters.turns++;
    if (this.state !== "running" || this.thread === undefined) return { status: "stopped", reason: this.reason ?? "the bot is still loading", ms: 0 };
    if (this.pending !== undefined || this.ending !== undefined) {
      this.counters.busy++;
      return { status: "busy", reason: "the previous turn is still running", ms: 0 };
    }
    if (Buffer.byteLength(view) > this.limits.maxViewBytes) return { status: "error", reason: `the view is over ${this.limits.maxViewBytes} bytes`, ms: 0 };
    const id = this.nextId++;
    const thread = this.thread;
    const reply = await new Promise<ThreadReply | undefined>((resolve) => {
      // V8 interrupts the bot at the deadline; this fires only if the thread does not come back at all.
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve(undefined);
      }, this.limits.turnDeadlineMs + this.limits.watchdogGraceMs);
      this.pending = { id, resolve, timer };
      thread.postMessage({ id, view });
    });
    if ((this.state as SandboxState) === "stopped") return { status: "stopped", reason: this.reason ?? "stopped", ms: elapsed() };
    if (reply === undefined || reply.kind !== "turn") {
      const projectedMb = this.lastHeapMb + this.heapGrowthMb;
      await this.terminate(
        this.peakHeapMb >= GC_BOUND_FRACTION * this.limits.memoryMb || projectedMb >= MEMORY_STOP_FRACTION * this.limits.memoryMb
          ? `memory limit exceeded: the bot held ${Math.round(this.lastHeapMb)} MB of its ${this.limits.memoryMb} MB heap, growing ${Math.round(this.heapGrowthMb)} MB a turn, and its turn did not come back from the garbage collector; its sandbox was terminated`
          : `the bot did not yield to its ${this.limits.turnDeadlineMs} ms deadline; its sandbox was terminated`,
      );
      return { status: "stopped", reason: this.reason!, ms: elapsed() };
    }
    this.peakHeapMb = Math.max(this.peakHeapMb, reply.heapMb);
    this.heapGrowthMb = Math.max(0, reply.heapMb - this.lastHeapMb);
    this.lastHeapMb = reply.heapMb;
    if (reply.heapMb >= MEMORY_STOP_FRACTION * this.limits.memoryMb) {
      this.stop(`memory limit exceeded: the bot holds ${Math.round(reply.heapMb)} MB of its ${this.limits.memoryMb} MB heap`);
      return { status: "stopped", reason: this.reason!, ms: elapsed() };
    }
    if (reply.timedOut) {
      this.counters.deadlineMisses++;
      if (++this.consecutiveMisses >= this.limits.maxConsecutiveDeadlineMisses) {
        if (this.peakHeapMb >= GC_BOUND_FRACTION * this.limits.memoryMb) {
          this.stop(`memory limit exceeded: the bot held ${Math.round(this.peakHeapMb)} MB of its ${this.limits.memoryMb} MB heap and its turns ran out of time in the garbage collector`);
          return { status: "stopped", reason: this.reason!, ms: elapsed() };
        }
        this.stop(`CPU deadline exceeded: the bot ran past its ${this.limits.turnDeadlineMs} ms turn deadline ${this.consecutiveMisses} turns in a row (an endless loop?)`);
        return { status: "stopped", reason: this.reason!, ms: elapsed() };
      }
      return { status: "deadline", reason: `the turn ran past its ${this.limits.turnDeadlineMs} ms deadline: no action this turn`, ms: elapsed() };
    }
    this.consecutiveMisses = 0;
    if (reply.output === undefined) {
      this.counters.errors++;
      return { status: "error", reason: reply.error ?? "no output", ms: elapsed() };
    }
    const parsed = parseTurnOutput(reply.output);
    if ("refused" in parsed) {
      this.stop(`sandbox violation: its thread sent ${parsed.refused} (the thread speaks only through the harness; the bot left its vm)`);
      return { status: "stopped", reason: this.reason!, ms: elapsed() };
    }
    const result = parsed.output;
    if (result.violation !== null) {
      this.stop(violationReason(result.violation));
      return { status: "stopped", reason: this.reason!, ms: elapsed() };
    }
    if (result.error !== undefined) {
      this.counters.errors++;
      return { status: "error", reason: `the bot threw: ${result.error}`, ms: elapsed() };
    }
    this.counters.ok++;
    return { status: "ok", action: result.action ?? null, ms: elapsed() };
  }

  /**
   * The watchdog's end. A thread that ignores V8's interrupt is most often inside a garbage collection
   * that ends in an out-of-memory: the thread's error says so, or V8 aborts the whole process and the
   * supervisor (worker-main.ts) says so. `reason` stands only if the thread ends otherwise.
   */
  private terminate(reason: string): Promise<void> {
    this.ending ??= Promise.race([this.thread!.terminate(), new Promise((resolve) => setTimeout(resolve, TERMINATE_WAIT_MS).unref())]).then(() => this.stop(reason));
    return this.ending;
  }

  /** Stops the bot for good (idempotent; the first reason stays). */
  stop(reason: string): void {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.reason = reason;
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      pending.resolve(undefined);
    }
    void this.thread?.terminate();
  }
}

const violationReason = (violation: string) => `sandbox violation: ${violation} (no filesystem, network, modules or host objects for player code)`;
