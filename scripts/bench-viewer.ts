/**
 * What the viewer relay costs (docs/game-creator.md, "Viewer stream"): two arena replicas of one game
 * as processes on a private redis-server, `--players` joined on each (one room of up to 50 per 50),
 * one viewer on replica 1 for `--seconds`. Prints the latency from a replica's tick end to the viewer,
 * for replica 1's own part (the path without the relay) and for replica 2's part (through Redis and
 * merged at replica 1's next tick): the difference is what the relay adds. And the Redis traffic per
 * tick per replica: the part's bytes (PUBLISH payload) and redis-server's own byte counters.
 *
 *   npx tsx scripts/bench-viewer.ts --players 50 --seconds 10 [--tick-hz 20]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { BackendMethod, ConnectorMethod, type ForwardedRequest } from "../services/src/cluster/contract";
import { ServiceDiscovery } from "../services/src/discovery";
import { createRedisClient } from "../services/src/redis";
import { RpcClient } from "../services/src/rpc";
import { ManagedProcess } from "./local-cluster/processes";
import { startRedis } from "./local-cluster/redis";

const { values } = parseArgs({ options: { players: { type: "string", default: "50" }, seconds: { type: "string", default: "10" }, "tick-hz": { type: "string", default: "20" } } });
const PLAYERS = Number(values.players);
const SECONDS = Math.min(20, Number(values.seconds));
const TICK_HZ = Number(values["tick-hz"]);
const ROOT = path.resolve(__dirname, "..");
const NS = "benchviewer";

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "pomona-bench-viewer-"));
  const password = randomBytes(18).toString("base64url");
  const redisPort = await freePort();
  const redisUrl = `redis://:${password}@127.0.0.1:${redisPort}`;
  const redis = await startRedis({ port: redisPort, password, workDir, log: null });
  const replicas: Array<{ id: string; http: number; process: ManagedProcess }> = [];
  const rpc = new RpcClient({ serverId: "bench-connector", requestTimeoutMs: 5_000 });
  // The players' own tick batches: not what is measured here.
  rpc.onNotify(ConnectorMethod.batch, () => undefined);
  const watcher = new ServiceDiscovery({ redis: { url: redisUrl }, namespace: NS, resyncIntervalMs: 100 });
  const admin = createRedisClient({ url: redisUrl });
  let viewer: WebSocket | undefined;
  try {
    for (const id of ["bench-1", "bench-2"]) {
      const http = await freePort();
      const env = { REDIS_URL: redisUrl, SERVER_ID: id, HOST: "127.0.0.1", PORT: String(await freePort()), HTTP_PORT: String(http), GAME_ID: "bench", TICK_HZ: String(TICK_HZ), POMONA_NAMESPACE: NS };
      replicas.push({ id, http, process: ManagedProcess.node(id, "services/games/arena/main.ts", env, ROOT, null) });
    }
    await Promise.all(replicas.map((replica) => replica.process.waitFor("ready", 30_000)));
    await watcher.start();
    await admin.connect();
    for (const { id } of replicas) {
      while (watcher.get(id) === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.all(
        Array.from({ length: PLAYERS }, (_, i) => {
          const request: ForwardedRequest = { session: { id: `${id}-p${i}`, connectorId: "bench-connector", uid: null, settings: {} }, route: "arena.room.join", body: Buffer.from(JSON.stringify({ name: `${id}-p${i}` })) };
          return rpc.call(watcher.get(id)!, BackendMethod.request, request);
        }),
      );
    }

    const own: number[] = [];
    const peer: number[] = [];
    const seen = new Map<string, number>();
    viewer = new WebSocket(`ws://127.0.0.1:${replicas[0].http}/game-bench`);
    viewer.on("message", (data) => {
      const receivedAt = Date.now();
      const message = JSON.parse(data.toString()) as { replicas: Array<{ server: string; tick: number; at: number }> };
      for (const part of message.replicas) {
        if (seen.get(part.server) === part.tick) continue;
        seen.set(part.server, part.tick);
        (part.server === "bench-1" ? own : peer).push(receivedAt - part.at);
      }
    });
    await new Promise((resolve) => viewer!.once("open", resolve));
    // The peer's parts flow every tick once its first PUBLISH found a subscriber (within the 1 s probe).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    own.length = 0;
    peer.length = 0;
    const info = async () => (await (await fetch(`http://127.0.0.1:${replicas[1].http}/game-bench`)).json()) as { tick: number; relay: { partsPublished: number; bytesPublished: number; publishSkipped: number } };
    const redisBytes = async () => {
      const stats = String(await admin.info("stats"));
      return { input: Number(/total_net_input_bytes:(\d+)/.exec(stats)![1]), output: Number(/total_net_output_bytes:(\d+)/.exec(stats)![1]) };
    };
    const [before, redisBefore] = [await info(), await redisBytes()];
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const [after, redisAfter] = [await info(), await redisBytes()];

    const ticks = after.tick - before.tick;
    const parts = after.relay.partsPublished - before.relay.partsPublished;
    const bytes = after.relay.bytesPublished - before.relay.bytesPublished;
    own.sort((a, b) => a - b);
    peer.sort((a, b) => a - b);
    const result = {
      players_per_replica: PLAYERS,
      tick_hz: TICK_HZ,
      seconds: SECONDS,
      own_part_ms: { p50: percentile(own, 50), p99: percentile(own, 99), n: own.length },
      peer_part_ms: { p50: percentile(peer, 50), p99: percentile(peer, 99), n: peer.length },
      added_ms: { p50: percentile(peer, 50) - percentile(own, 50), p99: percentile(peer, 99) - percentile(own, 99) },
      replica2_ticks: ticks,
      replica2_parts_published: parts,
      publish_skipped: after.relay.publishSkipped - before.relay.publishSkipped,
      part_bytes_per_tick: Math.round(bytes / ticks),
      redis_in_bytes_per_tick_all: Math.round((redisAfter.input - redisBefore.input) / ticks),
      redis_out_bytes_per_tick_all: Math.round((redisAfter.output - redisBefore.output) / ticks),
    };
    console.log(JSON.stringify(result));
  } finally {
    viewer?.terminate();
    rpc.close();
    admin.disconnect();
    await watcher.stop();
    await Promise.all(replicas.map((replica) => replica.process.kill()));
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
