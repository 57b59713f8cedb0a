/**
 * The fault cases of `npm run chaos` (docs/reliability.md): each injects one fault into a live local
 * cluster under a steady load of players and says what it measured on top of the players' own
 * timings. Bounded in time: the longest waits 30 s with the fault in place.
 */
import WebSocket from "ws";
import { issueConnectToken } from "../../services/src/auth";
import { PomeloSocket } from "../../services/src/client/pomelo-socket";
import { ServiceDiscovery } from "../../services/src/discovery";
import { encodePackage, PackageType, parseHandshakeResponse, decodePackages } from "../../services/src/protocol";
import { createRedisClient } from "../../services/src/redis";
import type { EphemeralCluster } from "../local-cluster/ephemeral";
import { NAMESPACE } from "../local-cluster/plan";
import { nodeWebSocket } from "../local-cluster/node-websocket";
import { sleep, type ChaosCase } from "./harness";

/** SIGKILL: no goodbye, no drain. */
function sigkill(name: string): ChaosCase["run"] {
  return async (ctx) => {
    ctx.expectExit(name);
    ctx.injected();
    await ctx.cluster.servers.get(name)!.kill();
    await sleep(3_000);
  };
}

/** SIGTERM: the server drains and must exit 0. */
function sigterm(name: string): ChaosCase["run"] {
  return async (ctx) => {
    const victim = ctx.cluster.servers.get(name)!;
    ctx.expectExit(name, 0);
    ctx.injected();
    victim.signal("SIGTERM");
    await victim.exit;
    await sleep(2_000);
  };
}

/** Every server of the plan is in the registry again (after Redis came back empty). */
async function waitRegistered(cluster: EphemeralCluster, timeoutMs: number): Promise<number | undefined> {
  const watcher = new ServiceDiscovery({ redis: { url: cluster.plan.redis.url }, namespace: NAMESPACE, resyncIntervalMs: 100 });
  const startedMs = performance.now();
  try {
    await watcher.start();
    const wanted = cluster.plan.processes.length;
    while (watcher.members().length < wanted) {
      if (performance.now() - startedMs > timeoutMs) return undefined;
      await sleep(50);
    }
    return performance.now() - startedMs;
  } finally {
    await watcher.stop();
  }
}

/** A new player logs in and joins: the front door works. */
async function newLoginWorks(cluster: EphemeralCluster, uid: string): Promise<boolean> {
  const client = cluster.client(uid, { reconnect: false });
  try {
    await client.connect();
    await client.request("arena.room.join", {});
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Connections the connectors closed (any reason) and their memory, from their /metrics. */
async function connectorTotals(cluster: EphemeralCluster): Promise<{ closes: number; rssMiB: number }> {
  let closes = 0;
  let rss = 0;
  for (const planned of cluster.plan.processes.filter((p) => p.role === "connector")) {
    const text = await (await fetch(`http://127.0.0.1:${planned.port}/metrics`)).text();
    for (const match of text.matchAll(/^pomona_connector_closes_total\{[^}]*\} (\d+)/gm)) closes += Number(match[1]);
    rss += Number(/^pomona_process_resident_memory_bytes\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? "0");
  }
  return { closes, rssMiB: Math.round(rss / 2 ** 20) };
}

function killRedisFor(seconds: number): ChaosCase["run"] {
  return async (ctx) => {
    ctx.expectExit("redis");
    ctx.injected();
    await ctx.cluster.redis.kill();
    await sleep(seconds * 1000);
    const startedMs = performance.now();
    await ctx.restartRedis();
    const registeredMs = await waitRegistered(ctx.cluster, 10_000);
    const login = await newLoginWorks(ctx.cluster, `after-redis-${seconds}`);
    return {
      recoverMs: registeredMs === undefined ? undefined : seconds * 1000 + performance.now() - startedMs,
      checks: { reregisteredAfterRestartS: registeredMs === undefined ? "never" : Math.round(registeredMs) / 1000, newLoginAfterRestart: login ? "ok" : "failed" },
    };
  };
}

/** Handshakes, acknowledges, then says nothing ever again (no heartbeats). */
async function silentClient(cluster: EphemeralCluster, uid: string): Promise<{ closed: Promise<{ code: number; atMs: number }>; socket: WebSocket }> {
  const entry = (await (await fetch(`http://127.0.0.1:${cluster.plan.options.gatePort}/entry?uid=${uid}`)).json()) as { url: string };
  const socket = new WebSocket(entry.url);
  const closed = new Promise<{ code: number; atMs: number }>((resolve) => socket.once("close", (code) => resolve({ code, atMs: performance.now() })));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("open", () => socket.send(encodePackage(PackageType.Handshake, Buffer.from(JSON.stringify({ sys: { type: "silent" }, user: {} })))));
    socket.once("message", (data: Buffer) => {
      const [first] = decodePackages(data, 1 << 20);
      if (first?.type !== PackageType.Handshake || parseHandshakeResponse(first.body).code !== 200) reject(new Error("handshake refused"));
      socket.send(encodePackage(PackageType.HandshakeAck));
      resolve();
    });
  });
  return { closed, socket };
}

export const CASES: readonly ChaosCase[] = [
  {
    name: "game-sigkill",
    fault: "SIGKILL a game server",
    run: sigkill("arena-1"),
  },
  {
    name: "game-sigstop-30s",
    fault: "SIGSTOP a game server 30 s, then SIGCONT",
    settleMs: 5_000,
    async run(ctx) {
      const victim = ctx.cluster.servers.get("arena-1")!;
      ctx.injected();
      victim.signal("SIGSTOP");
      await sleep(30_000);
      victim.signal("SIGCONT");
      // Its lease expired while frozen and peers moved its players: it must not come back as itself.
      ctx.expectExit("arena-1", 1);
      const exited = await Promise.race([victim.exit.then(() => true), sleep(10_000).then(() => false)]);
      ctx.note(exited ? "after SIGCONT arena-1 found its lease lost and exited 1 (by design); restarted as a new incarnation" : "arena-1 did not exit after SIGCONT");
      if (exited) await ctx.restartServer("arena-1");
    },
  },
  {
    name: "game-sigterm",
    fault: "SIGTERM a game server (drain 3 s, then hand over)",
    cluster: { drainTimeoutMs: 3_000 },
    run: sigterm("arena-1"),
  },
  { name: "redis-kill-5s", fault: "SIGKILL Redis for 5 s, restart it empty", run: killRedisFor(5) },
  { name: "redis-kill-30s", fault: "SIGKILL Redis for 30 s, restart it empty", settleMs: 5_000, run: killRedisFor(30) },
  {
    name: "redis-pause-3s",
    fault: "CLIENT PAUSE Redis 3 s",
    async run(ctx) {
      const admin = createRedisClient({ url: ctx.cluster.plan.redis.url, connectionName: "chaos-admin" });
      await admin.connect();
      try {
        ctx.injected();
        await admin.call("CLIENT", "PAUSE", "3000", "ALL");
        await sleep(5_000);
      } finally {
        admin.disconnect();
      }
    },
  },
  {
    name: "connector-sigkill",
    fault: "SIGKILL a connector",
    run: sigkill("connector-1"),
  },
  {
    name: "connector-sigterm",
    fault: "SIGTERM a connector (drain, 1 s spread)",
    cluster: { drainSpreadMs: 1_000, drainTimeoutMs: 10_000 },
    run: sigterm("connector-1"),
  },
  {
    name: "nginx-reload",
    fault: "nginx -s reload, twice, under load",
    cluster: { mode: "subdomain" },
    async run(ctx) {
      ctx.injected();
      ctx.cluster.nginx!.reload();
      await sleep(2_000);
      ctx.cluster.nginx!.reload();
      await sleep(2_000);
    },
  },
  {
    name: "slow-readers-10pct",
    fault: "10 % of clients stop reading (heartbeat 2 s)",
    // A socket that is not read still fills the kernel's buffers (MBs on loopback) before the
    // connector's 64 KiB limit: the client's own heartbeat watchdog notices first, and resumes.
    cluster: { connectorMaxBackpressureBytes: 64 * 1024, heartbeatSec: 2 },
    async run(ctx) {
      const slow = ctx.players.filter((_, i) => i % 10 === 0);
      const before = await connectorTotals(ctx.cluster);
      const stalled = slow.map((player) => player.sockets.at(-1) as unknown as { _socket: { pause(): void; resume(): void } });
      ctx.onCleanup(() => stalled.forEach((socket) => socket._socket.resume()));
      ctx.injected();
      const startedMs = performance.now();
      for (const socket of stalled) socket._socket.pause();
      while (slow.some((player) => player.disconnects === 0) && performance.now() - startedMs < 30_000) await sleep(100);
      const detectedMs = performance.now() - startedMs;
      await sleep(2_000);
      const after = await connectorTotals(ctx.cluster);
      return {
        detectMs: detectedMs,
        checks: {
          slowClients: slow.length,
          slowDisconnected: slow.filter((player) => player.disconnects > 0).length,
          connectorClosesDelta: after.closes - before.closes,
          connectorRssMiB: `${before.rssMiB} → ${after.rssMiB}`,
        },
      };
    },
  },
  {
    name: "silent-client",
    fault: "10 clients stop heartbeating (heartbeat 2 s)",
    cluster: { heartbeatSec: 2 },
    async run(ctx) {
      const silent = await Promise.all(Array.from({ length: 10 }, (_, i) => silentClient(ctx.cluster, `silent-${i}`)));
      ctx.onCleanup(() => silent.forEach(({ socket }) => socket.terminate()));
      ctx.injected();
      const startedMs = performance.now();
      const closes = await Promise.race([Promise.all(silent.map((s) => s.closed)), sleep(15_000).then(() => undefined)]);
      const codes = closes?.map((close) => close.code) ?? [];
      return {
        ...(closes === undefined ? {} : { detectMs: Math.max(...closes.map((close) => close.atMs - startedMs)) }),
        checks: { silentClients: silent.length, closed4002: codes.filter((code) => code === 4002).length },
      };
    },
  },
  {
    name: "reconnect-races-1000",
    fault: "1,000 fast reconnects: a new login while the old socket closes",
    players: 50,
    async run(ctx) {
      const uids = Array.from({ length: 100 }, (_, i) => `racer-${i}`);
      const redis = createRedisClient({ url: ctx.cluster.plan.redis.url });
      await redis.connect();
      ctx.injected();
      let anomalies = 0;
      let races = 0;
      const last = await Promise.all(
        uids.map(async (uid) => {
          let current = ctx.cluster.client(uid, { reconnect: false });
          await current.connect();
          for (let round = 0; round < 10; round++) {
            const next = ctx.cluster.client(uid, { reconnect: false });
            // The race of Pitaya #251: the old close and the new login at the same time.
            await Promise.all([next.connect(), Promise.resolve().then(() => current.close())]);
            races++;
            current = next;
          }
          return current;
        }),
      );
      await sleep(500);
      for (const [index, client] of last.entries()) {
        try {
          const ping = await client.request<{ uid: string; sessionId: string }>("connector.session.ping");
          const holder = JSON.parse((await redis.get(`{${NAMESPACE}}:uid:${uids[index]}`)) ?? "{}") as { sessionId?: string };
          if (ping.uid !== uids[index] || holder.sessionId !== ping.sessionId) anomalies++;
        } catch {
          anomalies++;
        }
        client.close();
      }
      redis.disconnect();
      return { checks: { races, lastLoginHolds: uids.length - anomalies, anomalies } };
    },
  },
  {
    name: "duplicate-login-1000",
    fault: "the same uid logs in 1,000 times, alternately on both connectors",
    players: 50,
    async run(ctx) {
      const connectors = ctx.cluster.plan.processes.filter((p) => p.role === "connector");
      const sockets: PomeloSocket[] = [];
      const kicks = new Map<PomeloSocket, string[]>();
      const closes = new Map<PomeloSocket, number>();
      ctx.onCleanup(() => sockets.forEach((socket) => socket.close()));
      ctx.injected();
      for (let login = 0; login < 1_000; login++) {
        const target = connectors[login % connectors.length]!;
        const { token } = issueConnectToken({ secret: ctx.cluster.plan.options.tokenSecret, uid: "dup", connectorId: target.name, ttlMs: 60_000 });
        let socket: PomeloSocket | undefined;
        socket = await PomeloSocket.open(
          { url: `ws://127.0.0.1:${target.port}/?token=${token}`, createWebSocket: nodeWebSocket, timeoutMs: 5_000, sys: { type: "chaos" }, user: {} },
          { push: () => undefined, kick: (reason) => kicks.get(socket!)!.push(reason), close: (code) => closes.set(socket!, code) },
        );
        kicks.set(socket, []);
        sockets.push(socket);
        const previous = sockets.at(-2);
        if (previous !== undefined) {
          const deadline = performance.now() + 3_000;
          while (!closes.has(previous) && performance.now() < deadline) await sleep(1);
        }
      }
      await sleep(300);
      const displaced = sockets.slice(0, -1);
      const kickedOnce = displaced.filter((socket) => closes.get(socket) === 4001 && kicks.get(socket)!.length === 1 && kicks.get(socket)![0] === "duplicate login").length;
      const lastOpen = sockets.at(-1)!.isOpen && !closes.has(sockets.at(-1)!);
      return { checks: { logins: sockets.length, displacedKickedExactlyOnce: kickedOnce, lastLoginHolds: lastOpen ? "yes" : "no" } };
    },
  },
];

export function caseNamed(name: string): ChaosCase {
  const found = CASES.find((chaosCase) => chaosCase.name === name);
  if (found === undefined) throw new Error(`no chaos case "${name}"; the cases are: ${CASES.map((c) => c.name).join(", ")}`);
  return found;
}
