"use strict";
/**
 * The first thing the sandbox thread runs (imported before anything else by sandbox-thread.ts).
 * The sandbox process needs `--allow-worker` for this one thread, and in Node 20 a Worker created
 * with an `execArgv` of its own runs *outside* the permission model (measured: it reads /etc/passwd).
 * So nothing after this point — code that left the vm included — can make a thread: `Worker` is
 * replaced, for `require`, `process.getBuiltinModule` and `import()` alike. Reaching Node's internals
 * past this needs `process.binding`, which the permission model refuses.
 */
import { syncBuiltinESMExports } from "node:module";
import workerThreads from "node:worker_threads";

const refused = function Worker(): never {
  throw new Error("the sandbox starts no thread: its one thread is started before player code runs");
};
Object.defineProperty(workerThreads, "Worker", { value: refused, writable: false, configurable: false, enumerable: true });
syncBuiltinESMExports();
