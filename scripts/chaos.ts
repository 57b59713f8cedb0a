/**
 * `npm run chaos`: every fault case of scripts/chaos/cases.ts on a fresh local cluster under a
 * steady load of players (docs/reliability.md). Prints a line per case, writes the markdown table
 * (default .tmp/chaos-table.md) and ends with one JSON line of totals:
 * {"cases","failed_checks","hung","unexpected_exits","acked_lost","max_detect_server_s","max_detect_client_s"}.
 * Exit code 1 if any case's check failed (its promises, or the invariants: no hung session, no
 * unexpected exit, no acknowledged move lost).
 *
 *   npm run chaos [-- --cases game-sigkill,redis-kill-5s] [--players 100] [--table FILE]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { failUsage, integerFlag, parseCommandLine } from "../services/src/cli";
import { CASES, caseNamed } from "./chaos/cases";
import { runCaseOrFail, type CaseResult } from "./chaos/harness";
import { markdownTable, passed, totals } from "./chaos/report";

const CLI = {
  command: "npm run chaos --",
  summary: "The fault suite: each case on a fresh local cluster under load, its promises enforced (docs/reliability.md). Exits 1 if any check failed; ends with one JSON line of totals.",
  flags: {
    cases: { type: "string", value: "A,B", help: `comma-separated cases (default all): ${CASES.map((chaosCase) => chaosCase.name).join(", ")}` },
    players: { type: "string", value: "N", help: "players under load per case (1 to 2000; default: each case's own)" },
    table: { type: "string", value: "FILE", default: ".tmp/chaos-table.md", help: "where the markdown table of results is written" },
  },
  examples: ["npm run chaos -- --cases game-sigkill,redis-kill-5s --players 100"],
} as const;
const { values } = parseCommandLine(CLI);
const askedCases = values.cases?.split(",").map((name) => name.trim()).filter((name) => name !== "");
const unknownCases = askedCases?.filter((name) => !CASES.some((chaosCase) => chaosCase.name === name)) ?? [];
if (unknownCases.length > 0) failUsage(CLI, `--cases: no case ${unknownCases.join(", ")}`);
if (askedCases?.length === 0) failUsage(CLI, "--cases: name at least one case");
const players = values.players === undefined ? undefined : integerFlag(CLI, "players", values.players, 1, 2_000);

async function main(): Promise<void> {
  const selected = askedCases?.map((name) => caseNamed(name)) ?? CASES;
  const startedMs = performance.now();
  const results: CaseResult[] = [];
  for (const chaosCase of selected) {
    process.stdout.write(`${chaosCase.name}: ${chaosCase.fault} … `);
    const result = await runCaseOrFail(chaosCase, players === undefined ? {} : { players });
    results.push(result);
    process.stdout.write(
      `detect server ${result.detectServerS ?? "–"} s, client ${result.detectClientS ?? "–"} s, recover ${result.recoverS ?? "–"} s, ${JSON.stringify(result.outcomes)}, checks ${result.checks.length - result.failedChecks.length}/${result.checks.length}${Object.keys(result.figures).length ? `, ${JSON.stringify(result.figures)}` : ""} (${result.durationS} s)\n`,
    );
    for (const check of result.failedChecks) process.stdout.write(`    FAILED ${check.name}: ${check.detail}\n`);
    for (const note of result.notes) process.stdout.write(`    ${note}\n`);
  }
  const table = markdownTable(results);
  const file = path.resolve(values.table);
  mkdirSync(path.dirname(file), { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  writeFileSync(file, `Measured ${new Date().toISOString()} on ${machine}; ${((performance.now() - startedMs) / 1000).toFixed(0)} s in all.\n\n${table}\n`);
  process.stdout.write(`\n${table}\n\ntable written to ${file}\n`);
  const summary = totals(results);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(passed(summary) ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error("chaos failed:", error instanceof Error ? error.stack : error);
  process.exit(1);
});
