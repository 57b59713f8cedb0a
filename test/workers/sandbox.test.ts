/**
 * The sandbox of one bot (in this process: the host side and its heap-capped thread): each way of
 * misbehaving ends with the bot stopped and a reason that names it, within a bounded time; a bot's
 * error or a deadline miss is a no-op turn; player code sees no host object.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { sandboxLimits } from "../../services/src/workers/sandbox/limits";
import { Sandbox, type TurnResult } from "../../services/src/workers/sandbox/sandbox";

const limits = sandboxLimits({ turnDeadlineMs: 50, memoryMb: 32 });

/** Plays `turns` turns; `state` and `reason` are the sandbox's before the test stops it. */
async function play(code: string, turns = 4, threadFile?: string, limitsOfTheTest = limits): Promise<{ state: string; reason: string | undefined; results: TurnResult[]; ms: number }> {
  const sandbox = new Sandbox(code, limitsOfTheTest, threadFile);
  const started = performance.now();
  await sandbox.start();
  const results: TurnResult[] = [];
  for (let i = 0; i < turns; i++) results.push(await sandbox.turn(JSON.stringify({ tick: i, me: { x: 1, y: 2 } })));
  const ms = performance.now() - started;
  const { state, reason } = sandbox;
  sandbox.stop("test over");
  return { state, reason, results, ms };
}

describe("worker sandbox", function () {
  this.timeout(20_000);

  it("runs turn(view) with state kept between turns and returns the action", async function () {
    const { results } = await play("let n = 0; function turn(view) { n++; return { move: 'up', n, x: view.me.x }; }");
    assert.deepEqual(results.map((r) => (r.status === "ok" ? r.action : r.status)), [1, 2, 3, 4].map((n) => ({ move: "up", n, x: 1 })));
  });

  // [what, code, reason, turns that are deadline misses (no-ops) before the stop]. A stop for the CPU deadline
  // always follows two misses, whatever the case; a stop for memory may come at any turn.
  const stopped: Array<[string, string, RegExp, number]> = [
    ["an endless loop (after the consecutive deadline misses)", "function turn() { while (true) {} }", /^CPU deadline exceeded: the bot ran past its 50 ms turn deadline 3 turns in a row/, 2],
    // Each step of the chain allocates a promise: it ends on its deadlines or its heap, whichever the GC reaches first.
    ["an endless chain of promises (microtasks count)", "function turn() { Promise.resolve().then(function again() { return Promise.resolve().then(again); }); return {}; }", /^(CPU deadline exceeded|memory limit exceeded)/, 0],
    ["allocation without bound, a little more every turn", "const hoard = []; function turn(v) { hoard.push(new Array(2000000).fill(v.tick)); return { move: 'up' }; }", /^memory limit exceeded: the bot (allocated more than|holds \d+ MB of|held \d+ MB of) its 32 MB heap/, 0],
    // An endless loop that allocates: on a loaded machine its 50 ms (wall clock) may not reach the heap limit before its third miss.
    ["unbounded allocation in one turn", "const hoard = []; function turn(v) { for (;;) hoard.push(new Array(100000).fill(v.tick)); }", /^(memory limit exceeded: the bot (allocated more than|holds \d+ MB of|held \d+ MB of) its 32 MB heap|CPU deadline exceeded)/, 0],
    ["require('fs')", "function turn() { return require('fs').readFileSync('/etc/passwd', 'utf8'); }", /^sandbox violation: require\("fs"\)/, 0],
    ["require caught and ignored", "function turn() { try { require('child_process'); } catch (e) {} return { move: 'up' }; }", /^sandbox violation: require\("child_process"\)/, 0],
    ["fetch", "function turn() { fetch('http://127.0.0.1:1/'); return {}; }", /^sandbox violation: fetch/, 0],
    ["process", "function turn() { return process.env; }", /^sandbox violation: process/, 0],
    ["import()", "function turn() { import('node:fs'); return {}; }", /^sandbox violation: import\(\)/, 0],
    // The attacker's line: the rejection's constructor chain would be the thread's real global, and exit(7) would end the thread ("the sandbox exited").
    ["import with a comment before its parenthesis, then the rejection's constructor", "function turn() { import /* */ ('node:fs').catch((e) => { try { e.constructor.constructor('return this')().process.exit(7); } catch (x) {} }); return {}; }", /^sandbox violation: import\(\)/, 0],
    ["import with a newline before its parenthesis, at the top level", "import\n('node:fs').catch((e) => { try { e.constructor.constructor('return this')().process.exit(7); } catch (x) {} }); function turn() { return {}; }", /^sandbox violation: import\(\)/, 0],
    ["the constructor escape (Function from a host object)", "function turn() { return this.constructor.constructor('return process')().pid; }", /^sandbox violation: code generation from strings/, 0],
    // V8's interrupt at 1000 ms, or on a loaded machine the host's watchdog at 1000 + 1000 ms.
    ["an endless loop at the top level", "while (true) {}", /^its code did not finish loading within (1000|2000) ms/, 0],
  ];
  for (const [what, code, reason, turnsBeforeStop] of stopped) {
    it(`stops a bot for ${what}, with the reason`, async function () {
      const { state, reason: why, results, ms } = await play(code, 5);
      assert.equal(state, "stopped");
      assert.match(why!, reason);
      assert.equal(results.at(-1)!.status, "stopped");
      const misses = /^CPU deadline exceeded/.test(why!) ? Math.max(turnsBeforeStop, 2) : turnsBeforeStop;
      assert.ok(results.slice(0, misses).every((r) => r.status === "deadline"), JSON.stringify(results));
      // Measured 1.1–4.5 s per bot (5 turns, start and stop included) at load average 20–40 on 2 cores; the watchdog's grace is 1 s.
      assert.ok(ms < 8_000, `bounded: ${ms} ms`);
    });
  }

  it("a throwing bot or a slow turn is a no-op turn, not a stop; the next turns run", async function () {
    const { state, reason, results } = await play("let n = 0; function turn() { n++; if (n === 1) throw new Error('boom'); if (n === 2) { const end = Date.now() + 80; while (Date.now() < end) {} } return { n }; }");
    assert.deepEqual(results.map((r) => r.status), ["error", "deadline", "ok", "ok"]);
    assert.match((results[0] as { reason: string }).reason, /the bot threw: boom/);
    assert.deepEqual([state, reason], ["running", undefined]);
  });

  it("player code cannot poison the intrinsics the harness uses, and has no typed arrays or WebAssembly", async function () {
    const { results } = await play("try { JSON.stringify = () => 'x'; } catch (e) {} try { Object.prototype.violation = 'x'; } catch (e) {} function turn() { return [typeof ArrayBuffer, typeof WebAssembly, typeof SharedArrayBuffer, Object.isFrozen(JSON)]; }", 1);
    assert.deepEqual(results[0], { status: "ok", action: ["undefined", "undefined", "undefined", true], ms: (results[0] as { ms: number }).ms });
  });

  it("every error player code can get its hands on is of its own realm (its Function compiles nothing)", async function () {
    const code = `function turn() {
      const errors = [];
      const grab = (f) => { try { f(); } catch (e) { errors.push(e); } };
      grab(() => JSON.parse("{"));
      grab(function deep() { deep(); });
      grab(() => null.x);
      grab(() => new Array(-1));
      grab(() => Symbol() + "");
      grab(() => { throw new (class extends Error {})(); });
      grab(() => [].constructor.constructor('return import("node:fs")')());
      return errors.map((e) => e instanceof Error && e.constructor.constructor === Function && e.name);
    }`;
    // A stack overflow takes a while on a loaded machine: this test is about realms, not deadlines.
    const { results } = await play(code, 1, undefined, sandboxLimits({ turnDeadlineMs: 5_000, memoryMb: 32 }));
    assert.deepEqual(results[0].status === "ok" ? results[0].action : results[0], ["SyntaxError", "RangeError", "TypeError", "RangeError", "TypeError", "Error", "EvalError"]);
  });

  it("a setter on every global the host could write reaches no host function (the view is an argument; host code is strict)", async function () {
    const code = `let calls = 0;
      const escape = function () {
        calls++;
        try {
          for (let f = arguments.callee.caller; f; f = f.caller) { try { f.constructor("return process")().exit(7); } catch (e) {} }
        } catch (strictCaller) {}
      };
      for (const name of ["__pomonaInput", "__pomonaOutput", "view", "input", "result", "__probe"]) Object.defineProperty(globalThis, name, { set: escape, get: escape, configurable: false });
      function turn(view) { return { calls, tick: view.tick, move: { toJSON() { escape(); return "up"; } } }; }`;
    // About callers, not deadlines: a cold first turn on a loaded machine took 99 ms against 50.
    const { state, results } = await play(code, 3, undefined, sandboxLimits({ turnDeadlineMs: 5_000, memoryMb: 32 }));
    assert.equal(state, "running");
    assert.deepEqual(results.map((r) => (r.status === "ok" ? r.action : r)), [0, 1, 2].map((tick) => ({ calls: tick, tick, move: "up" })));
  });

  it("a proxy or getters thrown out of the context run no code in the host (read through descriptors only)", async function () {
    const walk = "(function () { for (let f = arguments.callee.caller; f; f = f.caller) { try { f.constructor('return process')().exit(7); } catch (e) {} } })()";
    const trap = `new Proxy({}, { get() { ${walk}; }, getPrototypeOf() { ${walk}; return null; }, has() { ${walk}; return true; }, getOwnPropertyDescriptor() { ${walk}; } })`;
    for (const thrown of [trap, `{ get code() { ${walk}; return "ERR_SCRIPT_EXECUTION_TIMEOUT"; }, get message() { ${walk}; return "x"; } }`]) {
      const { state, reason } = await play(`throw ${thrown};`, 0);
      assert.deepEqual([state, reason], ["stopped", "its code failed to load: the bot's code threw at its top level"]);
    }
  });

  describe("a thread that left the vm posts forged messages on the parent port (an attacker's thread on the same path)", function () {
    const escaped = path.join(__dirname, "fixtures/escaped-thread.js");
    // Cloning 8 MB across the port takes a while on 2 busy cores: the host's watchdog must not be what stops these.
    const patient = sandboxLimits({ turnDeadlineMs: 50, memoryMb: 32, watchdogGraceMs: 5_000 });
    const cases = ["loaded twice", "an 8 MB violation", "loaded before booted", "a turn result nobody asked for", "an extra field", "an unknown kind", "not an object", "an 8 MB turn output", "a 3000-character violation in the turn output", "a turn output with extra fields", "a turn answered twice"];
    for (const forgery of cases) {
      it(`${forgery}: the bot is stopped with a short reason that names it`, async function () {
        const { state, reason, results } = await play(forgery, 2, escaped, patient);
        assert.equal(state, "stopped");
        assert.match(reason!, /^sandbox violation: its thread sent .+ \(the thread speaks only through the harness; the bot left its vm\)$/);
        assert.ok(reason!.length < 300, `reason of ${reason!.length} characters`);
        assert.ok(results.every((r) => r.status !== "ok") || forgery === "a turn answered twice", JSON.stringify(results));
        assert.equal(results.at(-1)!.status, "stopped");
      });
    }
  });
});
