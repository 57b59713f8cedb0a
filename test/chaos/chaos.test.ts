/**
 * Every case of `npm run chaos` (scripts/chaos/cases.ts) in its quick form — the long faults
 * shortened, 30 players — each on a fresh local cluster, with the same checks the suite enforces:
 * the invariants (no hung session, no unexpected exit, no acknowledged move lost, each player held
 * by one server) and the case's own promises. Then a self-test that the loss check can fail.
 */
import assert from "node:assert/strict";
import { BackendMethod } from "../../services/src/cluster/contract";
import { RpcClient } from "../../services/src/rpc";
import { chaosCases } from "../../scripts/chaos/cases";
import { blankResult, runCase, sleep, type CaseResult, type ChaosCase } from "../../scripts/chaos/harness";
import { markdownTable, passed, totals } from "../../scripts/chaos/report";

const PLAYERS = 30;

function report(result: CaseResult): string {
  return `${result.name}: detect server ${result.detectServerS ?? "–"} s, client ${result.detectClientS ?? "–"} s, recover ${result.recoverS ?? "–"} s, ${JSON.stringify(result.outcomes)}, ${JSON.stringify(result.figures)}`;
}

describe("fault suite (every case of npm run chaos, quick form)", function () {
  this.timeout(120_000);

  for (const chaosCase of chaosCases(true)) {
    it(`${chaosCase.name}: ${chaosCase.promise}`, async () => {
      const result = await runCase(chaosCase, { players: PLAYERS });
      console.log(`      ${report(result)}`);
      assert.deepEqual(
        result.failedChecks.map((check) => `${check.name}: ${check.detail}`),
        [],
        result.notes.join("\n"),
      );
    });
  }
});

describe("fault suite loss check", function () {
  this.timeout(120_000);

  it("counts acknowledged moves lost when a living server forgets players no rebind announced", async () => {
    // The server loses records by the protocol itself: a "connector" tells arena-1 that sessions closed.
    const forget: ChaosCase = {
      name: "self-test-forget",
      fault: "arena-1 told that 5 of its players' sessions closed",
      promise: "the loss check sees them",
      async run(ctx) {
        const victims = ctx.players.filter((player) => player.server === "arena-1").slice(0, 5);
        const sessions = await Promise.all(victims.map((player) => player.client.request<{ sessionId: string }>("connector.session.ping")));
        const arena1 = ctx.cluster.plan.processes.find((p) => p.name === "arena-1")!;
        const rpc = new RpcClient({ serverId: "self-test" });
        const peer = { id: "arena-1", host: "127.0.0.1", port: arena1.port };
        try {
          await rpc.call(peer, "remote.arena.room.count", {});
          ctx.injected();
          for (const { sessionId } of sessions) rpc.notify(peer, BackendMethod.sessionClosed, { sessionId, uid: null, reason: "self-test" });
          // Same link, in order: once this answers, the sessions are gone.
          await rpc.call(peer, "remote.arena.room.count", {});
        } finally {
          rpc.close();
        }
        await sleep(1_000);
        return { figures: { forgotten: sessions.length } };
      },
      promises: () => [],
    };
    const result = await runCase(forget, { players: 20 });
    console.log(`      ${report(result)}; lost ${result.ackedLost}`);
    assert.equal(result.ackedLost, 5, result.notes.join("\n"));
    assert.ok(result.failedChecks.some((check) => check.name === "no acknowledged move lost"));
    assert.equal(result.outcomes.rejoined, 5, "the forgotten players had to join again");
  });
});

describe("fault suite report", () => {
  const result = (over: Partial<CaseResult>): CaseResult => ({
    ...blankResult({ name: "x", fault: "f" }),
    players: 10,
    outcomes: { continued: 10, rebound: 0, resumed: 0, reconnected: 0, rejoined: 0, ended: 0, hung: 0 },
    durationS: 1,
    ...over,
  });
  const failed = { name: "exact set", ok: false, detail: "expected 3, got 2" };

  it("totals failed checks, hung sessions, unexpected exits and lost moves, and the slowest detection on each side", () => {
    const results = [
      result({ detectServerS: 1.5, detectClientS: 0.2, hung: 1 }),
      result({ detectServerS: 0.2, detectClientS: 3, unexpectedExits: ["arena-1 (code 1, signal null)"], ackedLost: 2, checks: [failed], failedChecks: [failed] }),
      result({}),
    ];
    const summary = totals(results);
    assert.deepEqual(summary, { cases: 3, failed_checks: 1, hung: 1, unexpected_exits: 1, acked_lost: 2, max_detect_server_s: 1.5, max_detect_client_s: 3 });
    assert.equal(passed(summary), false);
    assert.equal(passed(totals([result({})])), true);
    assert.equal(totals([result({})]).max_detect_server_s, null);
  });

  it("fails the run on one failed check alone", () => {
    assert.equal(passed(totals([result({ checks: [failed], failedChecks: [failed] })])), false);
  });

  it("renders one markdown row per case with ended reasons, failed checks and figures", () => {
    const table = markdownTable([result({ name: "slow", outcomes: { continued: 8, rebound: 0, resumed: 0, reconnected: 0, rejoined: 0, ended: 2, hung: 0 }, endedReasons: { backpressure: 2 }, figures: { slowClients: 2 }, checks: [failed], failedChecks: [failed] })]);
    const lines = table.split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[2]!, /^\| slow \| f \| 10 \| 0 \| – \| – \| – \| 8 \| 0 \| 0 \| 0 \| 0 \| 2 \(backpressure ×2\) \| 0 \| 0 \| 0 \| 0 \| 0\/1: FAILED exact set \(expected 3, got 2\) \| slowClients 2 \|$/);
  });
});
