/**
 * Cost of the game server's end-of-tick path: grouping one tick's output into one TickBatch per
 * connector, in-process, no sockets.
 *
 *   npx tsx scripts/bench-batch.ts [--players 1000] [--connectors 4] [--ticks 2000]
 *
 * Each tick: every player is in one channel, the game broadcasts one ~100-byte state message to
 * it and pushes one per-player message to every player. Three figures, µs per tick:
 *   builder          BatchBuilder alone, bodies already JSON text
 *   game API         the same through GameRuntime (ctx.channel().broadcast, ctx.pushTo with JSON.stringify)
 *   game API + wire  plus MessagePack-encoding every batch into RPC frames (what link.notify does)
 */
import { performance } from "node:perf_hooks";
import { integerFlag, parseCommandLine } from "../services/src/cli";
import type { SessionSnapshot } from "../services/src/cluster/contract";
import { BatchBuilder, ChannelRegistry, defineGame, GameRuntime } from "../services/src/game";
import { writeNotify } from "../services/src/rpc/codec";
import { FrameWriter } from "../services/src/rpc/frame";

const CLI = {
  command: "npm run bench:batch --",
  summary: "µs per tick to group one tick's output into one batch per connector, in-process: the builder alone, through the game API, and with the RPC encoding.",
  flags: {
    players: { type: "string", value: "N", default: "1000", help: "players, each in the one channel" },
    connectors: { type: "string", value: "N", default: "4", help: "connectors the players are spread over" },
    ticks: { type: "string", value: "N", default: "2000", help: "measured ticks per figure" },
  },
  examples: ["npm run bench:batch -- --players 5000 --connectors 8"],
} as const;
const { values } = parseCommandLine(CLI);
const PLAYERS = integerFlag(CLI, "players", values.players, 1, 1_000_000);
const CONNECTORS = integerFlag(CLI, "connectors", values.connectors, 1, 1_000);
const TICKS = integerFlag(CLI, "ticks", values.ticks, 1, 1_000_000);

const sessions: SessionSnapshot[] = Array.from({ length: PLAYERS }, (_, i) => ({
  id: `connector-${i % CONNECTORS}.session-${i}`,
  connectorId: `connector-${i % CONNECTORS}`,
  uid: `player-${i}`,
  settings: {},
}));
const stateBody = JSON.stringify({ tick: 0, event: "x".repeat(70) });

function measure(label: string, runTick: (tick: number) => void): void {
  for (let tick = 1; tick <= Math.min(200, TICKS); tick++) runTick(tick); // warm-up
  const samples: number[] = [];
  for (let tick = 1; tick <= TICKS; tick++) {
    const started = performance.now();
    runTick(tick);
    samples.push((performance.now() - started) * 1000);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  const p50 = samples[Math.floor(samples.length * 0.5)]!;
  const p99 = samples[Math.floor(samples.length * 0.99)]!;
  console.log(`${label.padEnd(18)} mean ${mean.toFixed(1).padStart(7)} µs/tick   p50 ${p50.toFixed(1).padStart(7)}   p99 ${p99.toFixed(1).padStart(7)}   (${(mean / PLAYERS).toFixed(3)} µs per player)`);
}

// 1. The builder alone.
const builder = new BatchBuilder("arena-1");
const channels = new ChannelRegistry("arena-1", builder);
const room = channels.channel("room");
for (const session of sessions) room.add({ uid: session.uid, sessionId: session.id, connectorId: session.connectorId });
builder.build(0);
let batchesPerTick = 0;
measure("builder", (tick) => {
  room.broadcast("onState", stateBody);
  for (let i = 0; i < sessions.length; i++) builder.push(sessions[i]!.connectorId, sessions[i]!.id, "onAck", `{"tick":${tick},"seq":${i}}`);
  batchesPerTick = builder.build(tick).size;
});

// 2. Through the game API.
const game = defineGame({
  serverType: "arena",
  handlers: {},
  onTick(ctx) {
    ctx.channel("room").broadcast("onState", { tick: ctx.tick, event: "x".repeat(70) });
    for (let i = 0; i < sessions.length; i++) ctx.pushTo(sessions[i]!, "onAck", { tick: ctx.tick, seq: i });
  },
});
const runtime = new GameRuntime(game, { serverId: "arena-1", tickHz: 20, connectors: { call: async () => undefined } });
for (const session of sessions) runtime.gameChannel("room").add(session);
measure("game API", (tick) => void runtime.runTick(tick, 50));

// 3. Plus the RPC encoding of each batch.
const writer = new FrameWriter();
let wireBytes = 0;
measure("game API + wire", (tick) => {
  for (const batch of runtime.runTick(tick, 50).values()) writeNotify(writer, "connector.batch", batch);
  wireBytes = 0;
  for (const chunk of writer.take()) wireBytes += chunk.byteLength;
});

console.log(`${PLAYERS} players over ${CONNECTORS} connectors, ${batchesPerTick} batches per tick, ${wireBytes} bytes on the wire per tick, ${TICKS} ticks`);
