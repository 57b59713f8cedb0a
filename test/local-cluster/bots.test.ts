/**
 * `npm run bots` when more of its players are counted than it started: two of its players are logged
 * in elsewhere (the connector closes theirs, 4001) while the rest are still connecting. Each then
 * counts as connected and as an error; the progress bar counted both and passed N, and the run died
 * with "RangeError: Invalid count value". Now each player counts once and the run ends with its summary.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import type { PomonaClient } from "../../services/src/client";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { waitUntil } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "../..");
const CLIENTS = 100;

describe("npm run bots: players logged in elsewhere while the rest connect", function () {
  this.timeout(120_000);
  let cluster: TestCluster | undefined;
  const intruders: PomonaClient[] = [];

  before(async () => {
    cluster = await startTestCluster({ connectors: 1, games: 1 });
  });

  after(async () => {
    for (const client of intruders) client.close();
    await cluster?.dispose();
  });

  it("counts each player once in its progress and ends with its summary (exit 1 for the two errors), never a RangeError", async () => {
    const prefix = `dup-${randomBytes(4).toString("hex")}-`;
    // One at a time, so the run is still connecting when the two players are taken over.
    const args = ["--import", "tsx", "scripts/bots.ts", "--gate", cluster!.plan.urls.gate, "--clients", String(CLIENTS), "--connect-concurrency", "1", "--seconds", "1", "--uid-prefix", prefix, "--json"];
    const bots = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: string[] = [];
    const stderr: string[] = [];
    createInterface({ input: bots.stdout }).on("line", (line) => stdout.push(line));
    createInterface({ input: bots.stderr }).on("line", (line) => stderr.push(line));
    const exited = new Promise<number | null>((resolve) => bots.once("exit", (code) => resolve(code)));

    /** The N of each "connecting [###…] N/100" line. */
    const progress = () => stderr.map((line) => /^connecting \[[#.]+\] (\d+)\//.exec(line)?.[1]).filter((done) => done !== undefined).map(Number);
    await waitUntil(() => progress().some((done) => done >= 2), 30_000, `bots connected its first two players:\n${stderr.join("\n")}`);
    for (const index of [0, 1]) {
      const intruder = cluster!.client(`${prefix}${index}`);
      intruders.push(intruder);
      await intruder.connect();
    }
    const code = await exited;
    const connectingLines = stderr.filter((line) => line.startsWith("connecting"));

    assert.ok(!stderr.some((line) => /RangeError|Invalid count value/.test(line)), `no crash:\n${stderr.slice(-10).join("\n")}`);
    assert.ok(progress().every((done) => done <= CLIENTS), `progress never passes ${CLIENTS}:\n${connectingLines.join("\n")}`);
    // The precondition of the old crash: both errors counted before the last progress line.
    assert.match(connectingLines.at(-1) ?? "", /\] 100\/100 errors 2 in /);
    const summary = JSON.parse(stdout.filter((line) => line.startsWith("{")).at(-1) ?? "null") as { clients: number; connected: number; errors: number; error_kinds: Record<string, number> } | null;
    assert.ok(summary, `a JSON summary:\n${stdout.join("\n")}\n${stderr.slice(-10).join("\n")}`);
    assert.equal(summary.clients, CLIENTS);
    assert.equal(summary.connected, CLIENTS, "every player connected once");
    assert.equal(summary.errors, 2, JSON.stringify(summary.error_kinds));
    assert.deepEqual(Object.keys(summary.error_kinds).map((kind) => kind.startsWith("closed:")), [true], JSON.stringify(summary.error_kinds));
    assert.equal(code, 1, "errors make the exit code 1");
  });
});
