/**
 * Grid: an AI:MMO-style game without human players. Each avatar is played by its player's worker
 * (bot code in a sandbox); the game calls every ready worker once a tick and never waits for one.
 *
 * Every tick: apply the actions that came back for the previous turn, mark bots the sandbox stopped,
 * broadcast the world (`onWorld` to channel `world`, which viewers receive), send the next turn.
 */
import { defineGame, type TurnClient } from "@pomona/server";
import { GridWorld } from "./world";

/** Where the game learns which workers are ready (the game-creator's table in Redis). */
export interface WorkerSource {
  readonly current: ReadonlyMap<string, string>;
}

export interface TickTimes {
  /** onTick's own work, ms, and the time between tick starts, ms (most recent last). */
  readonly workMs: number[];
  readonly intervalMs: number[];
}

export interface GridState {
  readonly world: GridWorld;
  readonly times: TickTimes;
}

const KEEP_SAMPLES = 20_000;
export const TIMING_WINDOW = 100;

export function createGridGame(workers: WorkerSource, turns: TurnClient) {
  let timing = {};
  return defineGame({
    serverType: "grid",
    tickHz: 10,
    state: (): GridState => ({ world: new GridWorld(), times: { workMs: [], intervalMs: [] } }),
    pushRoutes: ["onWorld"],
    handlers: {},

    onTick(ctx) {
      const startedMs = performance.now();
      const { world, times } = ctx.state;
      for (const [player, outcome] of turns.take()) {
        if (outcome.status === "ok") world.act(player, outcome.action, outcome.turn);
      }
      for (const [player, outcome] of turns.last) {
        if (outcome.status === "stopped") world.stop(player, outcome.reason ?? "stopped by the sandbox");
      }
      const ready = workers.current;
      for (const player of ready.keys()) world.join(player);
      for (const player of [...world.avatars.keys()]) if (!ready.has(player)) world.leave(player);

      // Once a second the broadcast carries the last TIMING_WINDOW ticks' timing, so a viewer sees whether the rate holds.
      if (ctx.tick % 10 === 0) {
        const recentWork = times.workMs.slice(-TIMING_WINDOW);
        const recentIntervals = times.intervalMs.slice(-TIMING_WINDOW);
        timing = { tickWorkP99Ms: percentile(recentWork, 99), tickIntervalP50Ms: percentile(recentIntervals, 50), tickIntervalP99Ms: percentile(recentIntervals, 99), samples: recentIntervals.length };
      }
      ctx.channel("world").broadcast("onWorld", { ...world.snapshot(ctx.tick), timing });
      const requests: Array<[string, string, string]> = [];
      for (const [player, url] of ready) {
        const avatar = world.avatars.get(player);
        if (avatar?.status !== "playing") continue;
        requests.push([player, url, JSON.stringify(world.view(player, ctx.tick))]);
      }
      turns.send(ctx.tick, requests);
      record(times.workMs, performance.now() - startedMs);
      if (ctx.tick > 1) record(times.intervalMs, ctx.deltaMs);
    },
  });
}

function record(samples: number[], value: number): void {
  samples.push(value);
  if (samples.length > KEEP_SAMPLES) samples.splice(0, samples.length - KEEP_SAMPLES);
}

/** p-th percentile (0–100) of `samples`, ms, rounded to 0.01. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 100) / 100;
}
