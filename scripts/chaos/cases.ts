/**
 * The fault cases of `npm run chaos` (docs/reliability.md): each injects one fault into a live local
 * cluster under a steady load of players, says what it measured on top of the players' own timings,
 * and states its promises as checks (scripts/chaos/promises.ts). Bounded in time: the longest waits
 * 30 s with the fault in place; `quick` (the tests) shortens the long faults.
 */
import WebSocket from "ws";
import { issueConnectToken } from "../../services/src/auth";
import { PomeloSocket } from "../../services/src/client/pomelo-socket";
import { ServiceDiscovery } from "../../services/src/discovery";
import { encodePackage, PackageType, parseHandshakeResponse, decodePackages } from "../../services/src/protocol";
import { createRedisClient } from "../../services/src/redis";
import path from "node:path";
import type { EphemeralCluster } from "../local-cluster/ephemeral";
import { NginxProcess } from "../local-cluster/nginx";
import { NAMESPACE, type ClusterPlan } from "../local-cluster/plan";
import { nodeWebSocket } from "../local-cluster/node-websocket";
import { freePortRange } from "../local-cluster/ports";
import { killQuietly } from "../local-cluster/processes";
import { RedisServer } from "../../test/helpers/redis-server";
import { FaultProxy } from "./fault-proxy";
import { sleep, type CaseContext, type ChaosCase, type Wiring } from "./harness";
import { atMost, equal, everyoneContinued, exactSet, noFailedRequests, onlyThese, type JudgedPlayer } from "./promises";

/** Discovery's lease TTL (the default of services/src/discovery/options.ts): how long a silent server stays listed. */
const TTL_S = 3;
/** Detection bounds of the acceptance: a killed process at once (RPC links drop), a paused one within the TTL and a resync. */
const KILLED_DETECT_S = 2;
const PAUSED_DETECT_S = TTL_S + 1;
/**
 * A killed connector's last player is back within this: measured 0.3–0.8 s on an idle machine (4 runs),
 * 2.1 and 3.0 s at a load average of 25–30 on the 2 cores (other suites running).
 */
const CONNECTOR_RECOVER_S = 5;
/** The storm's retry (200 ms) plus a login under load (a whole storm took 3.9 s at a load average of ~20). */
const STORM_AFTER_GATE_S = 5;
const onArena1 = (player: JudgedPlayer) => player.atFault.server === "arena-1";
const indexOf = (player: JudgedPlayer) => Number(player.uid.slice(player.uid.lastIndexOf("-") + 1));

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
      ...(registeredMs === undefined ? {} : { recoverMs: seconds * 1000 + performance.now() - startedMs }),
      figures: { reregisteredAfterRestartS: registeredMs === undefined ? "never" : Math.round(registeredMs) / 1000 },
      checks: [equal("every server registered again within 10 s", registeredMs !== undefined, true), equal("a new login works after the restart", login, true)],
    };
  };
}

/** The incarnation under which `id` is registered now, if it is. */
async function registeredIncarnation(cluster: EphemeralCluster, id: string): Promise<string | undefined> {
  const watcher = new ServiceDiscovery({ redis: { url: cluster.plan.redis.url }, namespace: NAMESPACE });
  try {
    await watcher.start();
    return watcher.members().find((member) => member.id === id)?.incarnation;
  } finally {
    await watcher.stop();
  }
}

/**
 * arena-1 frozen (SIGSTOP) or stalled (a busy event loop) past its lease, then running again: the
 * cluster moves its players, and it registers again and serves on without them — no exit.
 */
function pauseArena1(how: "sigstop" | "stall", seconds: number): ChaosCase["run"] {
  return async (ctx) => {
    const victim = ctx.cluster.servers.get("arena-1")!;
    const before = await registeredIncarnation(ctx.cluster, "arena-1");
    ctx.injected();
    if (how === "sigstop") {
      victim.signal("SIGSTOP");
      await sleep(seconds * 1000);
      victim.signal("SIGCONT");
    } else {
      victim.signal("SIGURG");
      await sleep(seconds * 1000);
    }
    const deadline = performance.now() + 5_000;
    let after = await registeredIncarnation(ctx.cluster, "arena-1");
    while ((after === undefined || after === before) && performance.now() < deadline) {
      await sleep(200);
      after = await registeredIncarnation(ctx.cluster, "arena-1");
    }
    return { checks: [equal("arena-1 registered again under a new incarnation within 5 s", after !== undefined && after !== before, true)] };
  };
}

/** arena-1 behind a proxy that tells connector-0's link from connector-1's: it listens on 127.0.0.2 and is published on 127.0.0.1. */
async function wireConnectorToArena1(plan: ClusterPlan): Promise<Wiring> {
  const arena1 = plan.processes.find((p) => p.name === "arena-1")!;
  const proxy = await FaultProxy.start({
    listen: { host: "127.0.0.1", port: arena1.port },
    target: { host: "127.0.0.2", port: arena1.port },
    // The RPC hello names the dialling connector.
    classify: (chunk) => (chunk.includes("connector-0") ? "connector-0" : "other"),
  });
  return { env: { "arena-1": { LISTEN_HOST: "127.0.0.2", HTTP_HOST: "127.0.0.1" } }, proxies: new Map([["connector-0→arena-1", proxy]]) };
}

/** arena-1 reaches Redis through a proxy; everyone else directly. */
async function wireArena1ToRedis(plan: ClusterPlan): Promise<Wiring> {
  const port = await freePortRange(1);
  const proxy = await FaultProxy.start({ listen: { host: "127.0.0.1", port }, target: { host: "127.0.0.1", port: plan.redis.port } });
  const url = plan.redis.url.replace(`:${plan.redis.port}`, `:${port}`);
  return { env: { "arena-1": { REDIS_URL: url } }, proxies: new Map([["arena-1→redis", proxy]]) };
}

function faultFor(ctx: CaseContext, proxy: string, label: string, fault: Parameters<FaultProxy["set"]>[1], seconds: number): Promise<void> {
  const target = ctx.proxies.get(proxy)!;
  ctx.injected();
  target.set(label, fault);
  return sleep(seconds * 1000).then(() => target.set(label, { kind: "pass" }));
}

/**
 * Redis as a primary, a replica and a Sentinel (test/helpers/redis-server.ts); every server of the
 * cluster finds the primary through the Sentinel. The case kills the primary; the Sentinel promotes
 * the replica.
 */
function sentinelFailover(): ChaosCase {
  const MASTER = "chaos";
  let trio: { primary: RedisServer; replica: RedisServer; sentinel: RedisServer } | undefined;
  return {
    name: "redis-sentinel-failover",
    fault: "SIGKILL the Redis primary; Sentinel promotes the replica",
    promise: "no request fails, everyone continues; the replica is promoted and every server registers on it; a new login works",
    async wire(plan) {
      const primary = await RedisServer.start({ password: plan.redis.password });
      const replica = await RedisServer.start({ password: plan.redis.password, replicaOf: primary });
      const sentinel = await RedisServer.start({ sentinel: { master: primary, masterName: MASTER, downAfterMs: 1_000, failoverTimeoutMs: 5_000 } });
      trio = { primary, replica, sentinel };
      const deadline = performance.now() + 15_000;
      while (!(await sentinel.command("SENTINEL", "replicas", MASTER)).includes(String(replica.port))) {
        if (performance.now() > deadline) throw new Error("the Sentinel never saw the replica");
        await sleep(200);
      }
      const env = { REDIS_URL: primary.url, REDIS_SENTINELS: `${sentinel.host}:${sentinel.port}`, REDIS_SENTINEL_MASTER: MASTER };
      return {
        env: Object.fromEntries(plan.processes.map((planned) => [planned.name, env])),
        dispose: () => Promise.all([sentinel.dispose(), replica.dispose(), primary.dispose()]).then(() => undefined),
      };
    },
    async run(ctx) {
      const { primary, replica, sentinel } = trio!;
      ctx.injected();
      const killedMs = performance.now();
      await primary.kill();
      let promotedMs: number | undefined;
      while (promotedMs === undefined && performance.now() - killedMs < 20_000) {
        if ((await sentinel.command("SENTINEL", "get-master-addr-by-name", MASTER)).endsWith(String(replica.port))) promotedMs = performance.now() - killedMs;
        else await sleep(100);
      }
      await sleep(3_000);
      const watcher = new ServiceDiscovery({ redis: { url: replica.url }, namespace: NAMESPACE });
      await watcher.start();
      const registered = watcher.members().length;
      await watcher.stop();
      const login = await newLoginWorks(ctx.cluster, "after-failover");
      return {
        figures: { promotedAfterS: promotedMs === undefined ? "never" : Math.round(promotedMs) / 1000 },
        checks: [
          equal("the replica was promoted", promotedMs !== undefined, true),
          equal("every server registered on the promoted replica", registered, ctx.cluster.plan.processes.length),
          equal("a new login works after the failover", login, true),
        ],
      };
    },
    promises: (view) => [...everyoneContinued(view.players), noFailedRequests(view.players)],
  };
}

/** New players log in (gate, connector, join) until all have, each retrying on failure like a game client. */
async function loginStorm(ctx: CaseContext, count: number, deadlineMs: number): Promise<{ joined: number; lastJoinedMs: number; lastError: string }> {
  const startedMs = performance.now();
  let lastJoinedMs = 0;
  let lastError = "";
  const results = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      while (performance.now() - startedMs < deadlineMs) {
        const client = ctx.cluster.client(`storm-${i}`, { reconnect: false });
        try {
          await client.connect();
          await client.request("arena.room.join", {});
          ctx.onCleanup(() => client.close());
          lastJoinedMs = Math.max(lastJoinedMs, performance.now() - startedMs);
          return true;
        } catch (error) {
          lastError = (error as Error).message;
          client.close();
          await sleep(200);
        }
      }
      return false;
    }),
  );
  return { joined: results.filter(Boolean).length, lastJoinedMs, lastError };
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

export function chaosCases(quick = false): ChaosCase[] {
  const stopSeconds = quick ? 6 : 30;
  const longRedisSeconds = quick ? 10 : 30;
  return [
  {
    name: "game-sigkill",
    fault: "SIGKILL a game server",
    promise: `exactly arena-1's players rebound, the rest continue; detected ≤ ${KILLED_DETECT_S} s`,
    run: sigkill("arena-1"),
    promises: (view) => [...onlyThese(view.players, onArena1, "rebound"), atMost("detect_server_s", view.detectServerS, KILLED_DETECT_S)],
  },
  {
    name: "game-sigstop",
    fault: `SIGSTOP a game server ${stopSeconds} s, then SIGCONT`,
    promise: `exactly arena-1's players rebound (detected ≤ TTL + 1 = ${PAUSED_DETECT_S} s); after SIGCONT arena-1 registers again under a new incarnation, drops the moved players and serves on (no exit)`,
    settleMs: 5_000,
    run: pauseArena1("sigstop", stopSeconds),
    promises: (view) => [...onlyThese(view.players, onArena1, "rebound"), atMost("detect_server_s", view.detectServerS, PAUSED_DETECT_S)],
  },
  {
    name: "game-stall-5s",
    fault: "a game server's event loop blocked 5 s, sockets open",
    promise: `exactly arena-1's players rebound (detected ≤ ${PAUSED_DETECT_S} s); arena-1 registers again under a new incarnation and drops them (no exit)`,
    wire: async () => ({ env: { "arena-1": { NODE_OPTIONS: `--require ${path.join(__dirname, "stall-hook.cjs")}`, CHAOS_STALL_MS: "5000" } } }),
    run: pauseArena1("stall", 5),
    promises: (view) => [...onlyThese(view.players, onArena1, "rebound"), atMost("detect_server_s", view.detectServerS, PAUSED_DETECT_S)],
  },
  {
    name: "game-sigterm",
    fault: "SIGTERM a game server (drain 3 s, then hand over)",
    promise: "arena-1 exits 0; exactly its players rebound after the drain, the rest continue",
    cluster: { drainTimeoutMs: 3_000 },
    run: sigterm("arena-1"),
    promises: (view) => onlyThese(view.players, onArena1, "rebound"),
  },
  {
    name: "partition-connector-game-8s",
    fault: "partition connector-0 ↔ arena-1 for 8 s (bytes held, then delivered)",
    promise: "requests fail (timeouts) for exactly connector-0's players on arena-1 and for nobody else; nobody is rebound, disconnected or loses a move",
    wire: wireConnectorToArena1,
    run: (ctx) => faultFor(ctx, "connector-0→arena-1", "connector-0", { kind: "hold" }, 8),
    promises: (view) => [
      exactSet("failed requests: exactly connector-0's players on arena-1", view.players.filter((p) => p.failures > 0).map((p) => p.uid), view.players.filter((p) => onArena1(p) && p.atFault.connector === "connector-0").map((p) => p.uid)),
      ...everyoneContinued(view.players),
    ],
  },
  {
    name: "latency-connector-game-300ms",
    fault: "300 ms added each way connector-0 ↔ arena-1 for 5 s",
    promise: "nobody notices beyond the delay: no failed request, everyone continues",
    wire: wireConnectorToArena1,
    run: (ctx) => faultFor(ctx, "connector-0→arena-1", "connector-0", { kind: "latency", ms: 300 }, 5),
    promises: (view) => [...everyoneContinued(view.players), noFailedRequests(view.players)],
  },
  {
    name: "partition-game-redis-6s",
    fault: "partition arena-1 ↔ Redis for 6 s",
    promise: `arena-1's lease expires: exactly its players rebound (detected ≤ ${PAUSED_DETECT_S} s); healed, arena-1 registers again, drops the moved players and serves on (no exit)`,
    wire: wireArena1ToRedis,
    async run(ctx) {
      await faultFor(ctx, "arena-1→redis", "*", { kind: "hold" }, 6);
      await sleep(2_000);
    },
    promises: (view) => [...onlyThese(view.players, onArena1, "rebound"), atMost("detect_server_s", view.detectServerS, PAUSED_DETECT_S)],
  },
  {
    name: "redis-kill-5s",
    fault: "SIGKILL Redis for 5 s, restart it empty",
    promise: "no request fails, everyone continues; every server registers again; a new login works",
    run: killRedisFor(5),
    promises: (view) => [...everyoneContinued(view.players), noFailedRequests(view.players)],
  },
  {
    name: "redis-kill-long",
    fault: `SIGKILL Redis for ${longRedisSeconds} s, restart it empty`,
    promise: "no request fails, everyone continues; every server registers again; a new login works",
    settleMs: 5_000,
    run: killRedisFor(longRedisSeconds),
    promises: (view) => [...everyoneContinued(view.players), noFailedRequests(view.players)],
  },
  sentinelFailover(),
  {
    name: "redis-pause-3s",
    fault: "CLIENT PAUSE Redis 3 s",
    promise: "no request fails, everyone continues",
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
    promises: (view) => [...everyoneContinued(view.players), noFailedRequests(view.players)],
  },
  {
    name: "connector-sigkill",
    fault: "SIGKILL a connector",
    promise: `exactly connector-1's players resume elsewhere with their state (recovered ≤ ${CONNECTOR_RECOVER_S} s), the rest continue`,
    run: sigkill("connector-1"),
    promises: (view) => [...onlyThese(view.players, (p) => p.atFault.connector === "connector-1", "resumed"), atMost("recover_s", view.recoverS, CONNECTOR_RECOVER_S)],
  },
  {
    name: "connector-sigterm",
    fault: "SIGTERM a connector (drain, 1 s spread)",
    promise: "connector-1 exits 0; exactly its players resume elsewhere; only a request in flight at a player's kick may fail (≤ 1 each), nobody else's",
    cluster: { drainSpreadMs: 1_000, drainTimeoutMs: 10_000 },
    run: sigterm("connector-1"),
    promises: (view) => {
      const drained = (p: JudgedPlayer) => p.atFault.connector === "connector-1";
      return [
        ...onlyThese(view.players, drained, "resumed"),
        equal("failed requests of players not drained", view.players.filter((p) => !drained(p)).reduce((sum, p) => sum + p.failures, 0), 0),
        exactSet("drained players with more than the one request in flight at their kick failing", view.players.filter((p) => drained(p) && p.failures > 1).map((p) => p.uid), []),
      ];
    },
  },
  {
    name: "nginx-reload",
    fault: "nginx -s reload, twice, under load",
    promise: "nobody notices: no failed request, everyone continues",
    cluster: { mode: "subdomain" },
    async run(ctx) {
      ctx.injected();
      ctx.cluster.nginx!.reload();
      await sleep(2_000);
      ctx.cluster.nginx!.reload();
      await sleep(2_000);
    },
    promises: (view) => [...everyoneContinued(view.players), noFailedRequests(view.players)],
  },
  {
    name: "nginx-sigkill",
    fault: "SIGKILL nginx (master and workers), restart it 1 s later",
    promise: "every player (all come through nginx) disconnects and resumes with its state; nobody ends",
    cluster: { mode: "subdomain" },
    async run(ctx) {
      const nginx = ctx.cluster.nginx!;
      ctx.injected();
      for (const pid of [nginx.child.pid!, ...nginx.workers()]) killQuietly(pid);
      await sleep(1_000);
      const restarted = await NginxProcess.start(nginx.prefix, nginx.conf, nginx.port);
      ctx.onCleanup(() => restarted.stop());
    },
    promises: (view) => onlyThese(view.players, () => true, "resumed"),
  },
  {
    name: "gate-sigkill-login-storm",
    fault: "SIGKILL the gate during a storm of 50 new logins, restart it 1 s later",
    promise: `every storm login gets in (retrying), the last within ${STORM_AFTER_GATE_S} s of the restarted gate's ready; the players already in continue`,
    async run(ctx) {
      ctx.expectExit("gate");
      const startedMs = performance.now();
      const storm = loginStorm(ctx, 50, 60_000);
      await sleep(100);
      ctx.injected();
      await ctx.cluster.servers.get("gate")!.kill();
      await sleep(1_000);
      await ctx.restartServer("gate");
      const gateReadyS = (performance.now() - startedMs) / 1000;
      const { joined, lastJoinedMs, lastError } = await storm;
      if (joined < 50) ctx.note(`storm logins failing with: ${lastError}`);
      const afterGateS = Math.max(0, Math.round(lastJoinedMs - gateReadyS * 1000) / 1000);
      return {
        extraSessions: joined,
        figures: { stormJoined: joined, gateReadyAgainS: Math.round(gateReadyS * 100) / 100, stormLastJoinedS: Math.round(lastJoinedMs) / 1000 },
        checks: [equal("every storm login got in", joined, 50), atMost("last storm login after the gate was ready (s)", afterGateS, STORM_AFTER_GATE_S)],
      };
    },
    promises: (view) => [...everyoneContinued(view.players), noFailedRequests(view.players)],
  },
  {
    name: "slow-readers-10pct",
    fault: "10 % of clients stop reading (heartbeat 2 s)",
    promise: "exactly the slow readers disconnect (their own watchdog) and resume with their state; the connectors release their sockets; nobody else notices",
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
        detectClientMs: detectedMs,
        figures: { slowClients: slow.length, connectorClosesDelta: after.closes - before.closes, connectorRssMiB: `${before.rssMiB} → ${after.rssMiB}` },
        checks: [equal("the connectors released every slow reader's socket", after.closes - before.closes, slow.length)],
      };
    },
    promises: (view) => [...onlyThese(view.players, (player) => indexOf(player) % 10 === 0, "resumed"), atMost("detect_client_s (2 × heartbeat + 1.5)", view.detectClientS, 2 * 2 + 1.5)],
  },
  {
    name: "silent-client",
    fault: "10 clients stop heartbeating (heartbeat 2 s)",
    promise: "exactly the silent clients are closed 4002 within 2 × heartbeat + 1.5 s; every player continues",
    cluster: { heartbeatSec: 2 },
    async run(ctx) {
      const silent = await Promise.all(Array.from({ length: 10 }, (_, i) => silentClient(ctx.cluster, `silent-${i}`)));
      ctx.onCleanup(() => silent.forEach(({ socket }) => socket.terminate()));
      ctx.injected();
      const startedMs = performance.now();
      const closes = await Promise.race([Promise.all(silent.map((s) => s.closed)), sleep(15_000).then(() => undefined)]);
      const codes = closes?.map((close) => close.code) ?? [];
      return {
        ...(closes === undefined ? {} : { detectServerMs: Math.max(...closes.map((close) => close.atMs - startedMs)) }),
        figures: { silentClients: silent.length },
        checks: [exactSet("closed 4002: exactly the silent clients", codes.flatMap((code, i) => (code === 4002 ? [`silent-${i}`] : [])), silent.map((_, i) => `silent-${i}`))],
      };
    },
    promises: (view) => [...everyoneContinued(view.players), atMost("detect_server_s (2 × heartbeat + 1.5)", view.detectServerS, 2 * 2 + 1.5)],
  },
  {
    name: "reconnect-races-1000",
    fault: "1,000 fast reconnects: a new login while the old socket closes",
    promise: "every uid's last login holds, in the connector and in Redis; every player continues",
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
      return { figures: { races, lastLoginHolds: uids.length - anomalies }, checks: [equal("races run", races, 1_000), equal("anomalies", anomalies, 0)] };
    },
    promises: (view) => everyoneContinued(view.players),
  },
  {
    name: "duplicate-login-1000",
    fault: "the same uid logs in 1,000 times, alternately on both connectors",
    promise: "each of the 999 displaced sessions is kicked exactly once (4001 duplicate login), the last holds; every player continues",
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
      return {
        figures: { logins: sockets.length, displacedKickedExactlyOnce: kickedOnce },
        checks: [equal("displaced sessions kicked exactly once", kickedOnce, 999), equal("the last login holds", lastOpen, true)],
      };
    },
    promises: (view) => everyoneContinued(view.players),
  },
  ];
}

export const CASES: readonly ChaosCase[] = chaosCases();

export function caseNamed(name: string, quick = false): ChaosCase {
  const cases = quick ? chaosCases(true) : CASES;
  const found = cases.find((chaosCase) => chaosCase.name === name);
  if (found === undefined) throw new Error(`no chaos case "${name}"; the cases are: ${cases.map((c) => c.name).join(", ")}`);
  return found;
}
