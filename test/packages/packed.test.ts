/**
 * `@pomona/server` and `@pomona/client` as a studio gets them: `npm pack` of both workspaces, installed
 * from the tarballs in a temp directory outside the repository (nothing of the repository on the
 * resolution path), a tiny game and a tiny client compiled there against the packages' declarations,
 * then run against a real piece of a cluster — redis-server, the package's own `pomona-gate` and
 * `pomona-connector` commands, and the studio's game server: the client gets an entry from the gate,
 * connects, requests and receives a per-player push and a tick broadcast.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManagedProcess } from "../../scripts/local-cluster/processes";
import { freePort } from "../helpers/ports";
import { RedisServer } from "../helpers/redis-server";
import { offlineLock, type RepoLock } from "./offline-lock";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = path.join(__dirname, "studio-game");
const quiet = process.env.POMONA_TEST_LOGS ? undefined : null;

function run(command: string, args: string[], cwd: string, timeoutMs: number): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  assert.equal(result.status, 0, `${command} ${args.join(" ")} (in ${cwd}) failed${result.signal ? ` by ${result.signal}` : ""}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe("@pomona/server and @pomona/client from their packed tarballs", function () {
  // Measured on this 2-core machine under six other helpers' load: pack (with its build) 113 s, npm ci 51 s, tsc + bundle 17 s, the run 14 s (3 min 45 s in all).
  this.timeout(420_000);
  let work: string;
  let app: string;
  let redis: RedisServer | undefined;
  const processes: ManagedProcess[] = [];

  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-packed-"));
    app = path.join(work, "studio");
    fs.mkdirSync(app);
  });

  after(async function () {
    await Promise.all(processes.map((child) => child.stop(5_000)));
    await redis?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("packs both workspaces with their built code, declarations and README, and nothing of the repository's tests or sources", function () {
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work, "-w", "@pomona/server", "-w", "@pomona/client"], ROOT, 300_000)) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
    const files = new Map(packed.map((entry) => [entry.name, entry.files.map((file) => file.path)]));
    const server = files.get("@pomona/server")!;
    const client = files.get("@pomona/client")!;
    for (const file of ["package.json", "README.md", "dist/server-api/index.js", "dist/server-api/index.d.ts", "dist/game/api.d.ts", "bin/pomona-connector.js", "bin/pomona-gate.js", "dist/roles/connector-main.js", "dist/gate/gate-main.js"]) assert.ok(server.includes(file), `@pomona/server lacks ${file}`);
    for (const file of ["package.json", "README.md", "dist/node/client/index.js", "dist/node/client/index.d.ts", "dist/browser/pomona-client.mjs"]) assert.ok(client.includes(file), `@pomona/client lacks ${file}`);
    for (const file of [...server, ...client]) assert.doesNotMatch(file, /\.ts$(?<!\.d\.ts)|^test\/|\.map$/, `${file} should not ship`);
    assert.deepEqual(client.filter((file) => /^dist\/node\/(connector|gate|discovery|game|rpc|session|routing)\//.test(file)), [], "the client ships no server code");
    for (const entry of packed) assert.ok(fs.existsSync(path.join(work, entry.filename)));
  });

  it("installs from the tarballs alone (npm ci, offline, lockfile from the repository's pins) and the packages declare the services' dependency versions", function () {
    const repoLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as RepoLock;
    const packed = [
      { name: "@pomona/server", workspacePath: "packages/server", tarball: "../pomona-server-0.1.0.tgz" },
      { name: "@pomona/client", workspacePath: "packages/client", tarball: "../pomona-client-0.1.0.tgz" },
    ];
    const { manifest, lock } = offlineLock(repoLock, { name: "studio", packed, extra: ["ws"], dev: ["@types/node", "@types/ws"] });
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify(manifest, null, 2));
    fs.writeFileSync(path.join(app, "package-lock.json"), JSON.stringify(lock, null, 2));
    run("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], app, 240_000);
    const installed = JSON.parse(fs.readFileSync(path.join(app, "node_modules/@pomona/server/package.json"), "utf8")) as { dependencies: Record<string, string> };
    const services = JSON.parse(fs.readFileSync(path.join(ROOT, "services/package.json"), "utf8")) as { dependencies: Record<string, string> };
    const { "@pomona/server": _, ...servicesRuntime } = services.dependencies;
    assert.deepEqual(installed.dependencies, servicesRuntime, "@pomona/server needs what the services image needs");
    assert.ok(!fs.lstatSync(path.join(app, "node_modules/@pomona/server")).isSymbolicLink(), "a real install, not a link into the repository");
  });

  it("compiles a tiny game and client against the packages' declarations (a wrong type is an error), and bundles the client for a browser", async function () {
    for (const file of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, file), path.join(app, file));
    run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], app, 120_000);
    assert.ok(fs.existsSync(path.join(app, "dist/main.js")) && fs.existsSync(path.join(app, "dist/client.js")));

    const { build } = await import("esbuild");
    const bundle = await build({ entryPoints: [path.join(app, "browser.ts")], bundle: true, write: false, platform: "browser", format: "esm", metafile: true, absWorkingDir: app, logLevel: "silent" });
    const inputs = Object.keys(bundle.metafile!.inputs);
    assert.ok(inputs.includes("node_modules/@pomona/client/dist/browser/pomona-client.mjs"), `the browser build was not chosen: ${inputs.join(", ")}`);
    assert.doesNotMatch(bundle.outputFiles[0]!.text, /require\(["']node:|from ["']node:/, "the browser bundle needs nothing from Node");
  });

  it("runs: the client gets an entry from the package's gate, connects through its connector, requests the studio's game and receives its pushes", async function () {
    redis = await RedisServer.start();
    const namespace = "packed";
    // The gate signs connect tokens with it and the connector checks them on upgrade.
    const tokenSecrets = randomBytes(48).toString("base64");
    const common = { PATH: process.env.PATH ?? "/usr/bin:/bin", REDIS_URL: redis.url, POMONA_NAMESPACE: namespace };
    const start = (name: string, script: string, env: Record<string, string>) => {
      const child = ManagedProcess.start({ name, command: process.execPath, args: [script], env: { ...common, ...env }, cwd: app, log: quiet });
      processes.push(child);
      return child;
    };
    const game = start("tiny", "dist/main.js", { SERVER_ID: "tiny-1", PORT: "0" });
    const connectorPort = await freePort();
    const connector = start("connector", "node_modules/.bin/pomona-connector", { SERVER_ID: "connector-0", HOST: "127.0.0.1", PORT: String(connectorPort), TOKEN_SECRETS: tokenSecrets });
    const gatePort = await freePort();
    const gate = start("gate", "node_modules/.bin/pomona-gate", { HOST: "127.0.0.1", PORT: String(gatePort), FRONT_DOOR: "direct", AUTH_MODE: "trust-uid", TOKEN_SECRETS: tokenSecrets });
    for (const child of [game, connector, gate]) {
      await child.waitFor("ready", 30_000).catch((error: Error) => assert.fail(`${child.name}: ${error.message}\n${child.recentOutput}`));
    }

    const output = run(process.execPath, ["dist/client.js", `http://127.0.0.1:${gatePort}`], app, 30_000);
    const result = JSON.parse(output.trim().split("\n").at(-1)!) as { joined: { ok: boolean; server: string }; welcome: { joined: number }; tick: { tick: number; joined: number }; unknownRoute: string; uid: string };
    assert.deepEqual(result.joined, { ok: true, server: "tiny-1" });
    assert.deepEqual(result.welcome, { joined: 1 });
    assert.equal(result.tick.joined, 1);
    assert.ok(Number.isInteger(result.tick.tick) && result.tick.tick > 0);
    assert.equal(result.unknownRoute, "SERVER", "an unknown route is a typed error from the packed client");
    assert.equal(result.uid, "studio-player");
  });
});
