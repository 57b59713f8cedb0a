/**
 * Tick-broadcast benchmark: N Pomelo clients receive a state push at `hz`; measures delivery,
 * latency from send to receipt, and server CPU per delivered message.
 *
 *   npx tsx scripts/bench/broadcast.ts --clients 5000 --seconds 10
 *
 * Targets: `baseline` (raw uWS publish, scripts/bench/baseline-server.ts). The load generator runs
 * in separate processes (at most 2,500 sockets each, well under the 20,000 open-file limit).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import { cpuSeconds, forkTs, nextMessage, percentile } from "./processes";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "5000" },
    seconds: { type: "string", default: "10" },
    hz: { type: "string", default: "20" },
    players: { type: "string", default: "10" },
    "per-generator": { type: "string", default: "2500" },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const hz = Number(values.hz);

interface Progress { kind: "progress"; connected: number; closed: number; errors: number; delivered: number; gaps: number }
interface Report extends Omit<Progress, "kind"> { kind: "report"; histogram: number[]; bucketMs: number; closeReasons: Record<string, number> }

interface Target {
  readonly name: string;
  readonly url: string;
  /** Processes whose CPU counts as "server". */
  readonly serverPids: number[];
  stop(): void;
}

async function startBaseline(): Promise<Target> {
  const server = forkTs(path.join(__dirname, "baseline-server.ts"), ["--hz", String(hz), "--players", String(values.players)]);
  const { port } = await nextMessage<{ kind: string; port: number }>(server, "listening");
  return { name: "baseline (raw uWS publish)", url: `ws://127.0.0.1:${port}/`, serverPids: [server.pid!], stop: () => server.kill("SIGKILL") };
}

async function measure(target: Target) {
  const generators: ChildProcess[] = [];
  const perGenerator = Number(values["per-generator"]);
  for (let first = 0; first < clients; first += perGenerator) {
    generators.push(forkTs(path.join(__dirname, "load-client.ts"), ["--url", target.url, "--clients", String(Math.min(perGenerator, clients - first)), "--first", String(first)]));
  }
  const latest = new Map<ChildProcess, Progress>();
  for (const g of generators) g.on("message", (m: Progress) => m.kind === "progress" && latest.set(g, m));
  const sum = (key: keyof Omit<Progress, "kind">) => [...latest.values()].reduce((total, p) => total + p[key], 0);
  const connectDeadline = Date.now() + 60_000;
  while (sum("connected") < clients) {
    if (Date.now() > connectDeadline) throw new Error(`only ${sum("connected")} of ${clients} clients connected`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 2000));
  for (const g of generators) g.send({ kind: "reset" });
  const cpuStart = target.serverPids.map(cpuSeconds);
  const genCpuStart = generators.map((g) => cpuSeconds(g.pid!));
  const started = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const reports = await Promise.all(generators.map((g) => { const next = nextMessage<Report>(g, "report"); g.send({ kind: "report" }); return next; }));
  const elapsedS = (Date.now() - started) / 1000;
  const serverCpuS = target.serverPids.map(cpuSeconds).reduce((a, b, i) => a + b - cpuStart[i]!, 0);
  const generatorCpuS = generators.map((g) => cpuSeconds(g.pid!)).reduce((a, b, i) => a + b - genCpuStart[i]!, 0);
  for (const g of generators) g.kill("SIGKILL");
  const histogram = new Array<number>(reports[0]!.histogram.length).fill(0);
  for (const r of reports) r.histogram.forEach((count, i) => (histogram[i]! += count));
  const delivered = reports.reduce((t, r) => t + r.delivered, 0);
  const expected = clients * hz * elapsedS;
  return {
    target: target.name,
    clients,
    delivered_per_s: Math.round(delivered / elapsedS),
    delivered_ratio: Number((delivered / expected).toFixed(4)),
    server_cpu_us_per_msg: Number(((serverCpuS * 1e6) / delivered).toFixed(3)),
    server_cpu_cores: Number((serverCpuS / elapsedS).toFixed(2)),
    generator_cpu_cores: Number((generatorCpuS / elapsedS).toFixed(2)),
    p50_ms: Number(percentile(histogram, reports[0]!.bucketMs, 0.5).toFixed(2)),
    p99_ms: Number(percentile(histogram, reports[0]!.bucketMs, 0.99).toFixed(2)),
    gaps: reports.reduce((t, r) => t + r.gaps, 0),
    closed: reports.reduce((t, r) => t + r.closed, 0),
    errors: reports.reduce((t, r) => t + r.errors, 0),
  };
}

async function main() {
  console.log(`broadcast bench: ${clients} clients, ${hz} Hz, ${seconds} s measured, node ${process.version}`);
  const target = await startBaseline();
  try {
    const result = await measure(target);
    console.table([result]);
    console.log(JSON.stringify(result));
  } finally {
    target.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
