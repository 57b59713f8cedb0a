// StrykerJS options shared by every module of the pure core. `npm run mutate` (scripts/mutate.ts)
// runs Stryker once per module, naming the module's files and specs in STRYKER_MODULE
// (scripts/mutate/modules.ts is the list); docs/testing.md has the scores.
const module = JSON.parse(process.env.STRYKER_MODULE ?? "null");
if (module === null) throw new Error("STRYKER_MODULE is not set: run `npm run mutate [-- module …]`, which sets it per module");

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: module.mutate,
  testRunner: "mocha",
  mochaOptions: { spec: module.spec, ignore: module.ignore ?? [], "no-config": true, "no-package": true },
  // The specs are TypeScript: tsx registers itself in each test runner process.
  testRunnerNodeArgs: ["--import", "tsx"],
  // MUTATE_TYPECHECK=0 leaves the checker out when it is the bottleneck (a loaded machine): mutants
  // that would not compile then run as JavaScript under tsx and count as killed or survived.
  checkers: process.env.MUTATE_TYPECHECK === "0" ? [] : ["typescript"],
  // Written by scripts/mutate.ts for each module: its files and their imports. A mutant that does not compile is discarded.
  tsconfigFile: "tsconfig.mutate.json",
  coverageAnalysis: "perTest",
  // The machine is shared and has 2 cores.
  concurrency: 2,
  incremental: true,
  incrementalFile: `reports/mutation/${module.name}.incremental.json`,
  ignorePatterns: ["docs", ".github", "services/demo", "reports"],
  reporters: ["clear-text", "json"],
  jsonReporter: { fileName: `reports/mutation/${module.name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  timeoutMS: 10000,
  logLevel: "warn",
};
