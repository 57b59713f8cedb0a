/**
 * `npm start` as a developer runs it: the README's command in its own process group (a terminal),
 * up to its READY line; `npm run bots -- --clients 500 --seconds 20` against it reports 0 errors;
 * Ctrl-C (SIGINT to the whole group, as a terminal sends it) leaves no process behind.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { isAlive } from "../../scripts/local-cluster/processes";
import { freePortRanges } from "../helpers/ports";
import { sleep } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "../..");

interface Ready {
  readonly gate: string;
  readonly authMode: string;
  readonly demo: string;
  readonly nginx: string | null;
  readonly connectors: ReadonlyArray<{ readonly id: string; readonly url: string }>;
  readonly workDir: string;
  readonly pids: readonly number[];
  readonly startedGames: ReadonlyArray<{ readonly id: string; readonly replicas: number; readonly viewer: string }>;
}

/** Pids of live (non-zombie) processes in a process group. */
function processGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return members;
}


function run(command: string, args: string[], detached: boolean): { child: ChildProcess; lines: string[]; exited: Promise<string> } {
  const child = spawn(command, args, { cwd: ROOT, detached, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on("line", (line) => lines.push(line));
  return { child, lines, exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? `exit ${code}`))) };
}

describe("npm start: the local cluster in one command", function () {
  this.timeout(180_000);
  let start: ReturnType<typeof run> | undefined;

  after(() => {
    // Whatever happened, nothing of the group survives the test.
    if (start?.child.pid) for (const pid of processGroup(start.child.pid)) process.kill(pid, "SIGKILL");
  });

  it("comes up with a READY line, carries 500 bots for 20 s with 0 errors, and Ctrl-C leaves no process behind", async () => {
    const ports = await freePortRanges({ gate: 1, connector: 2, game: 1, gameHttp: 1, chat: 1, chatHttp: 1, proxy: 1, redis: 1 });
    const gatePort = ports.gate;
    const args = ["start", "--", "--quiet", "--duo", "--gate-port", String(gatePort), "--connector-port", String(ports.connector)];
    args.push("--game-port", String(ports.game), "--game-http-port", String(ports.gameHttp), "--chat-port", String(ports.chat), "--chat-http-port", String(ports.chatHttp), "--proxy-port", String(ports.proxy), "--redis-port", String(ports.redis));
    start = run("npm", args, true);
    const pgid = start.child.pid!;

    let ready: Ready | undefined;
    // With --duo, READY follows duo's two replicas too (started through the game-creator): slower on a loaded machine.
    for (const deadline = Date.now() + 90_000; ready === undefined; await sleep(100)) {
      const line = start.lines.find((text) => text.startsWith("READY "));
      if (line !== undefined) ready = JSON.parse(line.slice("READY ".length)) as Ready;
      else if (Date.now() > deadline || start.child.exitCode !== null) assert.fail(`no READY line:\n${start.lines.join("\n")}`);
    }
    assert.equal(ready.gate, `http://localhost:${gatePort}`);
    assert.equal(ready.authMode, "trust-uid");
    assert.ok(
      start.lines.some((line) => /player identity +AUTH_MODE=trust-uid: the gate believes any uid a client claims \(development only/.test(line)),
      "npm start says that its gate trusts client-claimed uids",
    );
    assert.match(ready.nginx ?? "", /^http:\/\/127\.0\.0\.1:\d+$/, "nginx runs as the subdomain proxy");
    assert.deepEqual(ready.connectors.map((c) => c.id), ["connector-0", "connector-1"]);
    assert.ok(ready.pids.length >= 6, "redis, a game server, 2 connectors, the gate and nginx");
    assert.deepEqual(ready.startedGames.map((game) => [game.id, game.replicas, game.viewer]), [["duo", 2, `${ready.demo}?view=duo`]], "duo, the two-replica arena, is up");
    for (const pid of ready.pids) assert.ok(isAlive(pid), `pid ${pid} runs`);
    const demo = await fetch(ready.demo);
    assert.equal(demo.status, 200);
    assert.match(await demo.text(), /<canvas id="field"/);

    const bots = run("npm", ["run", "bots", "--", "--gate", ready.gate, "--clients", "500", "--seconds", "20", "--json"], false);
    const botsExit = await bots.exited;
    const summaryLine = bots.lines.filter((line) => line.startsWith("{")).at(-1);
    assert.ok(summaryLine, `bots printed no summary:\n${bots.lines.slice(-30).join("\n")}`);
    const summary = JSON.parse(summaryLine) as { connected: number; errors: number; msgs_per_s: number; p50_ms: number; p99_ms: number; error_kinds: Record<string, number> };
    console.log(`      bots: ${summary.connected}/500 connected, ${summary.errors} errors, ${summary.msgs_per_s} msgs/s, p50 ${summary.p50_ms} ms, p99 ${summary.p99_ms} ms`);
    assert.deepEqual(summary.error_kinds, {});
    assert.equal(summary.errors, 0);
    assert.equal(summary.connected, 500);
    assert.equal(botsExit, "exit 0");
    assert.ok(bots.lines.some((line) => /latency p99/.test(line)), "the summary table was printed");

    // Ctrl-C: the terminal signals the whole foreground group.
    process.kill(-pgid, "SIGINT");
    const ended = await Promise.race([start.exited, sleep(30_000).then(() => "timeout")]);
    assert.notEqual(ended, "timeout", `npm start did not stop within 30 s:\n${start.lines.slice(-20).join("\n")}`);
    // npm re-raises the SIGINT it got once its script has exited (0), as in a terminal.
    assert.ok(ended === "exit 0" || ended === "SIGINT", `npm start ended with ${ended}:\n${start.lines.slice(-20).join("\n")}`);
    assert.ok(start.lines.includes("stopped; nothing left running."));
    await sleep(200);
    for (const pid of ready.pids) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    assert.deepEqual(processGroup(pgid), [], "no process of the group is left");
  });

  it("without nginx says so in one line and falls back to direct ports", async () => {
    const ports = await freePortRanges({ gate: 1, connector: 2, game: 1, gameHttp: 1, redis: 1 });
    const gatePort = ports.gate;
    const args = ["--import", "tsx", "scripts/start.ts", "--quiet", "--gate-port", String(gatePort), "--connector-port", String(ports.connector)];
    args.push("--game-port", String(ports.game), "--game-http-port", String(ports.gameHttp), "--redis-port", String(ports.redis));
    const child = spawn(process.execPath, args, { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NGINX_BIN: "/nonexistent/nginx" } });
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      for (const deadline = Date.now() + 90_000; !lines.some((line) => line.startsWith("READY ")); await sleep(100)) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`no READY line:\n${lines.join("\n")}`);
      }
      assert.ok(lines.some((line) => /^nginx is not installed \(looked for \/nonexistent\/nginx\): falling back to --mode direct\. Install it with `sudo apt-get install -y nginx`/.test(line)));
      const ready = JSON.parse(lines.find((line) => line.startsWith("READY "))!.slice(6)) as Ready & { mode: string };
      assert.equal(ready.mode, "direct");
      assert.equal(ready.nginx, null);
      const entry = (await (await fetch(`${ready.gate}/entry?uid=direct`)).json()) as { url: string };
      assert.match(entry.url, /^ws:\/\/127\.0\.0\.1:\d+\/\?token=/, "the gate hands out the connectors' own ports");
    } finally {
      process.kill(-child.pid!, "SIGINT");
      await exited;
    }
  });
});

