/**
 * `npm run diff -- <stack> [--base <git-ref>] [--repo <dir>]`: what a change does to a stack's
 * manifests. Renders the stack from the base commit (extracted with `git archive` into a temp dir)
 * and from the working tree, both under mocks, and prints a unified diff of the two renders.
 * Not `pulumi preview`: it compares what the program declares, not what the cluster has.
 * Exit code 0 either way; 2 for usage errors.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../infra/offline/evaluate";
import { failUsage, parseCommandLine } from "../services/src/cli";

const CLI = {
  command: "npm run diff --",
  summary: "A unified diff of `npm run render -- <stack>` between a git ref and the working tree (both offline renders under mocks; not `pulumi preview`). Exit 0 whether or not they differ.",
  positionals: "<stack>",
  flags: {
    base: { type: "string", value: "REF", default: "HEAD", help: "the git ref to compare the working tree with" },
    repo: { type: "string", value: "DIR", help: "the checkout to compare (default: this one)" },
  },
  examples: ["npm run diff -- prod-eu --base origin/main"],
} as const;
const { positionals, values } = parseCommandLine(CLI);
const stack = positionals[0];
const repo = path.resolve(values.repo ?? REPO_ROOT);
/** What the program needs to evaluate: the program, the stacks, the nginx generator it imports. */
const PROGRAM_PATHS = ["infra", "stacks", "services/src", "Pulumi.yaml"];
const RENDER = path.join(REPO_ROOT, "scripts", "render.ts");

const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The render of `root` (this script's renderer on that tree's program), or "" when that tree has no such stack. */
function render(root: string): string {
  if (!fs.existsSync(path.join(root, "infra", "index.ts")) || !fs.existsSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`))) return "";
  const run = spawnSync(process.execPath, ["--import", "tsx", RENDER, stack!, "--root", root], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`rendering ${stack} in ${root} failed:\n${run.stderr}`);
  return run.stdout;
}

/** The base commit's program in a temp dir, sharing this checkout's node_modules. */
function checkoutBase(ref: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-diff-"));
  const present = PROGRAM_PATHS.filter((p) => git("ls-tree", "--name-only", ref, "--", p).trim() !== "");
  if (present.length > 0) {
    const archive = execFileSync("git", ["-C", repo, "archive", "--format=tar", ref, "--", ...present], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
  }
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function main(): void {
  if (stack === undefined || positionals.length > 1) failUsage(CLI, "name one stack (stacks/Pulumi.<stack>.yaml)");
  const ref = values.base;
  const commit = git("rev-parse", "--short", `${ref}^{commit}`).trim();
  const baseDir = checkoutBase(ref);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-diff-out-"));
  try {
    fs.mkdirSync(path.join(work, "base"));
    fs.mkdirSync(path.join(work, "working-tree"));
    fs.writeFileSync(path.join(work, "base", `${stack}.yaml`), render(baseDir));
    fs.writeFileSync(path.join(work, "working-tree", `${stack}.yaml`), render(repo));
    const diff = spawnSync("git", ["diff", "--no-index", "--no-color", "-U4", `base/${stack}.yaml`, `working-tree/${stack}.yaml`], { cwd: work, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (diff.status !== 0 && diff.status !== 1) throw new Error(`git diff failed: ${diff.stderr}`);
    console.log(`# Manifest diff of stack "${stack}": ${ref} (${commit}) → working tree. Offline renders under Pulumi's mocks; NOT \`pulumi preview\`.`);
    console.log(diff.stdout === "" ? "# No change to the rendered manifests." : diff.stdout.trimEnd());
  } finally {
    fs.rmSync(baseDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  console.error(`diff: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
