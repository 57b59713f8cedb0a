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
import { parseArgs } from "node:util";
import { CASES, caseNamed } from "./chaos/cases";
import { runCaseOrFail, type CaseResult } from "./chaos/harness";
import { markdownTable, passed, totals } from "./chaos/report";

const { values } = parseArgs({
  options: {
    cases: { type: "string" },
    players: { type: "string" },
    table: { type: "string", default: ".tmp/chaos-table.md" },
  },
});

async function main(): Promise<void> {
  const selected = values.cases ? values.cases.split(",").map((name) => caseNamed(name.trim())) : CASES;
  const players = values.players === undefined ? undefined : Number(values.players);
  if (players !== undefined && (!Number.isInteger(players) || players < 1 || players > 2_000)) throw new Error(`--players: must be an integer from 1 to 2000, got "${values.players}"`);
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
  const file = path.resolve(values.table!);
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
