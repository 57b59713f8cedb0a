/**
 * The sandbox of one bot (in this process: the host side and its heap-capped thread): each way of
 * misbehaving ends with the bot stopped and a reason that names it, within a bounded time; a bot's
 * error or a deadline miss is a no-op turn; player code sees no host object.
 */
import assert from "node:assert/strict";
import { sandboxLimits } from "../../services/src/workers/sandbox/limits";
import { Sandbox, type TurnResult } from "../../services/src/workers/sandbox/sandbox";

const limits = sandboxLimits({ turnDeadlineMs: 50, memoryMb: 32 });

async function play(code: string, turns = 4): Promise<{ sandbox: Sandbox; results: TurnResult[]; ms: number }> {
  const sandbox = new Sandbox(code, limits);
  const started = performance.now();
  await sandbox.start();
  const results: TurnResult[] = [];
  for (let i = 0; i < turns; i++) results.push(await sandbox.turn(JSON.stringify({ tick: i, me: { x: 1, y: 2 } })));
  const ms = performance.now() - started;
  sandbox.stop("test over");
  return { sandbox, results, ms };
}

describe("worker sandbox", function () {
  this.timeout(20_000);

  it("runs turn(view) with state kept between turns and returns the action", async function () {
    const { results } = await play("let n = 0; function turn(view) { n++; return { move: 'up', n, x: view.me.x }; }");
    assert.deepEqual(results.map((r) => (r.status === "ok" ? r.action : r.status)), [1, 2, 3, 4].map((n) => ({ move: "up", n, x: 1 })));
  });

  // [what, code, reason, turns that are deadline misses (no-ops) before the stop]
  const stopped: Array<[string, string, RegExp, number]> = [
    ["an endless loop (after the consecutive deadline misses)", "function turn() { while (true) {} }", /^CPU deadline exceeded: the bot ran past its 50 ms turn deadline 3 turns in a row/, 2],
    // Each step of the chain allocates a promise: it ends on its deadlines or its heap, whichever the GC reaches first.
    ["an endless chain of promises (microtasks count)", "function turn() { Promise.resolve().then(function again() { return Promise.resolve().then(again); }); return {}; }", /^(CPU deadline exceeded|memory limit exceeded)/, 2],
    ["allocation without bound, a little more every turn", "const hoard = []; function turn(v) { hoard.push(new Array(2000000).fill(v.tick)); return { move: 'up' }; }", /^memory limit exceeded: the bot (allocated more than|holds \d+ MB of|held \d+ MB of) its 32 MB heap/, 0],
    ["unbounded allocation in one turn", "const hoard = []; function turn(v) { for (;;) hoard.push(new Array(100000).fill(v.tick)); }", /^memory limit exceeded: the bot (allocated more than|holds \d+ MB of|held \d+ MB of) its 32 MB heap/, 0],
    ["require('fs')", "function turn() { return require('fs').readFileSync('/etc/passwd', 'utf8'); }", /^sandbox violation: require\("fs"\)/, 0],
    ["require caught and ignored", "function turn() { try { require('child_process'); } catch (e) {} return { move: 'up' }; }", /^sandbox violation: require\("child_process"\)/, 0],
    ["fetch", "function turn() { fetch('http://127.0.0.1:1/'); return {}; }", /^sandbox violation: fetch/, 0],
    ["process", "function turn() { return process.env; }", /^sandbox violation: process/, 0],
    ["import()", "function turn() { import('node:fs'); return {}; }", /^sandbox violation: import\(\)/, 0],
    ["the constructor escape (Function from a host object)", "function turn() { return this.constructor.constructor('return process')().pid; }", /^sandbox violation: code generation from strings/, 0],
    ["an endless loop at the top level", "while (true) {}", /^its code did not finish loading within 1000 ms/, 0],
  ];
  for (const [what, code, reason, turnsBeforeStop] of stopped) {
    it(`stops a bot for ${what}, with the reason`, async function () {
      const { sandbox, results, ms } = await play(code, 5);
      assert.equal(sandbox.state, "stopped");
      assert.match(sandbox.reason!, reason);
      assert.equal(results.at(-1)!.status, "stopped");
      assert.ok(results.slice(0, turnsBeforeStop).every((r) => r.status === "deadline"), JSON.stringify(results));
      assert.ok(ms < 4_000, `bounded: ${ms} ms`);
    });
  }

  it("a throwing bot or a slow turn is a no-op turn, not a stop; the next turns run", async function () {
    const { sandbox, results } = await play("let n = 0; function turn() { n++; if (n === 1) throw new Error('boom'); if (n === 2) { const end = Date.now() + 80; while (Date.now() < end) {} } return { n }; }");
    assert.deepEqual(results.map((r) => r.status), ["error", "deadline", "ok", "ok"]);
    assert.match((results[0] as { reason: string }).reason, /the bot threw: boom/);
    assert.equal(sandbox.reason, "test over");
  });

  it("player code cannot poison the intrinsics the harness uses, and has no typed arrays or WebAssembly", async function () {
    const { results } = await play("try { JSON.stringify = () => 'x'; } catch (e) {} try { Object.prototype.violation = 'x'; } catch (e) {} function turn() { return [typeof ArrayBuffer, typeof WebAssembly, typeof SharedArrayBuffer, Object.isFrozen(JSON)]; }", 1);
    assert.deepEqual(results[0], { status: "ok", action: ["undefined", "undefined", "undefined", true], ms: (results[0] as { ms: number }).ms });
  });
});
