/**
 * The Node 24 lane itself (scripts/node24/lane.sh), seen from this machine: inside is the images'
 * runtime, and a lane that is interrupted however it is leaves no mounts and no processes behind.
 * `npm run test:node24` runs this on the host before the server suites (it needs root and the lane's
 * cached root); `npm test` leaves it out.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "../..");
const LANE = path.join(REPO_ROOT, "scripts", "node24", "lane.sh");
const LANE_ROOT = process.env.POMONA_NODE24_ROOT ?? "/var/cache/pomona/node24-root";

const pids = () => fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
const readlink = (file: string) => {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined;
  }
};
const hostMountsUnderRoot = () => fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((line) => line.split(" ")[4]?.startsWith(LANE_ROOT));
/** Processes whose root directory is the lane's root: everything the lane started. */
const processesInRoot = () => pids().filter((pid) => readlink(`/proc/${pid}/root`) === LANE_ROOT);

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the Node 24 lane (scripts/node24/lane.sh)", function () {
  this.timeout(120_000);

  it("runs Node 24 with @btc-vision/uwebsockets.js's ABI 137 addon on glibc ≥ 2.38, in the checkout", () => {
    const result = spawnSync(LANE, ["run", "--", "node", "--import", "tsx", "scripts/node24/banner.ts"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^node24 lane: Node v24\.\d+\.\d+, glibc 2\.(3[89]|[4-9]\d), uWS @btc-vision\/uwebsockets\.js@20\.57\.0 uws_linux_x64_137\.node \(ABI 137\)$/m);
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
    it(`stopped by ${signal}, it leaves no mounts and no processes behind`, async () => {
      const others = new Set(processesInRoot()); // another lane may be running (the suites after this file)
      // Its own process group, as a shell runs a job: SIGINT goes to the whole group, like Ctrl-C.
      const lane = spawn(LANE, ["run", "--", "node", "-e", "console.log('up'); setInterval(() => {}, 1000)"], { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      const exited = new Promise<void>((resolve) => lane.once("exit", () => resolve()));
      await new Promise<void>((resolve, reject) => {
        lane.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("up") && resolve());
        lane.once("exit", (code) => reject(new Error(`lane exited (${code}) before its node started`)));
      });
      const node = processesInRoot().find((pid) => !others.has(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("setInterval"));
      assert.ok(node, "the lane's node runs chrooted in the lane's root");
      const mountNamespace = readlink(`/proc/${node}/ns/mnt`)!;
      assert.notEqual(mountNamespace, readlink("/proc/self/ns/mnt"), "in its own mount namespace");
      // Mount points as the chrooted node sees them: only those inside its root are listed.
      const laneMounts = fs.readFileSync(`/proc/${node}/mountinfo`, "utf8").split("\n").map((line) => line.split(" ")[4]);
      for (const mounted of ["/proc", "/dev", "/tmp", REPO_ROOT]) assert.ok(laneMounts.includes(mounted), `${mounted} is mounted in the lane: ${laneMounts.join(" ")}`);
      assert.deepEqual(hostMountsUnderRoot(), [], "none of its mounts is visible on the host");

      process.kill(signal === "SIGINT" ? -lane.pid! : lane.pid!, signal);
      await exited;
      // Its processes end, and with the last one in its mount namespace the kernel drops its mounts.
      const lingering = () => pids().filter((pid) => (processesInRoot().includes(pid) && !others.has(pid)) || readlink(`/proc/${pid}/ns/mnt`) === mountNamespace);
      await until("no process in the lane's root or mount namespace", () => (lingering().length > 0 ? undefined : true), 10_000);
      assert.deepEqual(hostMountsUnderRoot(), []);
    });
  }
});
