/**
 * The workers scenario of issue 6, shared by its test (short) and `npm run bench:workers` (30 s): a
 * grid game created through the game-creator of a local cluster, N well-behaved bots plus four that
 * misbehave (an endless loop, allocation without bound — 8 MB more every turn —, require('fs'), fetch, import() written to pass
 * a source filter with the attacker's constructor escape, a 256 MB string flattened past the process's memory), watched through the nginx
 * viewer route for `seconds`. Returns what the viewer saw and the game's own tick timing.
 */
import { performance } from "node:perf_hooks";

export const GOOD_BOT = `
function turn(view) {
  const me = view.me;
  let best = null, bestDistance = Infinity;
  for (const [x, y] of view.coins) {
    const distance = Math.abs(x - me.x) + Math.abs(y - me.y);
    if (distance < bestDistance) { bestDistance = distance; best = [x, y]; }
  }
  if (best === null) return { move: "stay" };
  if (best[0] > me.x) return { move: "right" };
  if (best[0] < me.x) return { move: "left" };
  if (best[1] > me.y) return { move: "down" };
  if (best[1] < me.y) return { move: "up" };
  return { move: "stay" };
}`;

export const BAD_BOTS: Readonly<Record<string, { readonly code: string; readonly reason: RegExp }>> = {
  "bad-loop": { code: "function turn(view) { while (true) {} }", reason: /CPU deadline exceeded/ },
  "bad-alloc": { code: "const hoard = []; function turn(view) { hoard.push(new Array(2000000).fill(view.tick)); return { move: 'up' }; }", reason: /memory limit exceeded/ },
  "bad-fs": { code: "function turn(view) { return { move: require('fs').readFileSync('/etc/passwd', 'utf8') }; }", reason: /sandbox violation: require\("fs"\)/ },
  "bad-net": { code: "function turn(view) { fetch('http://127.0.0.1:6379/'); return { move: 'up' }; }", reason: /sandbox violation: fetch/ },
  "bad-import": {
    code: "function turn(view) { import /* */ ('node:net').catch((e) => { try { e.constructor.constructor('return this')().process.exit(7); } catch (x) {} }); return { move: 'up' }; }",
    reason: /sandbox violation: import\(\)/,
  },
  "bad-flatten": { code: "function turn(view) { let s = 'x'.repeat(1 << 20); for (let i = 0; i < 8; i++) s = s + s; return { move: s.indexOf('y') }; }", reason: /^memory limit exceeded: the bot's sandbox process ran out of memory/ },
};

export const JOIN_TIMEOUT_MS = 120_000;

export interface Avatar {
  readonly player: string;
  /** The server's incarnation of this avatar, and the last turn it applied (services/games/grid/world.ts). */
  readonly record: string;
  readonly turn: number;
  readonly status: string;
  readonly reason?: string;
  readonly score: number;
  readonly moves: number;
}

export interface WorldFrame {
  readonly tick: number;
  readonly atMs: number;
  readonly avatars: readonly Avatar[];
  readonly timing: { readonly tickWorkP99Ms?: number; readonly tickIntervalP50Ms?: number; readonly tickIntervalP99Ms?: number };
}

export interface ScenarioApi {
  create(game: Record<string, unknown>): Promise<{ status: number; body: any }>;
  submit(id: string, player: string, code: string): Promise<{ status: number; body: any }>;
  waitReady(id: string, timeoutMs: number): Promise<number>;
  get(id: string): Promise<{ status: number; body: any }>;
}

export interface ViewerLike {
  readonly frames: ReadonlyArray<{ tick: number; atMs: number; broadcasts: ReadonlyArray<{ route: string; body: any }> }>;
}

export interface ScenarioResult {
  readonly seconds: number;
  readonly goodBots: number;
  readonly workersReadyMs: number;
  readonly frames: number;
  readonly framesPerSec: number;
  /** Gap between viewer frames as the viewer received them (tick interval plus nginx and loopback), ms. */
  readonly viewerGapP99Ms: number;
  /** The game server's own figures (each broadcast carries its last 100 ticks): the worst 100-tick window of the run. */
  readonly tickWorkP99Ms: number;
  readonly tickIntervalP50Ms: number;
  readonly tickIntervalP99Ms: number;
  readonly windows: number;
  readonly stopped: Record<string, string>;
  /** Good bots whose move count grew during the last quarter of the run. */
  readonly goodBotsStillPlaying: number;
  /** Players whose avatar the server created again during the run (its record changed): state lost. */
  readonly reincarnated: readonly string[];
  /** Squares changed per good bot inside the run's window (not before it; a stay is not a move). */
  readonly movesPerGoodBot: number;
  /** Ticks the window spans. */
  readonly ticks: number;
}

export async function runWorkersScenario(options: { api: ScenarioApi; openViewer: (id: string) => Promise<ViewerLike>; gameId: string; seconds: number; goodBots: number }): Promise<ScenarioResult> {
  const { api, gameId, seconds, goodBots } = options;
  const created = await api.create({ id: gameId, type: "grid", tickHz: 10 });
  if (created.status !== 201) throw new Error(`creating ${gameId}: ${JSON.stringify(created.body)}`);
  await api.waitReady(gameId, 60_000);
  const viewer = await options.openViewer(gameId);
  const submittedAt = performance.now();
  const players = [...Array.from({ length: goodBots }, (_, i) => [`good-${i}`, GOOD_BOT] as const), ...Object.entries(BAD_BOTS).map(([name, bot]) => [name, bot.code] as const)];
  for (const [player, code] of players) {
    const reply = await api.submit(gameId, player, code);
    if (reply.status !== 202) throw new Error(`submitting ${player}: ${JSON.stringify(reply.body)}`);
  }
  const worlds = () => viewer.frames.map((f) => ({ tick: f.tick, atMs: f.atMs, ...f.broadcasts.find((b) => b.route === "onWorld")?.body }) as WorldFrame);
  // Each worker is two Node processes starting at once with every other: on 2 cores busy with other suites that took 27 s.
  const deadline = performance.now() + JOIN_TIMEOUT_MS;
  while ((worlds().at(-1)?.avatars?.length ?? 0) < players.length) {
    if (performance.now() > deadline) {
      const workers = ((await api.get(gameId)).body?.status?.workers ?? []) as Array<{ player: string; phase: string; reason?: string }>;
      const missing = workers.filter((w) => w.phase !== "ready").map((w) => `${w.player}: ${w.phase}${w.reason === undefined ? "" : ` (${w.reason})`}`);
      throw new Error(`only ${worlds().at(-1)?.avatars?.length ?? 0} of ${players.length} workers joined within ${JOIN_TIMEOUT_MS} ms; not ready: ${missing.join("; ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const workersReadyMs = Math.round(performance.now() - submittedAt);
  const startIndex = viewer.frames.length;
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const played = worlds().slice(startIndex);
  const last = played.at(-1)!;
  const quarter = played[Math.floor(played.length * 0.75)];
  const avatarAt = (frame: WorldFrame, player: string) => frame.avatars.find((a) => a.player === player);
  const movesAt = (frame: WorldFrame, player: string) => avatarAt(frame, player)?.moves ?? 0;
  const good = last.avatars.filter((a) => a.player.startsWith("good-"));
  const gaps = played.slice(1).map((frame, i) => frame.atMs - played[i].atMs).sort((a, b) => a - b);
  const p99 = (sorted: number[]) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] * 100) / 100;
  // Windows of 100 ticks that lie inside the run: the frames 100, 200, … ticks after it began, and the last.
  const windows = [...played.filter((_, i) => i >= 100 && i % 100 === 0), last].map((frame) => frame.timing);
  const worst = (key: keyof WorldFrame["timing"]) => Math.max(...windows.map((timing) => timing[key] ?? NaN));
  return {
    seconds,
    goodBots,
    workersReadyMs,
    frames: played.length,
    framesPerSec: Math.round((played.length / ((last.atMs - played[0].atMs) / 1000)) * 100) / 100,
    viewerGapP99Ms: p99(gaps),
    tickWorkP99Ms: worst("tickWorkP99Ms"),
    tickIntervalP50Ms: worst("tickIntervalP50Ms"),
    tickIntervalP99Ms: worst("tickIntervalP99Ms"),
    windows: windows.length,
    stopped: Object.fromEntries(last.avatars.filter((a) => a.status === "stopped").map((a) => [a.player, a.reason ?? ""])),
    goodBotsStillPlaying: good.filter((a) => a.status === "playing" && a.moves > movesAt(quarter, a.player) && a.turn > (avatarAt(quarter, a.player)?.turn ?? 0)).length,
    reincarnated: [...new Set(played.flatMap((frame) => frame.avatars.filter((a) => a.record !== avatarAt(played[0], a.player)?.record).map((a) => a.player)))],
    movesPerGoodBot: Math.round(good.reduce((n, a) => n + a.moves - movesAt(played[0], a.player), 0) / Math.max(1, good.length)),
    ticks: last.tick - played[0].tick,
  };
}
