/**
 * Internal RPC round trips on loopback: the server runs in a child process (this file with
 * `--server`), the client here. Measures serial round trips (one outstanding) and pipelined
 * round trips (a window of outstanding calls), with p50/p99 latency for each.
 *
 * A bare TCP echo on the same machine is measured last, as the floor to read the serial
 * figure against: on a VM a round trip between processes on different vCPUs is dominated
 * by waking the other vCPU (docs/benchmarks.md).
 *
 *   npm run bench:rpc            (~25 s; last line is one JSON object for CI)
 *   npm run bench:rpc -- --seconds 3   (or BENCH_SECONDS=3)
 */
import { spawn } from "node:child_process";
import net from "node:net";
import readline from "node:readline";
import { integerFlag, parseCommandLine } from "../services/src/cli";
import { RpcClient, RpcServer } from "../services/src/rpc";

const CLI = {
  command: "npm run bench:rpc --",
  summary: "Internal RPC round trips on loopback to a server in a child process: serial and pipelined, with p50/p99, then a bare TCP echo as the floor. The last line is JSON.",
  flags: {
    seconds: { type: "string", value: "S", env: "BENCH_SECONDS", default: "7", help: "measured seconds per phase" },
    server: { type: "boolean", help: "be the child process that serves the calls (the benchmark starts it)" },
  },
  examples: ["npm run bench:rpc -- --seconds 3"],
} as const;
const { values } = parseCommandLine(CLI);
const PHASE_MS = integerFlag(CLI, "seconds", values.seconds, 1, 600) * 1000;
const WARMUP_MS = 3_000;
const RAW_MS = 3_000;
const WINDOW = 512;
/** A forwarded client request as a connector sends it to a game server. */
const PAYLOAD = { sid: 4321, uid: "player-4321", route: "area.playerHandler.move", body: { x: 12.5, y: -3, dir: 2 } };

async function serve(): Promise<void> {
  const server = new RpcServer({ serverId: "bench-game", incarnation: String(process.pid) });
  server.handle("echo", (payload) => payload);
  const { port } = await server.listen(0, "127.0.0.1");
  // Calibration: a bare TCP echo shows what one loopback round trip costs on this machine right now.
  const raw = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (chunk) => socket.write(chunk));
  });
  await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
  const rawPort = (raw.address() as net.AddressInfo).port;
  process.stdout.write(`${JSON.stringify({ port, rawPort })}\n`);
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

interface PhaseResult {
  name: string;
  calls: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function summarize(name: string, latencies: Float64Array, count: number, elapsedMs: number): PhaseResult {
  const sorted = latencies.slice(0, count).sort();
  const at = (q: number) => sorted[Math.min(count - 1, Math.floor(q * count))]!;
  return { name, calls: count, rps: (count / elapsedMs) * 1000, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[count - 1]! };
}

async function serial(client: RpcClient, peer: Peer, durationMs: number): Promise<PhaseResult> {
  const latencies = new Float64Array(4_000_000);
  let count = 0;
  const started = performance.now();
  const end = started + durationMs;
  let now = started;
  while (now < end && count < latencies.length) {
    const sent = now;
    await client.call(peer, "echo", PAYLOAD);
    now = performance.now();
    latencies[count++] = now - sent;
  }
  return summarize("serial (1 outstanding)", latencies, count, now - started);
}

function pipelined(client: RpcClient, peer: Peer, durationMs: number, window: number): Promise<PhaseResult> {
  const latencies = new Float64Array(16_000_000);
  let count = 0;
  let inFlight = 0;
  const started = performance.now();
  const end = started + durationMs;
  return new Promise((resolve, reject) => {
    const pump = (): void => {
      const now = performance.now();
      if (now >= end) {
        if (inFlight === 0) resolve(summarize(`pipelined (window ${window})`, latencies, count, now - started));
        return;
      }
      while (inFlight < window) {
        inFlight++;
        const sent = performance.now();
        client.call(peer, "echo", PAYLOAD).then(() => {
          if (count < latencies.length) latencies[count++] = performance.now() - sent;
          inFlight--;
          pump();
        }, reject);
      }
    };
    pump();
  });
}

/** Serial round trips of a bare 100-byte TCP echo: the floor under any RPC on this machine. */
async function rawSerial(port: number, durationMs: number): Promise<PhaseResult> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  const message = Buffer.alloc(100, 1);
  let received = 0;
  let answered: () => void = () => {};
  socket.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received >= message.length) {
      received -= message.length;
      answered();
    }
  });
  const latencies = new Float64Array(4_000_000);
  let count = 0;
  const started = performance.now();
  let now = started;
  while (now < started + durationMs && count < latencies.length) {
    const sent = now;
    await new Promise<void>((resolve) => {
      answered = resolve;
      socket.write(message);
    });
    now = performance.now();
    latencies[count++] = now - sent;
  }
  socket.destroy();
  return summarize("bare TCP echo, serial", latencies, count, now - started);
}

type Peer = { id: string; host: string; port: number };

async function main(): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", __filename, "--server"], { stdio: ["pipe", "pipe", "inherit"] });
  process.once("exit", () => child.kill("SIGKILL"));
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`bench server exited (${code})`)));
  });
  const ports = JSON.parse(line) as { port: number; rawPort: number };
  const peer: Peer = { id: "bench-game", host: "127.0.0.1", port: ports.port };
  const client = new RpcClient({ serverId: "bench-connector", requestTimeoutMs: 30_000, maxPendingRequests: 100_000 });

  await pipelined(client, peer, WARMUP_MS / 2, WINDOW);
  await serial(client, peer, WARMUP_MS / 2);
  const results = [await serial(client, peer, PHASE_MS), await pipelined(client, peer, PHASE_MS, WINDOW), await rawSerial(ports.rawPort, RAW_MS)];

  console.log(`node ${process.version}, ${PHASE_MS / 1000} s per phase, payload ${JSON.stringify(PAYLOAD).length} B (JSON size), loopback, server in a child process`);
  console.log("phase                        calls    round trips/s   p50 ms   p99 ms   max ms");
  for (const r of results) {
    console.log(
      `${r.name.padEnd(26)} ${String(r.calls).padStart(9)} ${Math.round(r.rps).toLocaleString("en-US").padStart(15)} ${r.p50Ms.toFixed(3).padStart(8)} ${r.p99Ms.toFixed(3).padStart(8)} ${r.maxMs.toFixed(2).padStart(8)}`,
    );
  }
  const [s, p] = results as [PhaseResult, PhaseResult, PhaseResult];
  const round = (n: number, digits: number) => Number(n.toFixed(digits));
  client.close();
  child.kill("SIGKILL");
  console.log(JSON.stringify({ serial_rps: Math.round(s.rps), serial_p99_ms: round(s.p99Ms, 3), pipelined_rps: Math.round(p.rps), pipelined_p99_ms: round(p.p99Ms, 3) }));
  process.exit(0);
}

if (values.server) void serve();
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
