/**
 * Runs inside the sandbox's worker thread (its own V8 heap, capped by `resourceLimits`): builds the
 * bot's vm context, loads the bot, then answers one turn per message. Only strings cross: the view
 * in, one JSON string out. A turn that runs past its deadline is interrupted by V8 (`timeout`),
 * microtasks included (`microtaskMode: "afterEvaluate"`).
 */
import { parentPort, workerData } from "node:worker_threads";
import v8 from "node:v8";
import vm from "node:vm";
import { PRELUDE } from "./prelude";

export interface ThreadData {
  readonly code: string;
  readonly turnDeadlineMs: number;
  readonly loadDeadlineMs: number;
}

export type ThreadRequest = { readonly id: number; readonly view: string };
export type ThreadReply =
  | { readonly kind: "booted" }
  | { readonly kind: "loaded"; readonly violation: string | null; readonly error?: string; readonly timedOut?: boolean }
  | { readonly kind: "turn"; readonly id: number; readonly output?: string; readonly timedOut?: boolean; readonly error?: string; readonly heapMb: number };

/** Heap in use after the turn: a bot hoarding memory spends its turns in the GC near the limit, so its turns time out before V8 gives up. */
const heapMb = () => v8.getHeapStatistics().used_heap_size / (1024 * 1024);

const port = parentPort!;
const { code, turnDeadlineMs, loadDeadlineMs } = workerData as ThreadData;
/** `import()` can only be written literally (code generation from strings is off): refuse it at load. */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

// A bot's rejected promise nobody handles must not take the thread down.
process.on("unhandledRejection", () => undefined);

const sandbox: Record<string, unknown> = Object.create(null);
const context = vm.createContext(sandbox, { name: "bot", codeGeneration: { strings: false, wasm: false }, microtaskMode: "afterEvaluate" });
vm.runInContext(PRELUDE, context, { timeout: 5_000 });
const turnScript = new vm.Script("__pomonaTurn()");
const statusScript = new vm.Script("__pomonaStatus()");

const isTimeout = (error: unknown) => (error as { code?: string } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
const describe = (error: unknown) => (error instanceof Error ? error.message : "the bot threw a non-Error value").slice(0, 300);

function violationSoFar(): string | null {
  try {
    return (JSON.parse(statusScript.runInContext(context, { timeout: 100 }) as string) as { violation: string | null }).violation;
  } catch {
    return null;
  }
}

function load(): ThreadReply {
  if (DYNAMIC_IMPORT.test(code)) return { kind: "loaded", violation: "import()" };
  try {
    new vm.Script(code, { filename: "bot.js" }).runInContext(context, { timeout: loadDeadlineMs });
    return { kind: "loaded", violation: violationSoFar() };
  } catch (error) {
    return { kind: "loaded", violation: violationSoFar(), error: describe(error), timedOut: isTimeout(error) };
  }
}
// The host times the bot's load from here, not the thread's own start-up (slow when many workers start at once).
port.postMessage({ kind: "booted" } satisfies ThreadReply);
port.postMessage(load());

port.on("message", (request: ThreadRequest) => {
  sandbox.__pomonaInput = request.view;
  try {
    const output = turnScript.runInContext(context, { timeout: turnDeadlineMs });
    port.postMessage((typeof output === "string" ? { kind: "turn", id: request.id, output, heapMb: heapMb() } : { kind: "turn", id: request.id, error: "the harness returned no text", heapMb: heapMb() }) satisfies ThreadReply);
  } catch (error) {
    port.postMessage({ kind: "turn", id: request.id, timedOut: isTimeout(error), error: describe(error), heapMb: heapMb() } satisfies ThreadReply);
  }
});
