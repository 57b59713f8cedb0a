/**
 * A bot that allocates natively past its limit (issue 11, finding 4), against a real worker (the
 * supervisor and its sandbox process, as the local backend starts them): V8 aborts the sandbox
 * process, the supervisor records `memory limit exceeded` and answers the turns with it; one
 * allocation never takes the sandbox process past its RLIMIT_DATA (192 MB on Node 20) nor, on Node 24, past the pod's memory limit.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildBundle, SupervisedWorker } from "./supervised-worker";
import { sandboxProcessMemoryMb, workerPodMemoryMi } from "../../services/src/workers/isolation";

/** RLIMIT_DATA as the worker sets it for this Node (192 MB on Node 20; 1,280 MB of address space on Node 24). */
const DATA_LIMIT_MB = sandboxProcessMemoryMb(32);
/** What the RSS must stay under: the data limit, or on Node 24 (where it bounds address space) the pod's memory limit. */
const RSS_LIMIT_MB = Math.min(DATA_LIMIT_MB, workerPodMemoryMi(32));

/** Peak resident memory of the processes under `pid` (its sandbox process), MB, sampled until it resolves. */
function watchPeakMb(pid: number): { peakMb: () => number; stop: () => void } {
  let peak = 0;
  const descendants = (root: number): number[] => {
    try {
      const children = readFileSync(`/proc/${root}/task/${root}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      return children.flatMap((child) => [child, ...descendants(child)]);
    } catch {
      return [];
    }
  };
  const timer = setInterval(() => {
    for (const child of descendants(pid)) {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child}/status`, "utf8"));
        if (match !== null) peak = Math.max(peak, Number(match[1]) / 1024);
      } catch {
        // it just ended
      }
    }
  }, 20);
  return { peakMb: () => Math.round(peak), stop: () => clearInterval(timer) };
}

describe("workers: native allocation past the limit stops the bot for memory, the worker keeps answering (real processes)", function () {
  this.timeout(90_000);
  let entry: string;

  before(async function () {
    entry = await buildBundle();
  });

  const bots: Array<[string, string]> = [
    ["one array of 2^27 numbers", "function turn() { new Array(2 ** 27).fill(0); return { move: 'up' }; }"],
    ["a 256 MB string flattened", "function turn() { let s = 'x'.repeat(1 << 20); for (let i = 0; i < 8; i++) s = s + s; return { n: s.indexOf('y') }; }"],
    ["the 2^27 array at the top level", "new Array(2 ** 27).fill(0); function turn() { return { move: 'up' }; }"],
  ];
  it("control: an honest bot under the same limits plays (the limit does not stop every bot at start)", async function () {
    const worker = new SupervisedWorker(entry, "function turn() { return { move: 'up' }; }", { SANDBOX_PROCESS_MEMORY_MB: String(DATA_LIMIT_MB) });
    try {
      await worker.ready;
      const answer = await worker.post("/turn", JSON.stringify({ tick: 1 }));
      assert.equal(answer.body.status, "ok", JSON.stringify(answer.body));
    } finally {
      await worker.stop();
    }
  });

  for (const [what, code] of bots) {
    it(`${what}: stopped with reason memory, within RLIMIT_DATA, the supervisor answers in its place`, async function () {
      const worker = new SupervisedWorker(entry, code, { SANDBOX_PROCESS_MEMORY_MB: String(DATA_LIMIT_MB) });
      const memory = watchPeakMb(worker.process.pid!);
      try {
        await worker.ready;
        const started = performance.now();
        let answer: { status: string; reason?: string } | undefined;
        while (performance.now() - started < 45_000) {
          answer = await worker.post("/turn", JSON.stringify({ tick: 1 })).then((r) => r.body, () => undefined);
          if (answer?.status === "stopped") break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const health = await worker.post("/healthz");
        console.log(`      ${what}: "${answer?.reason}" after ${Math.round(performance.now() - started)} ms; sandbox process peak RSS ${memory.peakMb()} MB`);
        assert.match(answer?.reason ?? "", /^memory limit exceeded: the bot's sandbox process ran out of memory/);
        assert.equal(health.body.sandbox, "stopped");
        assert.equal(health.body.reason, answer?.reason);
        assert.ok(memory.peakMb() <= RSS_LIMIT_MB, `peak ${memory.peakMb()} MB`);
        assert.equal(worker.process.exitCode, null, "the supervisor lives on");
      } finally {
        memory.stop();
        await worker.stop();
      }
    });
  }
});
