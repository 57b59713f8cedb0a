/** The fault suite's table and totals, pure: the markdown rows docs/reliability.md holds and the JSON line `npm run chaos` ends with. */
import type { CaseResult } from "./harness";

export interface ChaosTotals {
  readonly cases: number;
  readonly failed_checks: number;
  readonly hung: number;
  readonly unexpected_exits: number;
  readonly acked_lost: number;
  readonly max_detect_server_s: number | null;
  readonly max_detect_client_s: number | null;
}

const maxOf = (values: ReadonlyArray<number | null>): number | null => {
  const measured = values.filter((value): value is number => value !== null);
  return measured.length === 0 ? null : Math.max(...measured);
};

export function totals(results: readonly CaseResult[]): ChaosTotals {
  return {
    cases: results.length,
    failed_checks: results.reduce((sum, result) => sum + result.failedChecks.length, 0),
    hung: results.reduce((sum, result) => sum + result.hung, 0),
    unexpected_exits: results.reduce((sum, result) => sum + result.unexpectedExits.length, 0),
    acked_lost: results.reduce((sum, result) => sum + result.ackedLost, 0),
    max_detect_server_s: maxOf(results.map((result) => result.detectServerS)),
    max_detect_client_s: maxOf(results.map((result) => result.detectClientS)),
  };
}

/** Every total at zero: the suite passed. */
export const passed = (summary: ChaosTotals): boolean => summary.failed_checks === 0 && summary.hung === 0 && summary.unexpected_exits === 0 && summary.acked_lost === 0;

const cell = (value: number | string | null) => (value === null ? "–" : String(value));

export function markdownTable(results: readonly CaseResult[]): string {
  const header =
    "| case | fault | players | affected | detect server s | detect client s | recover s | continued | rebound | resumed | reconnected | rejoined | ended (reason) | hung | disconnects | failed requests | acked lost | checks passed | figures |\n" +
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";
  const rows = results.map((r) => {
    const ended = r.outcomes.ended === 0 ? "0" : `${r.outcomes.ended} (${Object.entries(r.endedReasons).map(([reason, n]) => `${reason} ×${n}`).join(", ")})`;
    const figures = Object.entries(r.figures).map(([key, value]) => `${key} ${value}`).join("; ");
    const checks = r.failedChecks.length === 0 ? `${r.checks.length}/${r.checks.length}` : `${r.checks.length - r.failedChecks.length}/${r.checks.length}: FAILED ${r.failedChecks.map((c) => `${c.name} (${c.detail})`).join("; ")}`;
    return `| ${r.name} | ${r.fault} | ${r.players} | ${r.affected} | ${cell(r.detectServerS)} | ${cell(r.detectClientS)} | ${cell(r.recoverS)} | ${r.outcomes.continued} | ${r.outcomes.rebound} | ${r.outcomes.resumed} | ${r.outcomes.reconnected} | ${r.outcomes.rejoined} | ${ended} | ${r.hung} | ${r.disconnects} | ${r.failedRequests} | ${r.ackedLost} | ${checks} | ${figures || "–"} |`;
  });
  return [header, ...rows].join("\n");
}
