/**
 * Runs one fault case: a fresh local cluster (real processes on free ports), a steady load of SDK
 * players, the fault, a settling window, then the verdicts — who continued, was rebound, resumed,
 * reconnected, re-joined, ended with which reason, or hung; which processes exited that should not
 * have; which acknowledged moves the servers no longer hold — and the case's own promises, each a
 * check that passes or fails.
 */
import path from "node:path";
import { startEphemeralCluster, type EphemeralCluster } from "../local-cluster/ephemeral";
import type { ClusterPlan, LocalClusterInput } from "../local-cluster/plan";
import { ManagedProcess } from "../local-cluster/processes";
import { startRedis } from "../local-cluster/redis";
import type { FaultProxy } from "./fault-proxy";
import { startPlayers, type ChaosPlayer, type Outcome } from "./players";
import { equal, type Check, type JudgedPlayer } from "./promises";

const ROOT = path.resolve(__dirname, "../..");

/** What a case wires in before the cluster starts: extra environment per process, and the proxies it will fault. */
export interface Wiring {
  readonly env?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly proxies?: ReadonlyMap<string, FaultProxy>;
  /** Stops what the wiring started besides the proxies (a Sentinel and its replicas). */
  readonly dispose?: () => Promise<void>;
}

export interface CaseContext {
  readonly cluster: EphemeralCluster;
  readonly players: readonly ChaosPlayer[];
  readonly proxies: ReadonlyMap<string, FaultProxy>;
  /** Marks the moment of the fault: detection and recovery are measured from here. */
  injected(): void;
  /** A process this case stops on purpose; `code` if its exit code is part of the contract (a drain exits 0). */
  expectExit(name: string, code?: number): void;
  /** Restarts a server of the plan with the case's wiring (the supervisor's job: kubelet, systemd). */
  restartServer(name: string): Promise<void>;
  /** A new, empty redis-server on the same port and password. */
  restartRedis(): Promise<void>;
  /** Also stopped when the case ends (extra clients, raw sockets, processes). */
  onCleanup(cleanup: () => void | Promise<void>): void;
  note(text: string): void;
}

/** What a case measured itself, when the players' own timings do not say it (a silent client, Redis). */
export interface CaseMeasure {
  /** From the fault to the cluster's own reaction (a rebind, a close), when not a rebind. */
  readonly detectServerMs?: number;
  /** From the fault to the last affected client noticing, when not the players' own disruptions. */
  readonly detectClientMs?: number;
  readonly recoverMs?: number;
  /** Figures for the table (kicks, races …). */
  readonly figures?: Readonly<Record<string, number | string>>;
  /** Checks only the case itself can make (a new login worked, a process came back). */
  readonly checks?: readonly Check[];
  /** Sessions the game servers hold besides the players' (clients the case opened and keeps). */
  readonly extraSessions?: number;
}

/** What the promises of a case are judged on. */
export interface CaseView {
  readonly players: readonly JudgedPlayer[];
  readonly detectServerS: number | null;
  readonly detectClientS: number | null;
  readonly recoverS: number | null;
  readonly figures: Readonly<Record<string, number | string>>;
}

export interface ChaosCase {
  readonly name: string;
  /** What is done, in a table cell. */
  readonly fault: string;
  /** What the case promises, in a table cell. */
  readonly promise: string;
  readonly cluster?: Partial<LocalClusterInput>;
  readonly players?: number;
  /** How long disrupted players get to recover before the verdicts. */
  readonly settleMs?: number;
  wire?(plan: ClusterPlan): Promise<Wiring>;
  run(context: CaseContext): Promise<CaseMeasure | void>;
  /** The case's own promises, on top of the invariants every case keeps. */
  promises(view: CaseView): readonly Check[];
}

export interface CaseResult {
  readonly name: string;
  readonly fault: string;
  readonly players: number;
  readonly affected: number;
  readonly detectServerS: number | null;
  readonly detectClientS: number | null;
  readonly recoverS: number | null;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly endedReasons: Readonly<Record<string, number>>;
  readonly hung: number;
  readonly unexpectedExits: readonly string[];
  readonly ackedLost: number;
  readonly failedRequests: number;
  readonly disconnects: number;
  readonly figures: Readonly<Record<string, number | string>>;
  readonly checks: readonly Check[];
  readonly failedChecks: readonly Check[];
  readonly notes: readonly string[];
  readonly durationS: number;
}

export const DEFAULT_PLAYERS = 100;
const MOVE_INTERVAL_MS = 250;

export async function runCase(chaosCase: ChaosCase, options: { players?: number } = {}): Promise<CaseResult> {
  const startedMs = performance.now();
  let wiring: Wiring = {};
  const cleanups: Array<() => void | Promise<void>> = [];
  const start = () =>
    startEphemeralCluster(
      { connectors: 2, games: 2, ...chaosCase.cluster },
      {
        log: null,
        prepare: async (plan) => {
          wiring = (await chaosCase.wire?.(plan)) ?? {};
          for (const proxy of wiring.proxies?.values() ?? []) cleanups.push(() => proxy.close());
          if (wiring.dispose) cleanups.push(wiring.dispose);
          return wiring.env ?? {};
        },
      },
    );
  // A free port can be taken by another program between the probe and the listen: one more try on fresh ports.
  const undoWiring = async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  };
  const cluster = await start()
    .catch(async () => {
      await undoWiring();
      return start();
    })
    .catch(async (error: unknown) => {
      await undoWiring();
      throw error;
    });
  const expected = new Map<string, number | undefined>();
  const notes: string[] = [];
  let redis = cluster.redis;
  let injectedAtMs = Infinity;
  let players: ChaosPlayer[] = [];
  try {
    players = await startPlayers(cluster, options.players ?? chaosCase.players ?? DEFAULT_PLAYERS, MOVE_INTERVAL_MS, chaosCase.name);
    await sleep(1_000);
    const servers = cluster.servers as Map<string, ManagedProcess>;
    const atFault = new Map<ChaosPlayer, JudgedPlayer["atFault"]>();
    const diedBeforeFault: string[] = [];
    const context: CaseContext = {
      cluster,
      players,
      proxies: wiring.proxies ?? new Map(),
      injected: () => {
        injectedAtMs = performance.now();
        for (const [name, server] of [...servers, ["redis", redis] as const]) if (server.exited) diedBeforeFault.push(name);
        for (const player of players) {
          player.watch(injectedAtMs);
          atFault.set(player, { server: player.server, connector: player.connectorId });
        }
      },
      expectExit: (name, code) => expected.set(name, code),
      restartServer: async (name) => {
        const planned = cluster.plan.processes.find((p) => p.name === name);
        if (planned === undefined) throw new Error(`no server ${name} in the plan`);
        const restarted = ManagedProcess.node(name, planned.script, { ...planned.env, ...wiring.env?.[name] }, ROOT, null);
        servers.set(name, restarted);
        await restarted.waitFor("ready", 30_000);
      },
      restartRedis: async () => {
        redis = await startRedis({ port: cluster.plan.redis.port, password: cluster.plan.redis.password, users: cluster.plan.redis.users, workDir: cluster.plan.options.workDir, log: null });
        cleanups.push(() => void redis.stop(2_000));
      },
      onCleanup: (cleanup) => cleanups.push(cleanup),
      note: (text) => notes.push(text),
    };
    const processesBefore = new Map([...servers, ["redis", redis] as const]);
    const measure = (await chaosCase.run(context)) ?? {};
    if (injectedAtMs === Infinity) throw new Error(`case ${chaosCase.name} never called injected()`);

    // Settle: every disrupted player still open gets its chance to recover.
    const settleDeadline = performance.now() + (chaosCase.settleMs ?? 10_000);
    const pending = () => players.filter((p) => p.disruptedAtMs !== undefined && p.recoveredAtMs === undefined && p.client.state !== "closed");
    while (pending().length > 0 && performance.now() < settleDeadline) await sleep(100);

    const verdicts = await Promise.all(players.map((player) => player.verdict()));
    const outcomes: Record<Outcome, number> = { continued: 0, rebound: 0, resumed: 0, reconnected: 0, rejoined: 0, ended: 0, hung: 0 };
    for (const { outcome } of verdicts) outcomes[outcome]++;
    const endedReasons: Record<string, number> = {};
    for (const player of players) if (player.closedReason !== undefined) endedReasons[player.closedReason] = (endedReasons[player.closedReason] ?? 0) + 1;
    const lost = verdicts.flatMap((verdict, i) => (verdict.lost === undefined ? [] : [`${players[i]!.uid}: ${verdict.lost}`]));
    if (lost.length > 0) notes.push(`acknowledged moves lost:\n      ${lost.slice(0, 10).join("\n      ")}`);

    // A process replaced by restartServer is judged by its first life too.
    const unexpectedExits: string[] = [];
    for (const [name, server] of [...processesBefore, ...[...servers].filter(([name, server]) => processesBefore.get(name) !== server).map(([name, server]) => [`${name} (restarted)`, server] as const)]) {
      if (!server.exited || diedBeforeFault.includes(name)) continue;
      const exit = await server.exit;
      const wanted = expected.get(name);
      if (!expected.has(name)) {
        unexpectedExits.push(`${name} (code ${exit.code}, signal ${exit.signal})`);
        notes.push(`${name} exited unexpectedly; its last lines:\n${server.recentOutput}`);
      } else if (wanted !== undefined && exit.code !== wanted) unexpectedExits.push(`${name} exited ${exit.code}, expected ${wanted}`);
    }

    const held = await sessionsHeld(servers);
    const openPlayers = players.filter((player) => player.client.state !== "closed").length;
    const affected = players.filter((p) => p.disruptedAtMs !== undefined);
    const rebinds = players.filter((p) => p.firstRebindAtMs !== undefined).map((p) => p.firstRebindAtMs! - injectedAtMs);
    const detectServerMs = measure.detectServerMs ?? (rebinds.length > 0 ? Math.min(...rebinds) : undefined);
    const detectClientMs = measure.detectClientMs ?? (affected.length > 0 ? Math.max(...affected.map((p) => p.disruptedAtMs! - injectedAtMs)) : undefined);
    const recovered = affected.filter((p) => p.recoveredAtMs !== undefined);
    const recoverMs = measure.recoverMs ?? (recovered.length > 0 ? Math.max(...recovered.map((p) => p.recoveredAtMs! - injectedAtMs)) : undefined);
    const toS = (ms: number | undefined) => (ms === undefined ? null : round(ms / 1000));
    const judged: JudgedPlayer[] = players.map((player, i) => ({
      uid: player.uid,
      outcome: verdicts[i]!.outcome,
      atFault: atFault.get(player) ?? { server: undefined, connector: undefined },
      failures: player.failures,
      disconnects: player.disconnects,
    }));
    const figures = { ...measure.figures, sessionsHeld: [...held].map(([name, count]) => `${name} ${count}`).join(", ") };
    const view: CaseView = { players: judged, detectServerS: toS(detectServerMs), detectClientS: toS(detectClientMs), recoverS: toS(recoverMs), figures };
    const checks: Check[] = [
      equal("no process died before the fault", diedBeforeFault.join(", ") || "none", "none"),
      equal("no session hung", outcomes.hung, 0),
      equal("no unexpected exit", unexpectedExits.join("; ") || "none", "none"),
      equal("no acknowledged move lost", lost.length, 0),
      // A player moved away while its old server still holds it would be served by two servers.
      equal("each open player held by exactly one game server", [...held.values()].reduce((sum, count) => sum + count, 0), openPlayers + (measure.extraSessions ?? 0)),
      ...(measure.checks ?? []),
      ...chaosCase.promises(view),
    ];
    return {
      name: chaosCase.name,
      fault: chaosCase.fault,
      players: players.length,
      affected: affected.length,
      detectServerS: view.detectServerS,
      detectClientS: view.detectClientS,
      recoverS: view.recoverS,
      outcomes,
      endedReasons,
      hung: outcomes.hung,
      unexpectedExits,
      ackedLost: lost.length,
      failedRequests: players.reduce((sum, p) => sum + p.failures, 0),
      disconnects: players.reduce((sum, p) => sum + p.disconnects, 0),
      figures,
      checks,
      failedChecks: checks.filter((check) => !check.ok),
      notes,
      durationS: round((performance.now() - startedMs) / 1000),
    };
  } finally {
    await Promise.all(players.map((player) => player.stopMoving()));
    for (const player of players) player.client.close();
    for (const cleanup of cleanups) await cleanup();
    await cluster.dispose();
  }
}

/** A case that could not run (the cluster or its players did not start): one failed check saying why. */
export async function runCaseOrFail(chaosCase: ChaosCase, options: { players?: number } = {}): Promise<CaseResult> {
  const startedMs = performance.now();
  try {
    return await runCase(chaosCase, options);
  } catch (error) {
    const check: Check = { name: "the case ran", ok: false, detail: error instanceof Error ? error.message : String(error) };
    return { ...blankResult(chaosCase), checks: [check], failedChecks: [check], durationS: round((performance.now() - startedMs) / 1000) };
  }
}

/** A result with nothing measured and nothing checked yet. */
export function blankResult(chaosCase: Pick<ChaosCase, "name" | "fault">): CaseResult {
  return {
    name: chaosCase.name,
    fault: chaosCase.fault,
    players: 0,
    affected: 0,
    detectServerS: null,
    detectClientS: null,
    recoverS: null,
    outcomes: { continued: 0, rebound: 0, resumed: 0, reconnected: 0, rejoined: 0, ended: 0, hung: 0 },
    endedReasons: {},
    hung: 0,
    unexpectedExits: [],
    ackedLost: 0,
    failedRequests: 0,
    disconnects: 0,
    figures: {},
    checks: [],
    failedChecks: [],
    notes: [],
    durationS: 0,
  };
}

/** Sessions each living game server holds, from its own stats (SIGUSR2 prints them). */
async function sessionsHeld(servers: ReadonlyMap<string, ManagedProcess>): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  for (const [name, server] of servers) {
    if (!name.startsWith("arena") || server.exited) continue;
    const seen = server.eventCount;
    const stats = server.waitFor("stats", 15_000, () => server.eventCount > seen);
    server.signal("SIGUSR2");
    held.set(name, Number((await stats).sessions));
  }
  return held;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round = (value: number) => Math.round(value * 100) / 100;
