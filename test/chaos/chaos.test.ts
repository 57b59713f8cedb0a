/**
 * A subset of `npm run chaos` (scripts/chaos/cases.ts), each on a fresh local cluster with 100
 * players: the invariants of every case — no hung session, no unexpected exit, no acknowledged move
 * lost — and each case's own promise.
 */
import assert from "node:assert/strict";
import { caseNamed } from "../../scripts/chaos/cases";
import { runCase, type CaseResult } from "../../scripts/chaos/harness";
import { markdownTable, totals } from "../../scripts/chaos/report";

function invariants(result: CaseResult): void {
  console.log(`      ${result.name}: detect ${result.detectS ?? "–"} s, recover ${result.recoverS ?? "–"} s, ${JSON.stringify(result.outcomes)}, ${JSON.stringify(result.checks)}`);
  assert.equal(result.hung, 0, "no session hung");
  assert.deepEqual(result.unexpectedExits, [], "no process exited unexpectedly");
  assert.equal(result.ackedLost, 0, "no acknowledged move lost by a living server");
}

describe("fault suite (subset of npm run chaos)", function () {
  this.timeout(120_000);

  it("SIGKILL of a game server: detected within 2 s, its players rebound, nobody else touched", async () => {
    const result = await runCase(caseNamed("game-sigkill"));
    invariants(result);
    assert.ok(result.detectS !== null && result.detectS <= 2, `detected in ${result.detectS} s`);
    assert.ok(result.outcomes.rebound > 20, "the killed server's players were rebound");
    assert.equal(result.outcomes.rebound + result.outcomes.continued, result.players);
  });

  it("Redis SIGKILLed for 5 s and restarted empty: no client disconnected, every server registered again", async () => {
    const result = await runCase(caseNamed("redis-kill-5s"));
    invariants(result);
    assert.equal(result.outcomes.continued, result.players, "every player continued");
    assert.equal(result.checks.newLoginAfterRestart, "ok");
    assert.equal(typeof result.checks.reregisteredAfterRestartS, "number");
  });

  it("Redis paused (CLIENT PAUSE) 3 s: nobody is disconnected, rebound or ended", async () => {
    const result = await runCase(caseNamed("redis-pause-3s"));
    invariants(result);
    assert.equal(result.outcomes.continued, result.players);
  });

  it("clients that stop heartbeating are closed 4002 after 2 × heartbeat; the others play on", async () => {
    const result = await runCase(caseNamed("silent-client"));
    invariants(result);
    assert.equal(result.checks.closed4002, 10);
    assert.ok(result.detectS !== null && result.detectS <= 2 * 2 + 1.5, `closed after ${result.detectS} s`);
    assert.equal(result.outcomes.continued, result.players);
  });

  it("the same uid logging in 1,000 times on both connectors: every displaced session kicked exactly once, the last holds", async () => {
    const result = await runCase(caseNamed("duplicate-login-1000"));
    invariants(result);
    assert.deepEqual(result.checks, { logins: 1000, displacedKickedExactlyOnce: 999, lastLoginHolds: "yes" });
  });
});

describe("fault suite report", () => {
  const result = (over: Partial<CaseResult>): CaseResult => ({
    name: "x",
    fault: "f",
    players: 10,
    affected: 0,
    detectS: null,
    recoverS: null,
    outcomes: { continued: 10, rebound: 0, resumed: 0, ended: 0, hung: 0 },
    endedReasons: {},
    hung: 0,
    unexpectedExits: [],
    ackedLost: 0,
    failedRequests: 0,
    checks: {},
    notes: [],
    durationS: 1,
    ...over,
  });

  it("totals hung sessions, unexpected exits and lost moves, and takes the slowest detection", () => {
    const results = [result({ detectS: 1.5, hung: 1 }), result({ detectS: 0.2, unexpectedExits: ["arena-1 (code 1, signal null)"], ackedLost: 2 }), result({})];
    assert.deepEqual(totals(results), { cases: 3, hung: 1, unexpected_exits: 1, acked_lost: 2, max_detect_s: 1.5 });
    assert.deepEqual(totals([result({})]).max_detect_s, null);
  });

  it("renders one markdown row per case with ended reasons and checks", () => {
    const table = markdownTable([result({ name: "slow", outcomes: { continued: 8, rebound: 0, resumed: 0, ended: 2, hung: 0 }, endedReasons: { backpressure: 2 }, checks: { slowClients: 2 } })]);
    const lines = table.split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[2]!, /^\| slow \| f \| 10 \| 0 \| – \| – \| 8 \| 0 \| 0 \| 2 \(backpressure ×2\) \| 0 \| 0 \| 0 \| 0 \| slowClients 2 \|$/);
  });
});
