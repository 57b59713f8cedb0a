/**
 * Layers outside the vm, tested as the attacker would once out of it (issue 11, finding 2): the
 * sandbox thread of a real worker (supervisor, namespaces, permission model, as the local backend
 * starts it) is replaced by an attacker's thread, which then tries what an escaped bot would.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { buildBundle, SupervisedWorker } from "./supervised-worker";

describe("workers: a bot that left its vm reaches nothing outside (real worker processes, local isolation)", function () {
  this.timeout(60_000);
  const connections: string[] = [];
  const servers: net.Server[] = [];
  let worker: SupervisedWorker;
  let neighbour: ChildProcess;
  let action: Record<string, unknown>;
  const dir = mkdtempSync(path.join(os.tmpdir(), "pomona-escape-"));
  const writeTo = path.join(dir, "written-by-the-bot");

  before(async function () {
    const listen = (server: net.Server, where: number | string) => new Promise<void>((resolve) => (servers.push(server), server.listen(where as never, resolve)));
    const tcp = net.createServer((socket) => (connections.push("tcp"), socket.destroy()));
    await listen(tcp, 0);
    // A socket any uid may connect to, so only the sandbox's file system (not its uid) can keep the bot from it.
    chmodSync(dir, 0o755);
    const unixSocket = path.join(dir, "service.sock");
    await listen(net.createServer((socket) => (connections.push("unix"), socket.destroy())), unixSocket);
    chmodSync(unixSocket, 0o777);
    const abstractSocket = `\0pomona-escape-${process.pid}`;
    await listen(net.createServer((socket) => (connections.push("abstract"), socket.destroy())), abstractSocket);
    const entry = await buildBundle(path.join(__dirname, "fixtures/escaped-os-thread.js"));
    // Another worker's process, as far as signals go.
    neighbour = spawn("sleep", ["60"], { stdio: "ignore", detached: true });
    const target = { tcpPort: (tcp.address() as net.AddressInfo).port, unixSocket, abstractSocket, writeTo, pids: [process.pid, process.ppid, neighbour.pid!], pgids: [process.pid, neighbour.pid!] };
    worker = new SupervisedWorker(entry, JSON.stringify(target));
    await worker.ready;
    const turn = await worker.post("/turn", JSON.stringify({ tick: 1 }));
    assert.equal(turn.body.status, "ok", JSON.stringify(turn.body));
    action = turn.body.action;
    console.log(`      the attacker's findings: ${JSON.stringify(action)}`);
  });

  after(async function () {
    await worker?.stop();
    neighbour?.kill("SIGKILL");
    for (const server of servers) server.close();
  });

  it("opens no TCP connection to a loopback port or any address (its network namespace has no interface)", function () {
    assert.notEqual(action.tcpLoopback, "reached");
    assert.notEqual(action.tcpAnyAddress, "reached");
    assert.ok(!connections.includes("tcp"), JSON.stringify(connections));
  });

  it("reads no file outside its bundle and writes none (Node's permission model; on Node 24 only while the process does not run in /)", function () {
    assert.equal(action.readPasswd, "ERR_ACCESS_DENIED");
    assert.equal(action.readRuntime, "ERR_ACCESS_DENIED");
    assert.equal(action.readRepository, "ERR_ACCESS_DENIED");
    assert.equal(action.writeFile, "ERR_ACCESS_DENIED");
    assert.equal(existsSync(writeTo), false);
  });

  it("starts no process and no thread (a thread of its own execArgv would run outside the permission model)", function () {
    assert.equal(action.spawn, "ERR_ACCESS_DENIED");
    assert.match(String(action.thread), /the sandbox starts no thread/);
    assert.match(String(action.threadThroughImport), /the sandbox starts no thread/);
    assert.equal(existsSync(writeTo), false);
  });

  it("connects to no Unix socket: a path-based one any uid may write is not in its file system, an abstract one not in its network namespace", function () {
    assert.equal(action.unixSocket, "ENOENT");
    assert.equal(action.abstractSocket, "ECONNREFUSED");
    assert.deepEqual(connections, []);
  });

  it("runs as nobody (its uid owns no file of its root, and no capability is left to undo the chroot)", function () {
    assert.equal(action.uid, 65534);
  });

  it("signals no process outside its PID namespace, nor a process group (the test runner's, a worker's)", function () {
    assert.deepEqual(action.signals, ["ESRCH", "ESRCH", "ESRCH"]);
    assert.deepEqual(action.groupSignals, ["ESRCH", "ESRCH"]);
  });
});

describe("workers: the sandbox process refuses to run in / (Node 24 lets a thread of a process in / read every file)", function () {
  this.timeout(60_000);

  it("exits 1 with the reason, before it reads any code or opens the turn socket", async function () {
    const entry = await buildBundle();
    const sandboxProcess = spawn(process.execPath, [path.join(path.dirname(entry), "worker-process.js")], { cwd: "/", env: { PLAYER_CODE: "function turn() { return {}; }" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    sandboxProcess.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => sandboxProcess.once("exit", resolve));
    assert.equal(code, 1);
    assert.match(stderr, /the sandbox process runs in \/, where Node 24's permission model lets its thread read every file/);
  });
});
