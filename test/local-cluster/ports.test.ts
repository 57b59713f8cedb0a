import assert from "node:assert/strict";
import { freePortRanges } from "../../scripts/local-cluster/ports";

describe("local cluster: free port ranges", () => {
  it("gives every name its own free range, none overlapping another (picked one by one, 60 ranges of 100 would overlap about 12 times)", async () => {
    const counts = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`r${i}`, 100]));
    const ranges = await freePortRanges(counts);
    const spans = Object.values(ranges)
      .map((base) => [base, base + 100] as const)
      .sort((a, b) => a[0] - b[0]);
    assert.equal(spans.length, 60);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `ranges overlap: ${spans[i - 1]} and ${spans[i]}`);
  });
});
