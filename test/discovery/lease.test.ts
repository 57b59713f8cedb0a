import assert from "node:assert/strict";
import { decideLease } from "../../services/src/discovery";

describe("discovery: when a process may keep its identity", () => {
  const ttlMs = 3000;

  it("keeps the lease while refreshes are acknowledged", () => {
    assert.equal(decideLease({ lastAcknowledgedMs: 9000, nowMs: 10_000, timerLateByMs: 2, ttlMs }), "keep");
  });

  it("keeps the lease through a Redis outage: the process kept trying on time", () => {
    assert.equal(decideLease({ lastAcknowledgedMs: 0, nowMs: 10_000, timerLateByMs: 5, ttlMs }), "keep");
  });

  it("keeps the lease after a short freeze that did not outlive the TTL", () => {
    assert.equal(decideLease({ lastAcknowledgedMs: 8000, nowMs: 10_000, timerLateByMs: 1500, ttlMs }), "keep");
  });

  it("gives up the identity after a freeze past the TTL (SIGSTOP, VM suspend)", () => {
    assert.equal(decideLease({ lastAcknowledgedMs: 0, nowMs: 30_000, timerLateByMs: 29_000, ttlMs }), "reincarnate");
  });
});
