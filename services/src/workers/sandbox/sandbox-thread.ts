"use strict";
/**
 * Runs inside the sandbox's worker thread (its own V8 heap, capped by `resourceLimits`): builds the
 * bot's vm context, loads the bot, then answers one turn per message. Only strings cross: the view
 * in (as a string literal of the turn's script, never a write into the bot's globals), one JSON
 * string out. A turn that runs past its deadline is interrupted by V8 (`timeout`), microtasks
 * included (`microtaskMode: "afterEvaluate"`).
 *
 * Host code here is strict (the directive above survives tsx and esbuild), so a bot function that
 * host code happens to call sees `arguments.callee.caller === null`, never a host function. Host
 * code runs nothing the bot made: a value thrown out of the context is read through its own data
 * descriptors only, never through a getter or a proxy trap.
 */
import "./thread-hardening";
import { parentPort, workerData } from "node:worker_threads";
import { types } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import { PRELUDE } from "./prelude";
import type { ThreadReply } from "./thread-messages";

export interface ThreadData {
  readonly code: string;
  readonly turnDeadlineMs: number;
  readonly loadDeadlineMs: number;
  readonly maxActionBytes: number;
}

export type ThreadRequest = { readonly id: number; readonly view: string };

/** Heap in use after the turn: a bot hoarding memory spends its turns in the GC near the limit, so its turns time out before V8 gives up. */
const heapMb = () => v8.getHeapStatistics().used_heap_size / (1024 * 1024);

const port = parentPort!;
const { code, turnDeadlineMs, loadDeadlineMs, maxActionBytes } = workerData as ThreadData;

// A bot's rejected promise nobody handles must not take the thread down (the reason is never read).
process.on("unhandledRejection", () => undefined);

/** Every `import()` the bot writes is rejected with an error of the bot's own realm (made by the prelude), and recorded. */
let refuseImportInContext: (() => unknown) | undefined;
const refuseImport = (): never => {
  throw refuseImportInContext === undefined ? new Error("import() is not allowed") : refuseImportInContext();
};
const compile = (source: string, filename: string) => new vm.Script(source, { filename, importModuleDynamically: refuseImport as never });

const context = vm.createContext(Object.create(null), {
  name: "bot",
  codeGeneration: { strings: false, wasm: false },
  microtaskMode: "afterEvaluate",
  importModuleDynamically: refuseImport as never,
});
compile(PRELUDE, "prelude.js").runInContext(context, { timeout: 5_000 });
refuseImportInContext = compile("__pomonaRefuseImport", "harness.js").runInContext(context) as () => unknown;
const statusScript = compile("__pomonaStatus()", "harness.js");

/** A string own data property of a thrown value, read without running any of its code (no getter, no proxy trap). */
function ownString(thrown: unknown, field: "code" | "message"): string | undefined {
  if (typeof thrown !== "object" || thrown === null || types.isProxy(thrown)) return undefined;
  const value: unknown = Object.getOwnPropertyDescriptor(thrown, field)?.value;
  return typeof value === "string" ? value.slice(0, 300) : undefined;
}
const isTimeout = (error: unknown) => ownString(error, "code") === "ERR_SCRIPT_EXECUTION_TIMEOUT";

function violationSoFar(): string | null {
  try {
    const status: unknown = JSON.parse(statusScript.runInContext(context, { timeout: 100 }) as string);
    return (status as { violation: string | null }).violation;
  } catch {
    return null;
  }
}

/**
 * Without `--experimental-vm-modules`, Node 20 ignores the import callback and rejects `import()`
 * with an error of the host realm (whose constructor compiles code there): refuse to run the bot.
 */
async function importIsClosed(): Promise<boolean> {
  const probe = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
  const inProbe = (source: string) => new vm.Script(source, { importModuleDynamically: refuseInProbe as never }).runInContext(probe, { timeout: 1_000 }) as unknown;
  const refuseInProbe = (): never => {
    throw inProbe("new Error('refused')");
  };
  inProbe("import('node:fs').then(() => { globalThis.result = 'opened'; }, (e) => { globalThis.result = e instanceof Error ? 'closed' : 'host'; })");
  for (let i = 0; i < 20 && inProbe("globalThis.result") === undefined; i++) await new Promise((resolve) => setImmediate(resolve));
  return inProbe("globalThis.result") === "closed";
}

async function load(): Promise<ThreadReply> {
  if (!(await importIsClosed())) return { kind: "loaded", violation: null, error: "the sandbox cannot close import() in this Node (start it with --experimental-vm-modules); the bot was not run" };
  try {
    compile(code, "bot.js").runInContext(context, { timeout: loadDeadlineMs });
    return { kind: "loaded", violation: violationSoFar() };
  } catch (error) {
    return { kind: "loaded", violation: violationSoFar(), error: ownString(error, "message") ?? "the bot's code threw at its top level", timedOut: isTimeout(error) };
  }
}
// The host times the bot's load from here, not the thread's own start-up (slow when many workers start at once).
port.postMessage({ kind: "booted" } satisfies ThreadReply);
void load().then((reply) => port.postMessage(reply));

port.on("message", (request: ThreadRequest) => {
  try {
    // JSON.stringify of a string is a string literal: the view reaches the bot as an argument, never as code.
    const output = compile(`__pomonaTurn(${JSON.stringify(request.view)}, ${maxActionBytes})`, "turn.js").runInContext(context, { timeout: turnDeadlineMs });
    port.postMessage((typeof output === "string" ? { kind: "turn", id: request.id, output, heapMb: heapMb() } : { kind: "turn", id: request.id, error: "the harness returned no text", heapMb: heapMb() }) satisfies ThreadReply);
  } catch (error) {
    port.postMessage({ kind: "turn", id: request.id, timedOut: isTimeout(error), error: isTimeout(error) ? "timeout" : "the bot's code threw out of its turn", heapMb: heapMb() } satisfies ThreadReply);
  }
});
