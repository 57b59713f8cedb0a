/**
 * Every CLI run as a user runs it: `--help` prints usage, its flags and an example on stdout and
 * exits 0; an unknown flag is one line on stderr naming it, exit 2, no stack trace, nothing started.
 * npm scripts go through `npm run`, the server mains through Node with tsx, as the README runs them.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const UNKNOWN = "--no-such-flag";

interface Cli {
  readonly name: string;
  readonly command: readonly string[];
  /** Flags its help must list. */
  readonly flags: readonly string[];
}

const npmRun = (script: string): readonly string[] => (script === "start" ? ["npm", "start", "--"] : ["npm", "run", script, "--"]);
const tsx = (file: string): readonly string[] => [process.execPath, "--import", "tsx", file];

const CLIS: readonly Cli[] = [
  { name: "npm start", command: npmRun("start"), flags: ["--connectors", "--games", "--mode", "--gate-port", "--proxy-port", "--quiet"] },
  { name: "npm run bots", command: npmRun("bots"), flags: ["--clients", "--seconds", "--gate", "--uid-prefix", "--json"] },
  { name: "npm run render", command: npmRun("render"), flags: ["--root"] },
  { name: "npm run diff", command: npmRun("diff"), flags: ["--base", "--repo"] },
  { name: "npm run chaos", command: npmRun("chaos"), flags: ["--cases", "--players", "--table"] },
  { name: "npm run mutate", command: npmRun("mutate"), flags: [] },
  { name: "npm run build:demo", command: npmRun("build:demo"), flags: [] },
  { name: "npm run bench:rpc", command: npmRun("bench:rpc"), flags: ["--seconds"] },
  { name: "npm run bench:batch", command: npmRun("bench:batch"), flags: ["--players", "--connectors", "--ticks"] },
  { name: "npm run bench:broadcast", command: npmRun("bench:broadcast"), flags: ["--workload", "--clients", "--seconds", "--runtime", "--skip-build"] },
  { name: "npm run bench:workers", command: npmRun("bench:workers"), flags: ["--seconds", "--good"] },
  { name: "gate", command: tsx("services/src/gate/gate-main.ts"), flags: ["--redis", "--port", "--front-door", "--token-secrets", "--metrics-port"] },
  { name: "connector", command: tsx("services/src/roles/connector-main.ts"), flags: ["--redis", "--id", "--port", "--routes", "--drain-timeout-ms"] },
  { name: "game-creator", command: tsx("services/src/roles/game-creator-main.ts"), flags: [] },
  { name: "arena game server", command: tsx("services/games/arena/main.ts"), flags: ["--redis", "--id", "--port", "--tick-hz", "--http-port"] },
  { name: "bench game server", command: tsx("services/games/bench/main.ts"), flags: ["--workload", "--players", "--tick-hz"] },
  { name: "grid game server", command: tsx("services/games/grid/main.ts"), flags: [] },
];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: readonly string[], args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    // No secrets or addresses from the test's environment reach the help text.
    const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TOKEN_SECRETS: "a-secret-that-help-must-not-print-0123456789" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** npm's own `> pomona@0.1.0 bots` header lines, not the CLI's output. */
const withoutNpmHeader = (text: string) => text.split("\n").filter((line) => !line.startsWith("> ") && line !== "").join("\n");

/** Runs `jobs` at most `limit` at a time (tsx start-up is CPU: the machine has 2 cores). */
async function inBatches<T>(jobs: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let index = next++; index < jobs.length; index = next++) results[index] = await jobs[index]!();
  }));
  return results;
}

describe("every CLI: --help and unknown flags", function () {
  this.timeout(600_000);
  const help = new Map<string, Run>();
  const unknown = new Map<string, Run>();

  before(async () => {
    await inBatches(
      CLIS.flatMap((cli) => [async () => help.set(cli.name, await run(cli.command, ["--help"])), async () => unknown.set(cli.name, await run(cli.command, [UNKNOWN]))]),
      3,
    );
  });

  for (const cli of CLIS) {
    it(`${cli.name} --help prints usage, its flags and an example, exit 0`, () => {
      const { code, stdout, stderr } = help.get(cli.name)!;
      assert.equal(code, 0, stderr);
      const text = withoutNpmHeader(stdout);
      assert.match(text, /^usage: /m);
      assert.match(text, /^examples?:\n {2}\S/m, "an example follows");
      for (const flag of [...cli.flags, "--help"]) assert.match(text, new RegExp(`^ +(-h, )?${flag}\\b`, "m"), `help lists ${flag}`);
      assert.doesNotMatch(text, /a-secret-that-help-must-not-print/, "help names variables, never their values");
      assert.equal(stderr, "");
    });

    it(`${cli.name} ${UNKNOWN}: one line on stderr naming it, exit 2`, () => {
      const { code, stdout, stderr } = unknown.get(cli.name)!;
      assert.equal(code, 2, `${stdout}\n${stderr}`);
      assert.equal(stderr.split("\n").filter(Boolean).length, 1, `one line:\n${stderr}`);
      assert.match(stderr, new RegExp(`^unknown flag ${UNKNOWN} \\(.* --help lists the flags\\)\n$`));
      assert.doesNotMatch(stderr, /\bat .*:\d+:\d+/, "no stack trace");
      assert.equal(withoutNpmHeader(stdout), "", "nothing started, nothing printed");
    });
  }

  it("a flag without its value, a stray argument, a value out of range and an unknown case are one line each, exit 2", async function () {
    this.timeout(120_000);
    const missing = await run(tsx("scripts/bots.ts"), ["--clients"]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, "--clients needs a value (npm run bots -- --help lists the flags)\n");
    const swallowed = await run(tsx("scripts/bots.ts"), ["--clients", "--json"]);
    assert.equal(swallowed.code, 2);
    assert.equal(swallowed.stderr, "--clients needs a value (npm run bots -- --help lists the flags)\n");
    const stray = await run(tsx("services/src/roles/connector-main.ts"), ["connector-0"]);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /^unexpected argument "connector-0" \(node services\/dist\/src\/roles\/connector-main\.js --help lists the flags\)\n$/);
    const outOfRange = await run(tsx("scripts/bots.ts"), ["--clients", "0"]);
    assert.equal(outOfRange.code, 2);
    assert.equal(outOfRange.stderr, '--clients: must be an integer from 1 to 20000, got "0" (npm run bots -- --help lists the flags)\n');
    const noCase = await run(tsx("scripts/chaos.ts"), ["--cases", "game-sigkill,no-such-case"]);
    assert.equal(noCase.code, 2);
    assert.equal(noCase.stderr, "--cases: no case no-such-case (npm run chaos -- --help lists the flags)\n");
  });
});
