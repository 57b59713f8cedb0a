/**
 * Bundles the worker (services/src/workers/worker-main.ts — the supervisor —, the sandbox process it
 * starts, worker-process.ts, and its sandbox thread) into one folder of
 * plain JavaScript, so a worker process runs under Node's permission model reading that folder only
 * (tsx itself needs to read the whole tree, which the permission model refuses). The image runs
 * tsc's output of the same folder instead (services/dist/src/workers).
 *
 *   tsx scripts/build-worker.ts <outDir>     → <outDir>/worker-main.js, worker-process.js, sandbox-thread.js
 */
import path from "node:path";
import { build } from "esbuild";

const ROOT = path.resolve(__dirname, "..");

export async function buildWorkerBundle(outDir: string): Promise<string> {
  await build({
    entryPoints: {
      "worker-main": path.join(ROOT, "services/src/workers/worker-main.ts"),
      "worker-process": path.join(ROOT, "services/src/workers/worker-process.ts"),
      "sandbox-thread": path.join(ROOT, "services/src/workers/sandbox/sandbox-thread.ts"),
    },
    outdir: outDir,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "silent",
  });
  return path.join(outDir, "worker-main.js");
}

if (require.main === module) {
  const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, "services/dist/worker"));
  buildWorkerBundle(outDir).then(
    (entry) => console.log(`worker bundle: ${entry}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
