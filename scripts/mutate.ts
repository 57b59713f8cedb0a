/**
 * `npm run mutate [-- module …]`: StrykerJS (stryker.config.mjs) over the pure core, one module at a
 * time with only its own unit specs. Incremental: each module's results live in
 * reports/mutation/<module>.incremental.json (committed), so a rerun tests only the mutants whose
 * code or tests changed. Prints a score table and one JSON line; exits 1 when a module scores under
 * 85 %. Not run in CI: it is a measure (docs/testing.md).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { failUsage, parseCommandLine } from "../services/src/cli";
import { MUTATION_MODULES, type MutationModule } from "./mutate/modules";

const ROOT = path.resolve(__dirname, "..");
/** Written per module (git-ignored); stryker.config.mjs names it. */
const CHECKER_PROJECT = "tsconfig.mutate.json";
const TARGET_PERCENT = 85;

interface ReportedMutant {
  readonly status: string;
}
interface Report {
  readonly files: Record<string, { readonly mutants: readonly ReportedMutant[] }>;
}

interface ModuleScore {
  readonly module: string;
  readonly score: number;
  readonly mutants: number;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly compileErrors: number;
  /** Mutants under which a spec file failed to load (Stryker's RuntimeError): outside the score, like compile errors. */
  readonly runtimeErrors: number;
  readonly seconds: number;
}

/** Stryker's mutation score: detected (killed, timed out) over detected plus undetected (survived, no coverage). */
function summarise(name: string, report: Report, seconds: number): ModuleScore {
  const mutants = Object.values(report.files).flatMap((file) => file.mutants);
  const count = (status: string) => mutants.filter((mutant) => mutant.status === status).length;
  const detected = count("Killed") + count("Timeout");
  const undetected = count("Survived") + count("NoCoverage");
  return {
    module: name,
    score: detected + undetected === 0 ? 100 : Math.floor((1000 * detected) / (detected + undetected)) / 10,
    mutants: mutants.length,
    killed: count("Killed"),
    timeout: count("Timeout"),
    survived: count("Survived"),
    noCoverage: count("NoCoverage"),
    compileErrors: count("CompileError"),
    runtimeErrors: count("RuntimeError"),
    seconds: Math.round(seconds),
  };
}

const CLI = {
  command: "npm run mutate --",
  summary: `StrykerJS mutation testing of the pure core, each module against its own unit specs, incremental (reports/mutation/). Exits 1 when a module scores under ${TARGET_PERCENT} %. Modules (default all): ${Object.keys(MUTATION_MODULES).join(", ")}.`,
  positionals: "[module …]",
  flags: {},
  examples: ["npm run mutate -- routing batch-builder"],
} as const;
const asked = parseCommandLine(CLI).positionals;
const unknown = asked.filter((name) => !Object.prototype.hasOwnProperty.call(MUTATION_MODULES, name));
if (unknown.length > 0) failUsage(CLI, `unknown module ${unknown.join(", ")}: choose from ${Object.keys(MUTATION_MODULES).join(", ")}`);
/**
 * The TypeScript checker's project: the module's own files and what they import, nothing else, so
 * its type check per mutant stays small (the whole repository takes minutes on this machine).
 */
function writeCheckerProject(module: MutationModule): void {
  const project = {
    extends: "./tsconfig.json",
    compilerOptions: { types: ["node"] },
    include: module.mutate.filter((pattern) => !pattern.startsWith("!")),
    exclude: module.mutate.filter((pattern) => pattern.startsWith("!")).map((pattern) => pattern.slice(1)),
  };
  writeFileSync(path.join(ROOT, CHECKER_PROJECT), `${JSON.stringify(project, null, 2)}\n`);
}

const scores: ModuleScore[] = [];
for (const name of asked.length > 0 ? asked : Object.keys(MUTATION_MODULES)) {
  const startedMs = performance.now();
  writeCheckerProject(MUTATION_MODULES[name]!);
  const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "stryker"), ["run", "stryker.config.mjs"], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, STRYKER_MODULE: JSON.stringify({ name, ...MUTATION_MODULES[name] }) },
  });
  if (run.status !== 0) {
    console.error(`stryker failed on ${name} (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(path.join(ROOT, "reports", "mutation", `${name}.json`), "utf8")) as Report;
  scores.push(summarise(name, report, (performance.now() - startedMs) / 1000));
}
console.table(scores);
console.log(JSON.stringify({ modules: scores }));
if (scores.some((score) => score.score < TARGET_PERCENT)) process.exitCode = 1;
