/**
 * Tick-broadcast benchmark: N Pomelo clients receive a state push at `hz`; measures delivery,
 * latency from send to receipt, and server CPU per delivered message.
 *
 *   npx tsx scripts/bench/broadcast.ts --clients 5000 --seconds 10
 *
 * Targets (`--target baseline|pomona|both`): `baseline` is raw uWS publish
 * (scripts/bench/baseline-server.ts); `pomona` is a private redis-server, one game server running
 * scripts/bench/bench-game.ts and `--connectors` connector processes. The load generator runs
 * in separate processes (at most 2,500 sockets each, well under the 20,000 open-file limit).
 * `--runtime node24` runs the servers (not the load generators) in the Node 24 lane.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import { ManagedProcess } from "../local-cluster/processes";
import { nodeCommand, parseRuntime } from "../node24/runtime";
import { freePort } from "../../test/helpers/ports";
import { RedisServer } from "../../test/helpers/redis-server";
import { cpuSeconds, forkTs, nextMessage, percentile, rssMiB } from "./processes";

const CONNECTOR_MAIN = path.resolve(__dirname, "../../services/src/roles/connector-main.ts");

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "5000" },
    seconds: { type: "string", default: "10" },
    hz: { type: "string", default: "20" },
    players: { type: "string", default: "10" },
    "per-generator": { type: "string", default: "2500" },
    target: { type: "string", default: "both" },
    connectors: { type: "string", default: "2" },
    "per-player": { type: "boolean", default: false },
    runtime: { type: "string", default: "node20" },
  },
});
const serverCommand = nodeCommand(parseRuntime(values.runtime!));
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const hz = Number(values.hz);

interface Progress { kind: "progress"; connected: number; closed: number; errors: number; delivered: number; gaps: number }
/** `windowS`: the generator's own measured window, from "reset" arriving to "report" arriving. */
interface Report extends Omit<Progress, "kind"> { kind: "report"; windowS: number; expected: number; histogram: number[]; bucketMs: number; closeReasons: Record<string, number> }

interface Target {
  readonly name: string;
  /** Generators are spread over these round-robin. */
  readonly urls: string[];
  /** Request each client sends after the handshake, if any. */
  readonly joinRoute?: string;
  /** Processes whose CPU counts as "server". */
  readonly serverPids: number[];
  /** Called when the measured window starts and ends (Pomona: the connectors' fan-out timing). */
  resetStats?(): void;
  fanoutP99Ms?(): Promise<number>;
  stop(): void;
}

async function startBaseline(): Promise<Target> {
  const server = forkTs(path.join(__dirname, "baseline-server.ts"), ["--hz", String(hz), "--players", String(values.players)], serverCommand);
  const { port } = await nextMessage<{ kind: string; port: number }>(server, "listening");
  return { name: "baseline (raw uWS publish)", urls: [`ws://127.0.0.1:${port}/`], serverPids: [server.pid!], stop: () => server.kill("SIGKILL") };
}

/** Pomona: a private redis-server, one bench game server, `--connectors` connector processes. */
async function startPomona(): Promise<Target> {
  const redis = await RedisServer.start();
  const namespace = "bench";
  const game = forkTs(path.join(__dirname, "bench-game.ts"), [
    "--redis", redis.url, "--namespace", namespace, "--port", String(await freePort()), "--hz", String(hz), "--players", String(values.players),
    ...(values["per-player"] ? ["--per-player"] : []),
  ], serverCommand);
  await nextMessage(game, "ready", 30_000);
  const connectors: ManagedProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < Number(values.connectors); i++) {
    const port = await freePort();
    const env = { REDIS_URL: redis.url, POMONA_NAMESPACE: namespace, SERVER_ID: `connector-${i}`, HOST: "127.0.0.1", PORT: String(port) };
    connectors.push(ManagedProcess.start({ name: `connector-${i}`, command: serverCommand.command, args: [...serverCommand.args, CONNECTOR_MAIN], env, cwd: process.cwd(), log: null }));
    urls.push(`ws://127.0.0.1:${port}/`);
  }
  await Promise.all(connectors.map((c) => c.waitFor("ready", 30_000)));
  await new Promise((r) => setTimeout(r, 1000)); // connectors see the game server through discovery
  return {
    name: `pomona (1 game, ${connectors.length} connectors${values["per-player"] ? ", per-player" : ""})`,
    urls,
    joinRoute: "bench.room.join",
    serverPids: [game.pid!, ...connectors.map((c) => c.pid), redis.pid!],
    resetStats: () => connectors.forEach((c) => c.signal("SIGWINCH")),
    fanoutP99Ms: async () => {
      const lines = await Promise.all(
        connectors.map((c) => {
          const before = c.eventCount;
          c.signal("SIGUSR2");
          return c.waitFor("stats", 5000, () => c.eventCount > before);
        }),
      );
      return Math.max(...lines.map((line) => (line.fanout as { p99Ms: number }).p99Ms));
    },
    stop: () => {
      game.kill("SIGKILL");
      for (const c of connectors) void c.kill();
      void redis.dispose();
    },
  };
}

async function measure(target: Target) {
  const generators: ChildProcess[] = [];
  const perGenerator = Number(values["per-generator"]);
  for (let first = 0, g = 0; first < clients; first += perGenerator, g++) {
    const url = target.urls[g % target.urls.length]!;
    const args = ["--url", url, "--clients", String(Math.min(perGenerator, clients - first)), "--first", String(first)];
    if (target.joinRoute) args.push("--join", target.joinRoute);
    generators.push(forkTs(path.join(__dirname, "load-client.ts"), args));
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
  target.resetStats?.();
  const cpuStart = target.serverPids.map(cpuSeconds);
  const genCpuStart = generators.map((g) => cpuSeconds(g.pid!));
  const started = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const reports = await Promise.all(generators.map((g) => { const next = nextMessage<Report>(g, "report"); g.send({ kind: "report" }); return next; }));
  const elapsedS = (Date.now() - started) / 1000;
  const fanoutP99Ms = await target.fanoutP99Ms?.();
  const serverCpuS = target.serverPids.map(cpuSeconds).reduce((a, b, i) => a + b - cpuStart[i]!, 0);
  const serverRssMiB = target.serverPids.map(rssMiB).reduce((a, b) => a + b, 0);
  const generatorCpuS = generators.map((g) => cpuSeconds(g.pid!)).reduce((a, b, i) => a + b - genCpuStart[i]!, 0);
  for (const g of generators) g.kill("SIGKILL");
  const histogram = new Array<number>(reports[0]!.histogram.length).fill(0);
  for (const r of reports) r.histogram.forEach((count, i) => (histogram[i]! += count));
  const delivered = reports.reduce((t, r) => t + r.delivered, 0);
  // Each generator times its own window (reset → report arrival), so the report's IPC round trip
  // is not counted as time in which nothing was delivered; the per-generator rates add up.
  const deliveredPerS = reports.reduce((t, r) => t + r.delivered / r.windowS, 0);
  // Per client, every tick between the first and last it saw in the window: misses show as < 1.
  const spanned = reports.reduce((t, r) => t + r.expected, 0);
  // One message per client per tick: the state broadcast, or (--per-player) the player's own message.
  const expectedPerS = clients * hz;
  return {
    target: target.name,
    clients,
    delivered_per_s: Math.round(deliveredPerS),
    delivered_ratio: Number((deliveredPerS / expectedPerS).toFixed(4)),
    tick_coverage: Number((delivered / spanned).toFixed(4)),
    // CPU is read over the orchestrator's (slightly longer) window: divide by the messages
    // delivered at the measured rate over that same window.
    server_cpu_us_per_msg: Number(((serverCpuS * 1e6) / (deliveredPerS * elapsedS)).toFixed(3)),
    server_cpu_cores: Number((serverCpuS / elapsedS).toFixed(2)),
    server_rss_mib: Math.round(serverRssMiB),
    generator_cpu_cores: Number((generatorCpuS / elapsedS).toFixed(2)),
    p50_ms: Number(percentile(histogram, reports[0]!.bucketMs, 0.5).toFixed(2)),
    p99_ms: Number(percentile(histogram, reports[0]!.bucketMs, 0.99).toFixed(2)),
    fanout_p99_ms: fanoutP99Ms ?? null,
    gaps: reports.reduce((t, r) => t + r.gaps, 0),
    closed: reports.reduce((t, r) => t + r.closed, 0),
    errors: reports.reduce((t, r) => t + r.errors, 0),
  };
}

async function main() {
  console.log(`broadcast bench: ${clients} clients, ${hz} Hz, ${seconds} s measured, servers on ${values.runtime} (this process: node ${process.version})`);
  const results = [];
  const targets = values.target === "both" ? ["baseline", "pomona"] : [values.target!];
  for (const name of targets) {
    const target = name === "baseline" ? await startBaseline() : await startPomona();
    try {
      results.push(await measure(target));
    } finally {
      target.stop();
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.table(results);
  const baseline = results.find((r) => r.target.startsWith("baseline"));
  const pomona = results.find((r) => r.target.startsWith("pomona"));
  const summary = pomona ?? baseline!;
  console.log(
    JSON.stringify({
      clients,
      delivered_per_s: summary.delivered_per_s,
      delivered_ratio: summary.delivered_ratio,
      p99_ms: summary.p99_ms,
      fanout_p99_ms: summary.fanout_p99_ms,
      dropped: summary.closed,
      gaps: summary.gaps,
      ...(baseline && pomona
        ? {
            baseline_p99_ms: baseline.p99_ms,
            ratio_vs_baseline: Number((pomona.server_cpu_us_per_msg / baseline.server_cpu_us_per_msg).toFixed(2)),
          }
        : {}),
    }),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
