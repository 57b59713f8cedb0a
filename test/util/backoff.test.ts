import assert from "node:assert/strict";
import { backoffDelayMs } from "../../services/src/util/backoff";

describe("reconnect backoff", () => {
  const policy = { baseMs: 100, maxMs: 1_000, jitter: 0.5 };

  it("doubles from the base up to the cap", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 9, 200].map((attempt) => backoffDelayMs(attempt, policy, () => 0)), [100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it("takes away at most the jitter share, at random", () => {
    assert.deepEqual([1, 2, 3].map((attempt) => backoffDelayMs(attempt, policy, () => 1)), [50, 100, 200]);
    for (let attempt = 1; attempt < 40; attempt++) {
      const delay = backoffDelayMs(attempt, policy);
      assert.ok(delay >= 50 && delay <= 1_000, `attempt ${attempt}: ${delay}`);
    }
  });

  it("never returns less than 1 ms", () => {
    assert.equal(backoffDelayMs(1, { baseMs: 1, maxMs: 1, jitter: 1 }, () => 1), 1);
  });
});
