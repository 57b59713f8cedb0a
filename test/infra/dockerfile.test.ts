/**
 * services/Dockerfile, checked without a Docker engine (none runs here): what it copies exists and
 * passes .dockerignore, the build produces every entry point the manifests run, the uWebSockets.js
 * addon it keeps is the one its Node 24 loads, and the user it runs as is the uid the pods declare.
 * The image's runtime itself (Node 24 on trixie) is proven by `npm run test:node24`.
 */
import assert from "node:assert/strict";
import { IMAGE_NODE_MAJOR } from "../../services/src/workers/permission-flag";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { GATE_SITE_DIR } from "../../infra/manifests/gate";
import { UIDS } from "../../infra/names";
import { addonFileName, chooseUwsBuilds } from "../../services/src/transport";
import { REPO_ROOT } from "../../infra/offline/evaluate";
import { containers, evaluateAllStacks } from "./stacks";
import { IMAGE_NODE_OPTIONS } from "../../services/src/cluster-model";

const dockerfile = fs.readFileSync(path.join(REPO_ROOT, "services", "Dockerfile"), "utf8");
/** Instructions with backslash continuations joined. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));
const WORKDIR = "/app";

/** The allowlist in .dockerignore (`*` then `!path` exceptions). */
function allowedByDockerignore(file: string): boolean {
  const patterns = fs.readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8").split("\n").filter((line) => line.trim() && !line.startsWith("#"));
  assert.equal(patterns[0], "*", ".dockerignore is an allowlist");
  return patterns.slice(1).some((pattern) => {
    const allowed = pattern.replace(/^!/, "");
    return allowed === file || (allowed.endsWith("/**") && file.startsWith(allowed.slice(0, -2)));
  });
}

function directoryBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(dir, entry.name);
    return sum + (entry.isDirectory() ? directoryBytes(full) : entry.isFile() ? fs.statSync(full).size : 0);
  }, 0);
}

/** Packages a TypeScript entry point loads at run time: value imports and re-exports, followed through relative files (`import type` is erased). */
function bareImports(entry: string): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = fs.readFileSync(file, "utf8");
    // Static imports and exports, and dynamic import("…") (loaded later, but still in the image's code path).
    const specifiers = [...source.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^;]*?\sfrom\s+)?"([^"]+)";/gms), ...source.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((match) => match[1]!);
    for (const specifier of specifiers) {
      if (!specifier.startsWith(".")) {
        found.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);
        continue;
      }
      const base = path.resolve(path.dirname(file), specifier);
      const resolved = [`${base}.ts`, path.join(base, "index.ts")].find((candidate) => fs.existsSync(candidate));
      assert.ok(resolved, `${file}: cannot resolve ${specifier}`);
      visit(resolved);
    }
  };
  visit(path.join(REPO_ROOT, entry));
  return found;
}

describe("services/Dockerfile", function () {
  this.timeout(120_000);

  it("builds on node:24-trixie-slim in every stage", () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-trixie-slim$/m);
    assert.equal(IMAGE_NODE_MAJOR, 24, "the creator renders worker pods for the image's Node");
    const froms = instructions.filter((line) => line.startsWith("FROM "));
    assert.equal(froms.length, 4);
    const stages: string[] = [];
    for (const from of froms) {
      const [, base, stage] = /^FROM (\S+) AS ([a-z-]+)$/.exec(from) ?? [];
      assert.ok(base === "${NODE_IMAGE}" || stages.includes(base!), `${from}: on the Node image or an earlier stage`);
      stages.push(stage!);
    }
    assert.deepEqual(stages.slice(-2), ["services", "game-creator"], "the two targets infra/images.ts builds");
  });

  it("keeps the Kubernetes client out of every image but the game-creator's", async () => {
    const { onlyNeededBy, reachable } = await import("../../scripts/image/split-runtime-deps.mjs");
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    const moved = onlyNeededBy(lock, "services", ["@kubernetes/client-node"]);
    assert.ok(moved.includes("node_modules/@kubernetes/client-node"));
    const kept = reachable(lock, "services", ["@kubernetes/client-node"]);
    for (const location of moved) assert.ok(!kept.has(location), `${location} is needed by another role`);
    for (const runtime of ["ioredis", "uWebSockets.js", "zod", "pino", "msgpackr", "prom-client", "jose"]) assert.ok(kept.has(`node_modules/${runtime}`), runtime);
    // What moves: measured on the installed tree (the 48 MB of issue 14), printed for the record.
    const bytes = moved.reduce((sum, location) => sum + directoryBytes(path.join(REPO_ROOT, location)), 0);
    console.log(`      ${moved.length} packages, ${(bytes / 1e6).toFixed(1)} MB only in the game-creator's image`);
    assert.match(dockerfile, /RUN node \/split-runtime-deps\.mjs --root \/app --workspace services --only @kubernetes\/client-node --to \/creator-deps/);
    assert.match(instructions.join("\n"), /^FROM services AS game-creator\nCOPY --from=runtime-deps \/creator-deps\/node_modules \/app\/node_modules$/m);
    // No entry point but the creator's reaches the client: the services image can do without it.
    const creator = bareImports("services/src/roles/game-creator-main.ts");
    assert.ok(creator.has("@kubernetes/client-node"), "the walk finds the creator's import (it can see one)");
    for (const entry of ["services/src/roles/connector-main.ts", "services/src/gate/gate-main.ts", "services/src/workers/worker-main.ts", "services/games/arena/main.ts", "services/games/grid/main.ts"]) {
      assert.ok(!bareImports(entry).has("@kubernetes/client-node"), `${entry} loads the Kubernetes client`);
    }
  });

  it("copies only files that exist in the repository and pass .dockerignore", () => {
    const copies = instructions.filter((line) => line.startsWith("COPY ") && !line.includes("--from="));
    assert.ok(copies.length >= 6);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        assert.ok(fs.existsSync(path.join(REPO_ROOT, source)), `${source} does not exist`);
        assert.ok(allowedByDockerignore(source.replace(/\/$/, "") + (fs.statSync(path.join(REPO_ROOT, source)).isDirectory() ? "/x" : "")), `${source} is excluded by .dockerignore`);
      }
    }
  });

  it("installs the services workspace's runtime deps from the lockfile, as the README says", () => {
    assert.ok(instructions.some((line) => line.includes("npm ci --omit=dev --workspace services")));
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    assert.ok(lock.packages["services"], "services is a workspace in the lockfile");
  });

  it("ships @pomona/server the games import by name: every workspace's package.json in both installs, its build linked into node_modules", () => {
    const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { workspaces: string[] };
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const installStages = stages.filter((stage) => /npm ci/.test(stage));
    assert.equal(installStages.length, 2);
    for (const stage of installStages) {
      for (const workspace of root.workspaces) assert.match(stage, new RegExp(`^COPY ${workspace}/package\\.json ${workspace}/$`, "m"), `npm ci needs ${workspace}/package.json (the lockfile lists it)`);
    }
    const services = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "services/package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.ok(services.dependencies["@pomona/server"], "the services workspace depends on @pomona/server, so `npm ci --workspace services` links it");
    const games = fs.readdirSync(path.join(REPO_ROOT, "services/games"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith("main.ts"));
    for (const main of games) assert.match(fs.readFileSync(path.join(REPO_ROOT, "services/games", main), "utf8"), /from "@pomona\/server"/, `${main} imports the package`);
    const server = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "packages/server/package.json"), "utf8")) as { main: string };
    assert.match(server.main, /^dist\//);
    assert.ok(instructions.some((line) => /^RUN npx tsc -p packages\/server\/tsconfig\.json\s+&&\s+npx tsc -p services\/tsconfig\.build\.json/.test(line)), "the package is built with the services");
    assert.ok(instructions.includes("COPY --from=build /src/packages/server/dist /app/packages/server/dist"));
  });

  it("keeps the uWebSockets.js addon of the image's own Node ABI, the one loadUws chooses for Node 24 on trixie", () => {
    const [node24Build] = chooseUwsBuilds({ nodeVersion: "24", abi: 137, platform: "linux", arch: "x64", glibc: "2.41" });
    assert.equal(node24Build!.dependency, "uWebSockets.js");
    assert.match(dockerfile, /UWS_ADDON="uws_linux_\$\{UWS_ARCH\}_\$\(node -p process\.versions\.modules\)\.node"/);
    assert.match(dockerfile, /test -f "node_modules\/uWebSockets\.js\/\$\{UWS_ADDON\}"/);
    assert.match(dockerfile, /amd64\) UWS_ARCH=x64/);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, "node_modules", "uWebSockets.js", addonFileName({ platform: "linux", arch: "x64", abi: 137 }))));
    assert.match(dockerfile, /^RUN node -e "require\('\/app\/services\/dist\/src\/transport'\)\.loadUws\(\)"$/m, "the final stage loads the addon at build time");
  });

  it("sets the image's Node flags from the one place they are decided (services/src/cluster-model/node-flags.ts)", () => {
    const set = [...dockerfile.matchAll(/^ENV NODE_OPTIONS="([^"]*)"$/gm)].map((m) => m[1]);
    assert.deepEqual(set, [IMAGE_NODE_OPTIONS]);
    assert.match(IMAGE_NODE_OPTIONS, /^--max-semi-space-size=\d+$/);
  });

  it("runs as the numeric uid the pods declare, non-root", () => {
    const user = instructions.filter((line) => line.startsWith("USER ")).at(-1);
    assert.equal(user, `USER ${UIDS.services}:${UIDS.services}`);
    assert.ok(UIDS.services > 0);
  });

  it("the build produces every entry point the manifests run, and the demo where SITE_DIR points", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-image-"));
    try {
      // The build stage's two steps, into a temp dir standing for /app/services/dist.
      const tsc = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "services/tsconfig.build.json", "--outDir", out], { cwd: REPO_ROOT, encoding: "utf8" });
      if (tsc.status !== 0) console.log(`      (tsc reported type errors; \`npm test\` fails on them separately)\n${tsc.stdout.slice(0, 2000)}`);
      const demo = spawnSync(process.execPath, ["--import", "tsx", "scripts/build-demo.ts", path.join(out, "site")], { cwd: REPO_ROOT, encoding: "utf8" });
      assert.equal(demo.status, 0, demo.stderr);
      assert.ok(fs.existsSync(path.join(out, "site", "index.html")));
      assert.equal(GATE_SITE_DIR, `${WORKDIR}/services/dist/site`);

      const entryPoints = new Set<string>();
      for (const { manifests } of await evaluateAllStacks()) {
        for (const workload of manifests.filter((m) => m.kind === "Deployment" || m.kind === "StatefulSet")) {
          const [container] = containers(workload);
          // `node [flags…] <entry point>`: the entry point is last.
          if (container.command?.[0] === "node") entryPoints.add(container.command.at(-1)!);
        }
      }
      const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
      entryPoints.add(cmd[1]!);
      const missing: string[] = [];
      for (const entry of entryPoints) {
        const built = path.join(out, entry.replace(/^services\/dist\//, ""));
        const source = path.join(REPO_ROOT, entry.replace(/^services\/dist\//, "services/").replace(/\.js$/, ".ts"));
        if (fs.existsSync(built)) continue;
        // The game-creator's server is issue 6's; until its source exists the manifest points ahead of it.
        if (!fs.existsSync(source) && entry.endsWith("game-creator-main.js")) {
          console.log(`      note: ${entry} is not built yet (its source ${path.relative(REPO_ROOT, source)} arrives with issue 6)`);
          continue;
        }
        missing.push(entry);
      }
      assert.deepEqual(missing, []);
      assert.ok(entryPoints.has("services/dist/src/roles/connector-main.js") && entryPoints.has("services/dist/src/gate/gate-main.js") && entryPoints.has("services/dist/games/arena/main.js"));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
