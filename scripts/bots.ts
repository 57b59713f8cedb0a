/**
 * Bots: N players through the full front door — gate, nginx subdomain proxy, connector, arena —
 * with the client SDK. Each joins, steps every --move-interval-ms and times one request a second.
 * A progress bar while they connect, a live line every second, a summary table at the end, and with
 * --json one JSON line of totals. Exits 1 if any bot had an error.
 *
 *   npm run bots -- --clients 500 --seconds 20 [--gate http://localhost:3000] [--json]
 */
import { integerFlag, parseCommandLine } from "../services/src/cli";
import { PomonaClient, PomonaError } from "../services/src/client";
import { nodeWebSocket } from "./local-cluster/node-websocket";

const CLI = {
  command: "npm run bots --",
  summary: "N players through the full front door (gate, nginx subdomain proxy, connector, arena) with the client SDK: each joins, steps every --move-interval-ms and times one request a second. Exits 1 if any bot had an error.",
  flags: {
    clients: { type: "string", value: "N", default: "100", help: "players (1 to 20000)" },
    seconds: { type: "string", value: "S", default: "30", help: "seconds of play once all are connected (1 to 3600)" },
    gate: { type: "string", value: "URL", default: "http://localhost:3000", help: "the gate's HTTP address" },
    "move-interval-ms": { type: "string", value: "MS", default: "100", help: "each player's step interval" },
    "connect-concurrency": { type: "string", value: "N", default: "100", help: "players connecting at once" },
    "uid-prefix": { type: "string", value: "PREFIX", help: "the players' uids are PREFIX0 … PREFIX<N-1> (default bot-<run>-, a fresh set each run)" },
    json: { type: "boolean", help: "end with one JSON line of totals" },
  },
  examples: ["npm run bots -- --clients 500 --seconds 20", "npm run bots -- --gate http://localhost:3000 --clients 50 --seconds 10 --json"],
} as const;
const { values } = parseCommandLine(CLI);

const CLIENTS = integerFlag(CLI, "clients", values.clients, 1, 20_000);
const SECONDS = integerFlag(CLI, "seconds", values.seconds, 1, 3_600);
const MOVE_INTERVAL_MS = integerFlag(CLI, "move-interval-ms", values["move-interval-ms"], 1, 60_000);
const CONCURRENCY = integerFlag(CLI, "connect-concurrency", values["connect-concurrency"], 1, 10_000);
const GATE = values.gate;
const DIRECTIONS = ["up", "down", "left", "right"] as const;
const UID_PREFIX = values["uid-prefix"] ?? `bot-${Date.now().toString(36)}-`;

interface Totals {
  /** Bots whose connect and join finished, either way: each counts once, so progress never passes N. */
  settled: number;
  connected: number;
  errors: number;
  errorKinds: Map<string, number>;
  pushes: number;
  requests: number;
  reconnects: number;
  latenciesMs: number[];
}

const totals: Totals = { settled: 0, connected: 0, errors: 0, errorKinds: new Map(), pushes: 0, requests: 0, reconnects: 0, latenciesMs: [] };
const bots: PomonaClient[] = [];
const timers: NodeJS.Timeout[] = [];
let stopping = false;

function error(kind: string): void {
  totals.errors++;
  totals.errorKinds.set(kind, (totals.errorKinds.get(kind) ?? 0) + 1);
}

async function startBot(index: number): Promise<void> {
  const bot = new PomonaClient({ gateUrl: GATE, uid: `${UID_PREFIX}${index}`, createWebSocket: nodeWebSocket, clientType: "pomona-bot" });
  bots.push(bot);
  const ownTimers: NodeJS.Timeout[] = [];
  // A closed bot is one error: what fails after it (its join, its next requests) is the same error.
  let closed = false;
  bot.on("onState", () => totals.pushes++);
  bot.on("onAck", () => totals.pushes++);
  bot.on("connected", ({ resumed }: { resumed: boolean }) => {
    if (resumed) totals.reconnects++;
  });
  bot.on("closed", ({ reason }: { reason: string }) => {
    closed = true;
    for (const timer of ownTimers) clearInterval(timer);
    if (!stopping) error(`closed: ${reason}`);
  });
  try {
    await bot.connect();
    await bot.request("arena.room.join", { name: `bot-${index}` });
  } catch (failure) {
    totals.settled++;
    if (!closed) error(failure instanceof PomonaError ? `connect ${failure.code}` : "connect");
    return;
  }
  totals.settled++;
  totals.connected++;
  if (closed) return;
  let seq = 0;
  const step = setInterval(() => bot.notify("arena.room.move", { seq: ++seq, dir: DIRECTIONS[(seq + index) % 4] }), MOVE_INTERVAL_MS);
  // One timed request a second, spread over the second so they do not all leave at once.
  const timed = setInterval(() => {
    const started = performance.now();
    bot.request("arena.room.move", { seq: ++seq, dir: DIRECTIONS[seq % 4] }).then(
      () => {
        totals.requests++;
        totals.latenciesMs.push(performance.now() - started);
      },
      (failure: unknown) => {
        if (!stopping && !closed) error(failure instanceof PomonaError ? `request ${failure.code}` : "request");
      },
    );
  }, 1_000);
  ownTimers.push(step, timed);
  timers.push(step, timed);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const isTty = process.stderr.isTTY === true;
const status = (line: string) => (isTty ? process.stderr.write(`\r\x1b[2K${line}`) : process.stderr.write(`${line}\n`));

function progressBar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
}

async function main(): Promise<void> {
  const startedMs = performance.now();
  let launched = 0;
  const connecting = setInterval(() => status(`connecting ${progressBar(totals.settled, CLIENTS)} errors ${totals.errors}`), 200);
  const workers = Array.from({ length: Math.min(CONCURRENCY, CLIENTS) }, async () => {
    while (launched < CLIENTS) await startBot(launched++);
  });
  await Promise.all(workers);
  clearInterval(connecting);
  status(`connecting ${progressBar(totals.settled, CLIENTS)} errors ${totals.errors} in ${fmt((performance.now() - startedMs) / 1000)} s`);
  if (isTty) process.stderr.write("\n");

  const playStartedMs = performance.now();
  const pushesAtStart = totals.pushes;
  let lastPushes = totals.pushes;
  let lastLatencyIndex = 0;
  await new Promise<void>((resolve) => {
    const live = setInterval(() => {
      const recent = totals.latenciesMs.slice(lastLatencyIndex).sort((a, b) => a - b);
      lastLatencyIndex = totals.latenciesMs.length;
      const rate = totals.pushes - lastPushes;
      lastPushes = totals.pushes;
      const elapsed = Math.round((performance.now() - playStartedMs) / 1000);
      status(`${elapsed}/${SECONDS} s | connected ${bots.filter((b) => b.state === "open").length}/${CLIENTS} | msgs/s ${rate} | p99 ${fmt(percentile(recent, 99))} ms | errors ${totals.errors}`);
      if (elapsed >= SECONDS) {
        clearInterval(live);
        resolve();
      }
    }, 1_000);
  });
  if (isTty) process.stderr.write("\n");
  stopping = true;
  for (const timer of timers) clearInterval(timer);
  const playSeconds = (performance.now() - playStartedMs) / 1000;
  for (const bot of bots) bot.close();

  const sorted = [...totals.latenciesMs].sort((a, b) => a - b);
  const summary = {
    clients: CLIENTS,
    connected: totals.connected,
    errors: totals.errors,
    error_kinds: Object.fromEntries(totals.errorKinds),
    seconds: Number(playSeconds.toFixed(1)),
    msgs_per_s: Math.round((totals.pushes - pushesAtStart) / playSeconds),
    requests: totals.requests,
    p50_ms: Number(fmt(percentile(sorted, 50), 2)),
    p99_ms: Number(fmt(percentile(sorted, 99), 2)),
    max_ms: Number(fmt(sorted.at(-1) ?? NaN, 2)),
    reconnects: totals.reconnects,
  };
  const rows: Array<[string, string]> = [
    ["clients", String(summary.clients)],
    ["connected", String(summary.connected)],
    ["errors", String(summary.errors)],
    ["played", `${summary.seconds} s`],
    ["pushes received", `${summary.msgs_per_s} /s`],
    ["timed requests", String(summary.requests)],
    ["latency p50", `${summary.p50_ms} ms`],
    ["latency p99", `${summary.p99_ms} ms`],
    ["latency max", `${summary.max_ms} ms`],
    ["resumed", String(summary.reconnects)],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  process.stdout.write(`\n${"-".repeat(width + 18)}\n${rows.map(([key, value]) => `${key.padEnd(width)}  ${value.padStart(14)}`).join("\n")}\n${"-".repeat(width + 18)}\n`);
  for (const [kind, count] of totals.errorKinds) process.stdout.write(`  error: ${kind} × ${count}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(totals.errors === 0 ? 0 : 1);
}

main().catch((failure: unknown) => {
  console.error("bots failed:", failure instanceof Error ? failure.message : failure);
  process.exit(1);
});
