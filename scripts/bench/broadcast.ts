/**
 * Tick fan-out benchmark: N Pomelo clients receive, at `hz`, a state broadcast (`broadcast`), a
 * message of their own (`per-player`) or both (`mixed`); measures delivery, WebSocket messages per
 * client-tick, latency from send to receipt, server CPU per delivered client-tick and the RSS of
 * every server process at `--rss-at` (1,000) clients and at the full count.
 *
 *   npm run bench:broadcast -- --workload mixed --clients 5000 --seconds 20
 *
 * For each workload it measures raw uWebSockets.js doing the same (scripts/bench/baseline-server.ts)
 * and then Pomona: a private redis-server, the bench game server (services/games/bench) and
 * `--connectors` connectors, all run as the image runs them — compiled JavaScript from
 * `npm run build`, plain Node with the image's NODE_OPTIONS and each role's flags (services/src/cluster-model/node-flags.ts).
 * `--workload mixed` also measures Pomona's `broadcast`, to compare the two within one run.
 * Load generators are C (scripts/bench/load-client.c, compiled here with cc), separate processes of
 * at most 2,500 sockets. `--rounds N` alternates raw and Pomona N times and takes each CPU ratio
 * within a round. The last line is JSON: one entry per workload (medians over rounds).
 * docs/benchmarks.md explains every field.
 */
import path from "node:path";
import { execFileSync } from "node:child_process";
import { buildSync } from "esbuild";
import type { ChildProcess } from "node:child_process";
import { failUsage, integerFlag, parseCommandLine } from "../../services/src/cli";
import { ManagedProcess } from "../local-cluster/processes";
import { nodeCommand, parseRuntime } from "../node24/runtime";
import { IMAGE_NODE_OPTIONS, nodeArgsFor } from "../../services/src/cluster-model";
import { freePort } from "../../test/helpers/ports";
import { RedisServer } from "../../test/helpers/redis-server";
import { compileLoadClient, cpuSeconds, forkJs, nextMessage, percentile, rssMb, spawnGenerator } from "./processes";

const ROOT = path.resolve(__dirname, "../..");
const DIST = path.join(ROOT, "services/dist");
const CONNECTOR_MAIN = path.join(DIST, "src/roles/connector-main.js");
const BENCH_GAME_MAIN = path.join(DIST, "games/bench/main.js");
const BASELINE_BUNDLE = path.join(ROOT, ".tmp/bench/baseline-server.js");
const LOAD_CLIENT = path.join(ROOT, ".tmp/bench/load-client");
const WORKLOADS = ["broadcast", "per-player", "mixed"] as const;
type Workload = (typeof WORKLOADS)[number];
/** Raw only: the state sent to each socket, against `broadcast`'s one publish (`--merge-cost`). */
type RawWorkload = Workload | "state-sends";

const CLI = {
  command: "npm run bench:broadcast --",
  summary: "Tick fan-out: N Pomelo clients at HZ receive a state broadcast, a message of their own, or both; raw uWebSockets.js doing the same, then Pomona (redis-server, the bench game server, connectors) as the image runs it. The last line is JSON (docs/benchmarks.md).",
  flags: {
    workload: { type: "string", value: "NAME", default: "all", help: `all or one of ${WORKLOADS.join(", ")}` },
    clients: { type: "string", value: "N", default: "5000", help: "Pomelo clients" },
    seconds: { type: "string", value: "S", default: "20", help: "measured window per target" },
    hz: { type: "string", value: "HZ", default: "20", help: "tick rate" },
    players: { type: "string", value: "N", default: "10", help: "entries in the state broadcast" },
    "per-generator": { type: "string", value: "N", default: "2500", help: "sockets per load-generator process" },
    connectors: { type: "string", value: "N", default: "1", help: "Pomona connectors" },
    rounds: { type: "string", value: "N", default: "1", help: "raw then Pomona, N times per workload; ratios are the median of each round's pair" },
    "rss-at": { type: "string", value: "N", default: "1000", help: "also read every server's RSS at this many clients" },
    "skip-build": { type: "boolean", help: "reuse services/dist from the last `npm run build`" },
    "node-options": { type: "string", value: "FLAGS", help: "NODE_OPTIONS for every server, raw and Pomona, and no per-role flags (default: each role's, as production runs it; raw gets the connector's)" },
    "merge-cost": { type: "boolean", help: "instead: raw uWS only, the state published once per tick against the same bytes written to each socket, per round; prices the connector's publish-or-merge choice (MERGE_MIN_OWN_SHARE, docs/connector.md)" },
    runtime: { type: "string", value: "node20|node24", default: "node20", help: "the servers on this machine's Node, or inside the Node 24 lane (`npm run test:node24`)" },
  },
  examples: ["npm run bench:broadcast -- --workload mixed --clients 1000 --seconds 10", "npm run bench:broadcast -- --merge-cost --clients 2000 --rounds 3"],
} as const;
const { values } = parseCommandLine(CLI);
const clients = integerFlag(CLI, "clients", values.clients, 1, 100_000);
const seconds = integerFlag(CLI, "seconds", values.seconds, 1, 3_600);
const hz = integerFlag(CLI, "hz", values.hz, 1, 200);
const rounds = integerFlag(CLI, "rounds", values.rounds, 1, 20);
const rssAt = Math.min(clients, integerFlag(CLI, "rss-at", values["rss-at"], 1, 100_000));
if (values.workload !== "all" && !WORKLOADS.includes(values.workload as Workload)) failUsage(CLI, `--workload: all or one of ${WORKLOADS.join(", ")}, got "${values.workload}"`);
if (values.runtime !== "node20" && values.runtime !== "node24") failUsage(CLI, `--runtime: node20 or node24, got "${values.runtime}"`);
const workloads: readonly Workload[] = values.workload === "all" ? WORKLOADS : [values.workload as Workload];

/** NODE_OPTIONS and command-line flags per role as production runs them (services/src/cluster-model/node-flags.ts); --node-options replaces both for every server. */
const NODE_OPTIONS = values["node-options"] ?? IMAGE_NODE_OPTIONS;
const nodeArgs = (role: string): readonly string[] => (values["node-options"] === undefined ? nodeArgsFor(role) : []);
const serverCommand = nodeCommand(parseRuntime(values.runtime));

interface Progress { kind: "progress"; connected: number; closed: number; errors: number; delivered: number; gaps: number }
/** `windowS`: the generator's own measured window, from "reset" arriving to "report" arriving. */
interface Report extends Omit<Progress, "kind"> {
  kind: "report";
  windowS: number;
  expected: number;
  messages: number;
  packages: number;
  withBoth: number;
  histogram: number[];
  bucketMs: number;
  closeReasons: Record<string, number>;
}

interface Target {
  readonly name: string;
  readonly kind: "raw" | "pomona";
  readonly workload: RawWorkload;
  /** Generators are spread over these round-robin. */
  readonly urls: string[];
  /** Request each client sends after the handshake, if any. */
  readonly joinRoute?: string;
  /** Processes whose CPU counts as "server", by role. */
  readonly servers: ReadonlyArray<{ role: "raw" | "game" | "connector" | "redis"; pid: number }>;
  /** Called when the measured window starts (Pomona: the connectors' fan-out timing). */
  resetStats?(): Promise<void>;
  /** The connectors' fan-out over the measured window; `superseded`: tick batches whose messages a newer one replaced (docs/connector.md). */
  fanout?(): Promise<{ p99Ms: number; sliceP99Ms: number; superseded: number }>;
  /** process.memoryUsage() of the Pomona servers, by role (MB). */
  memory?(): Promise<Record<string, Record<string, number>>>;
  stop(): void;
}

async function startRaw(workload: RawWorkload): Promise<Target> {
  // The connector's Node flags (raw does the connector's job): the comparison is of the servers, not of V8 settings.
  const server = forkJs(BASELINE_BUNDLE, ["--hz", String(hz), "--players", String(values.players), "--workload", workload], NODE_OPTIONS, serverCommand, nodeArgs("connector"));
  const { port } = await nextMessage<{ kind: string; port: number }>(server, "listening");
  return { name: `raw uWS ${workload}`, kind: "raw", workload, urls: [`ws://127.0.0.1:${port}/`], servers: [{ role: "raw", pid: server.pid! }], stop: () => server.kill("SIGKILL") };
}

/** Pomona: a private redis-server, the bench game server, `--connectors` connectors. */
async function startPomona(workload: Workload): Promise<Target> {
  const redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url, POMONA_NAMESPACE: "bench", HOST: "127.0.0.1", NODE_OPTIONS, NODE_ENV: "production" };
  const node = (name: string, role: string, script: string, extra: Record<string, string>) =>
    ManagedProcess.start({ name, command: serverCommand.command, args: [...serverCommand.args, ...nodeArgs(role), script], env: { ...env, ...extra }, cwd: ROOT, log: null });
  const game = node("bench-game", "game", BENCH_GAME_MAIN, { SERVER_ID: "bench-1", PORT: String(await freePort()), TICK_HZ: String(hz), BENCH_WORKLOAD: workload, BENCH_STATE_PLAYERS: String(values.players) });
  await game.waitFor("ready", 30_000);
  const connectors: ManagedProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < Number(values.connectors); i++) {
    const port = await freePort();
    connectors.push(node(`connector-${i}`, "connector", CONNECTOR_MAIN, { SERVER_ID: `connector-${i}`, PORT: String(port) }));
    urls.push(`ws://127.0.0.1:${port}/`);
  }
  await Promise.all(connectors.map((c) => c.waitFor("ready", 30_000)));
  await new Promise((r) => setTimeout(r, 1000)); // connectors see the game server through discovery
  const statsOf = (servers: ManagedProcess[]) =>
    Promise.all(
      servers.map((c) => {
        const before = c.eventCount;
        c.signal("SIGUSR2");
        return c.waitFor("stats", 5000, () => c.eventCount > before);
      }),
    );
  const stats = () => statsOf(connectors);
  const superseded = (lines: Array<Record<string, unknown>>) => lines.reduce((total, line) => total + (line.batchesSuperseded as number), 0);
  let supersededAtStart = 0;
  return {
    name: `pomona ${workload} (1 game, ${connectors.length} connector${connectors.length > 1 ? "s" : ""})`,
    kind: "pomona",
    workload,
    urls,
    joinRoute: "bench.room.join",
    servers: [{ role: "game", pid: game.pid }, ...connectors.map((c) => ({ role: "connector" as const, pid: c.pid })), { role: "redis", pid: redis.pid! }],
    resetStats: async () => {
      supersededAtStart = superseded(await stats());
      connectors.forEach((c) => c.signal("SIGWINCH"));
    },
    fanout: async () => {
      const lines = await stats();
      return {
        p99Ms: Math.max(...lines.map((line) => (line.fanout as { p99Ms: number }).p99Ms)),
        sliceP99Ms: Math.max(...lines.map((line) => (line.fanoutSlices as { p99Ms: number }).p99Ms)),
        superseded: superseded(lines) - supersededAtStart,
      };
    },
    memory: async () => {
      const [gameLine, connectorLine] = await statsOf([game, connectors[0]!]);
      return { game: gameLine!.memory as Record<string, number>, connector: connectorLine!.memory as Record<string, number> };
    },
    stop: () => {
      void game.kill();
      for (const c of connectors) void c.kill();
      void redis.dispose();
    },
  };
}

/** RSS of every server process, by role (the largest connector's). */
function rssByRole(target: Target): Record<string, number> {
  const rss: Record<string, number> = {};
  for (const { role, pid } of target.servers) rss[role] = Math.max(rss[role] ?? 0, rssMb(pid));
  return rss;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(target: Target) {
  const generators: ChildProcess[] = [];
  const perGenerator = Number(values["per-generator"]);
  for (let first = 0, g = 0; first < clients; first += perGenerator, g++) {
    const url = target.urls[g % target.urls.length]!;
    const count = Math.min(perGenerator, clients - first);
    // The first `rssAt` clients are spread evenly over the generators.
    const open = Math.ceil((rssAt * count) / clients);
    const args = ["--url", url, "--clients", String(count), "--first", String(first), "--open", String(open)];
    if (target.joinRoute) args.push("--join", target.joinRoute);
    generators.push(spawnGenerator(LOAD_CLIENT, args));
  }
  const latest = new Map<ChildProcess, Progress>();
  for (const g of generators) g.on("message", (m: Progress) => m.kind === "progress" && latest.set(g, m));
  const sum = (key: keyof Omit<Progress, "kind">) => [...latest.values()].reduce((total, p) => total + p[key], 0);
  const waitConnected = async (count: number) => {
    const deadline = Date.now() + 60_000;
    while (sum("connected") < count) {
      if (Date.now() > deadline) throw new Error(`${target.name}: only ${sum("connected")} of ${count} clients connected`);
      await sleep(250);
    }
  };
  await waitConnected(Math.min(rssAt, clients) - generators.length);
  await sleep(3000); // a few seconds of ticks at this size before reading RSS
  const rssFirst = rssByRole(target);
  const memoryFirst = await target.memory?.();
  for (const g of generators) g.send({ kind: "open" });
  await waitConnected(clients);
  await sleep(2000);
  for (const g of generators) g.send({ kind: "reset" });
  await target.resetStats?.();
  const cpuStart = target.servers.map(({ pid }) => cpuSeconds(pid));
  const genCpuStart = generators.map((g) => cpuSeconds(g.pid!));
  const started = Date.now();
  await sleep(seconds * 1000);
  const reports = await Promise.all(generators.map((g) => { const next = nextMessage<Report>(g, "report"); g.send({ kind: "report" }); return next; }));
  const elapsedS = (Date.now() - started) / 1000;
  const serverCpuEach = target.servers.map(({ pid }, i) => cpuSeconds(pid) - cpuStart[i]!);
  const serverCpuS = serverCpuEach.reduce((a, b) => a + b, 0);
  const cpuSByRole: Record<string, number> = {};
  target.servers.forEach(({ role }, i) => (cpuSByRole[role] = (cpuSByRole[role] ?? 0) + serverCpuEach[i]!));
  const generatorCpuS = generators.map((g) => cpuSeconds(g.pid!)).reduce((a, b, i) => a + b - genCpuStart[i]!, 0);
  const rssFull = rssByRole(target);
  const memoryFull = await target.memory?.();
  const fanout = await target.fanout?.();
  for (const g of generators) g.kill("SIGKILL");
  const histogram = new Array<number>(reports[0]!.histogram.length).fill(0);
  for (const r of reports) r.histogram.forEach((count, i) => (histogram[i]! += count));
  const total = (key: "delivered" | "messages" | "packages" | "withBoth" | "expected" | "gaps" | "closed" | "errors") => reports.reduce((t, r) => t + r[key], 0);
  // Each generator times its own window (reset → report arrival); the per-generator rates add up.
  const deliveredPerS = reports.reduce((t, r) => t + r.delivered / r.windowS, 0);
  return {
    target: target.name,
    kind: target.kind,
    workload: target.workload,
    clients,
    delivered_per_s: Math.round(deliveredPerS),
    // Client-ticks delivered against clients × hz.
    delivered_ratio: Number((deliveredPerS / (clients * hz)).toFixed(4)),
    // Per client, every tick between the first and last it saw in the window: misses show as < 1.
    tick_coverage: Number((total("delivered") / total("expected")).toFixed(4)),
    messages_per_client_tick: Number((total("messages") / total("delivered")).toFixed(3)),
    packages_per_message: Number((total("packages") / total("messages")).toFixed(3)),
    // Share of WebSocket messages that held both the state and the client's own push.
    with_both_ratio: Number((total("withBoth") / total("messages")).toFixed(4)),
    // CPU is read over the orchestrator's (slightly longer) window: divide by the client-ticks
    // delivered at the measured rate over that same window.
    server_cpu_us_per_client_tick: Number(((serverCpuS * 1e6) / (deliveredPerS * elapsedS)).toFixed(3)),
    server_cpu_cores: Number((serverCpuS / elapsedS).toFixed(2)),
    cpu_cores_by_role: Object.fromEntries(Object.entries(cpuSByRole).map(([role, cpuS]) => [role, Number((cpuS / elapsedS).toFixed(2))])),
    generator_cpu_cores: Number((generatorCpuS / elapsedS).toFixed(2)),
    p50_ms: Number(percentile(histogram, reports[0]!.bucketMs, 0.5).toFixed(2)),
    p99_ms: Number(percentile(histogram, reports[0]!.bucketMs, 0.99).toFixed(2)),
    fanout_p99_ms: fanout?.p99Ms ?? null,
    fanout_slice_p99_ms: fanout?.sliceP99Ms ?? null,
    superseded: fanout?.superseded ?? null,
    memory_first: memoryFirst,
    memory_full: memoryFull,
    rss_first: rssFirst,
    rss_full: rssFull,
    gaps: total("gaps"),
    dropped: total("closed"),
    errors: total("errors"),
  };
}
type Result = Awaited<ReturnType<typeof measure>>;

function build(): void {
  if (!values["skip-build"]) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  compileLoadClient(LOAD_CLIENT);
  // The raw server gets no build of its own in the image: bundled to one plain JavaScript file, like Pomona's compiled output.
  buildSync({ entryPoints: [path.join(__dirname, "baseline-server.ts")], bundle: true, platform: "node", target: "node20", external: ["uWebSockets.js", "uws-node20"], outfile: BASELINE_BUNDLE, logLevel: "warning" });
}

async function run(start: () => Promise<Target>, round: number): Promise<Result & { round: number }> {
  const target = await start();
  try {
    return { round, ...(await measure(target)) };
  } finally {
    target.stop();
    await sleep(1000);
  }
}

/**
 * A merged per-socket write pays off for a topic once the share of its subscribers with packages
 * of their own reaches 1 − c_p/c_s (c_p: a publish delivery, c_s: a socket write; tick-fanout.ts).
 * Both are read here on the same bytes, raw uWS, one round after the other.
 */
async function mergeCost(): Promise<void> {
  const results: Array<Result & { round: number }> = [];
  for (let round = 1; round <= rounds; round++) {
    results.push(await run(() => startRaw("broadcast"), round));
    results.push(await run(() => startRaw("state-sends"), round));
  }
  console.table(results.map(({ round, target, delivered_ratio, server_cpu_us_per_client_tick, server_cpu_cores }) => ({ round, target, delivered_ratio, server_cpu_us_per_client_tick, server_cpu_cores })));
  const cost = (workload: RawWorkload, round: number) => results.find((r) => r.workload === workload && r.round === round)!.server_cpu_us_per_client_tick;
  const ratios = Array.from({ length: rounds }, (_, i) => cost("state-sends", i + 1) / cost("broadcast", i + 1)).sort((a, b) => a - b);
  const ratio = ratios.length % 2 === 1 ? ratios[ratios.length >> 1]! : (ratios[ratios.length / 2 - 1]! + ratios[ratios.length / 2]!) / 2;
  console.log(JSON.stringify({ clients, rounds, send_over_publish: Number(ratio.toFixed(3)), rounds_send_over_publish: ratios.map((r) => Number(r.toFixed(3))), merge_min_own_share: Number(Math.max(0, 1 - 1 / ratio).toFixed(3)) }));
}

async function main() {
  build();
  if (values["merge-cost"]) return mergeCost();
  console.log(`fan-out bench: ${workloads.join(", ")}; ${clients} clients, ${hz} Hz, ${seconds} s measured, RSS at ${rssAt} and ${clients}; node ${process.version}, servers on ${values.runtime}, NODE_OPTIONS="${NODE_OPTIONS}", connector and raw also ${JSON.stringify(nodeArgs("connector"))}`);
  const results: Array<Result & { round: number }> = [];
  const pomonaRuns = new Set<Workload>(workloads);
  if (pomonaRuns.has("mixed")) pomonaRuns.add("broadcast");
  // Raw and Pomona alternate, round after round: this shared VM's speed drifts by tens of percent
  // within minutes, so a ratio is only taken between the two runs of one round.
  for (const workload of WORKLOADS) {
    for (let round = 1; round <= rounds; round++) {
      if (workloads.includes(workload)) results.push(await run(() => startRaw(workload), round));
      if (pomonaRuns.has(workload)) results.push(await run(() => startPomona(workload), round));
    }
  }
  console.table(
    results.map(({ rss_first, rss_full, memory_first: _first, memory_full: _full, kind: _kind, workload: _workload, cpu_cores_by_role, ...row }) => ({
      ...row,
      cpu_cores_by_role: Object.entries(cpu_cores_by_role).map(([role, cores]) => `${role} ${cores}`).join(", "),
      [`rss_mb_at_${rssAt}`]: Object.entries(rss_first).map(([role, mb]) => `${role} ${mb}`).join(", "),
      [`rss_mb_at_${clients}`]: Object.entries(rss_full).map(([role, mb]) => `${role} ${mb}`).join(", "),
    })),
  );
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const of = (kind: "raw" | "pomona", workload: Workload) => results.filter((r) => r.kind === kind && r.workload === workload);
  const perRound = (kind: "raw" | "pomona", workload: Workload, pick: (r: Result) => number) => median(of(kind, workload).map(pick));
  /** The median over rounds of Pomona's CPU per client-tick over `base`'s, both from the same round. */
  const ratio = (workload: Workload, base: Array<Result & { round: number }>) =>
    Number(median(of("pomona", workload).map((pomona) => pomona.server_cpu_us_per_client_tick / base.find((r) => r.round === pomona.round)!.server_cpu_us_per_client_tick)).toFixed(3));
  const summary = workloads.map((workload) => {
    const pomona = (pick: (r: Result) => number) => Number(perRound("pomona", workload, pick).toFixed(4));
    const raw = (pick: (r: Result) => number) => Number(perRound("raw", workload, pick).toFixed(4));
    return {
      workload,
      clients,
      rounds,
      delivered_ratio: pomona((r) => r.delivered_ratio),
      raw_delivered_ratio: raw((r) => r.delivered_ratio),
      cpu_ratio_vs_raw: ratio(workload, of("raw", workload)),
      ...(workload === "mixed" ? { cpu_ratio_vs_pomona_broadcast: ratio(workload, of("pomona", "broadcast")) } : {}),
      p99_ms: pomona((r) => r.p99_ms),
      raw_p99_ms: raw((r) => r.p99_ms),
      fanout_p99_ms: pomona((r) => r.fanout_p99_ms ?? NaN),
      messages_per_client_tick: pomona((r) => r.messages_per_client_tick),
      ...(workload === "mixed" ? { with_both_ratio: pomona((r) => r.with_both_ratio) } : {}),
      connector_rss_mb: pomona((r) => r.rss_full.connector!),
      raw_rss_mb: raw((r) => r.rss_full.raw!),
      game_rss_mb: pomona((r) => r.rss_full.game!),
      [`connector_rss_mb_at_${rssAt}`]: pomona((r) => r.rss_first.connector!),
      [`raw_rss_mb_at_${rssAt}`]: raw((r) => r.rss_first.raw!),
      [`game_rss_mb_at_${rssAt}`]: pomona((r) => r.rss_first.game!),
      dropped: Math.max(...of("pomona", workload).map((r) => r.dropped)),
      gaps: Math.max(...of("pomona", workload).map((r) => r.gaps)),
      superseded: Math.max(...of("pomona", workload).map((r) => r.superseded ?? 0)),
    };
  });
  for (const r of results) {
    if (r.memory_full === undefined) continue;
    console.log(`${r.target}: process.memoryUsage() MB at ${rssAt} → ${clients} clients: ${JSON.stringify(r.memory_first)} → ${JSON.stringify(r.memory_full)}`);
  }
  console.log(JSON.stringify(summary));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
