/**
 * The bench's C load generator (scripts/bench/load-client.c) is the evidence behind issue 13's
 * counts — messages per client-tick, packages per message, messages holding both the state and the
 * player's own push, gaps — so its counting is specified here against the raw uWS baseline server,
 * whose output is known: `mixed` sends each socket ONE message per tick holding the state and its
 * own push; `per-player` one message holding its own push only.
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileLoadClient, nextMessage, spawnGenerator } from "../../scripts/bench/processes";
import { sleep } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "../..");
const CLIENTS = 20;

interface Report {
  kind: "report";
  windowS: number;
  expected: number;
  connected: number;
  closed: number;
  errors: number;
  delivered: number;
  messages: number;
  packages: number;
  withBoth: number;
  gaps: number;
  histogram: number[];
}

describe("bench: the C load generator counts what the server sent", function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), "pomona-load-client-"));
  const binary = path.join(dir, "load-client");
  const children: ChildProcess[] = [];

  before(() => compileLoadClient(binary));
  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function measure(workload: "mixed" | "per-player"): Promise<Report> {
    const server = fork(path.join(ROOT, "scripts/bench/baseline-server.ts"), ["--workload", workload, "--hz", "20", "--players", "3"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(server);
    const { port } = await nextMessage<{ kind: string; port: number }>(server, "listening", 30_000);
    const generator = spawnGenerator(binary, ["--url", `ws://127.0.0.1:${port}/`, "--clients", String(CLIENTS)]);
    children.push(generator);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const progress = await nextMessage<{ kind: string; connected: number }>(generator, "progress");
      if (progress.connected === CLIENTS) break;
      assert.ok(Date.now() < deadline, `only ${progress.connected} of ${CLIENTS} clients connected`);
    }
    await sleep(300);
    generator.send({ kind: "reset" });
    await sleep(1_500);
    const report = nextMessage<Report>(generator, "report");
    generator.send({ kind: "report" });
    return report;
  }

  it("mixed: one message per client-tick, two packages in each, every one holding both", async () => {
    const report = await measure("mixed");
    assert.equal(report.connected, CLIENTS);
    assert.deepEqual({ closed: report.closed, errors: report.errors, gaps: report.gaps }, { closed: 0, errors: 0, gaps: 0 });
    // 20 clients × 20 Hz × ~1.5 s; the bound is loose (a loaded machine ticks late), the counts below are exact.
    assert.ok(report.delivered >= CLIENTS * 10, `${report.delivered} client-ticks in ${report.windowS} s`);
    assert.ok(report.delivered <= CLIENTS * 20 * (report.windowS + 0.2), `${report.delivered} client-ticks in ${report.windowS} s: more than the server sent`);
    assert.equal(report.messages, report.delivered);
    assert.equal(report.packages, 2 * report.messages);
    assert.equal(report.withBoth, report.messages);
    // Every client saw every tick between its first and last of the window.
    assert.equal(report.expected, report.delivered);
    // Every 8th message's first push is a latency sample (the count runs on across the reset: ±1).
    const samples = report.histogram.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(samples - report.messages / 8) < 1, `${samples} samples of ${report.messages} messages`);
  });

  it("per-player: one package per message, none holding the state", async () => {
    const report = await measure("per-player");
    assert.deepEqual({ closed: report.closed, errors: report.errors, gaps: report.gaps }, { closed: 0, errors: 0, gaps: 0 });
    assert.ok(report.delivered >= CLIENTS * 10, `${report.delivered} client-ticks`);
    assert.equal(report.messages, report.delivered);
    assert.equal(report.packages, report.messages);
    assert.equal(report.withBoth, 0);
  });
});
