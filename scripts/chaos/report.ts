/** The fault suite's table and totals, pure: the markdown rows docs/reliability.md holds and the JSON line `npm run chaos` ends with. */
import type { CaseResult } from "./harness";

export interface ChaosTotals {
  readonly cases: number;
  readonly hung: number;
  readonly unexpected_exits: number;
  readonly acked_lost: number;
  readonly max_detect_s: number | null;
}

export function totals(results: readonly CaseResult[]): ChaosTotals {
  const detects = results.map((result) => result.detectS).filter((value): value is number => value !== null);
  return {
    cases: results.length,
    hung: results.reduce((sum, result) => sum + result.hung, 0),
    unexpected_exits: results.reduce((sum, result) => sum + result.unexpectedExits.length, 0),
    acked_lost: results.reduce((sum, result) => sum + result.ackedLost, 0),
    max_detect_s: detects.length === 0 ? null : Math.max(...detects),
  };
}

const cell = (value: number | string | null) => (value === null ? "–" : String(value));

export function markdownTable(results: readonly CaseResult[]): string {
  const header =
    "| case | fault | players | affected | detect s | recover s | continued | rebound | resumed | ended (reason) | hung | unexpected exits | acked lost | failed requests | checks |\n" +
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";
  const rows = results.map((r) => {
    const ended = r.outcomes.ended === 0 ? "0" : `${r.outcomes.ended} (${Object.entries(r.endedReasons).map(([reason, n]) => `${reason} ×${n}`).join(", ")})`;
    const checks = Object.entries(r.checks).map(([key, value]) => `${key} ${value}`).join("; ");
    return `| ${r.name} | ${r.fault} | ${r.players} | ${r.affected} | ${cell(r.detectS)} | ${cell(r.recoverS)} | ${r.outcomes.continued} | ${r.outcomes.rebound} | ${r.outcomes.resumed} | ${ended} | ${r.hung} | ${r.unexpectedExits.length === 0 ? "0" : r.unexpectedExits.join(", ")} | ${r.ackedLost} | ${r.failedRequests} | ${checks || "–"} |`;
  });
  return [header, ...rows].join("\n");
}
