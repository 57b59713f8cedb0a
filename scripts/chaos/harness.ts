/**
 * Runs one fault case: a fresh local cluster (real processes on free ports), a steady load of SDK
 * players, the fault, a settling window, then the verdicts — who continued, was rebound, resumed,
 * ended with which reason, or hung; which processes exited that should not have; which acknowledged
 * moves a still-living server forgot.
 */
import path from "node:path";
import { startEphemeralCluster, type EphemeralCluster } from "../local-cluster/ephemeral";
import type { LocalClusterInput } from "../local-cluster/plan";
import { ManagedProcess } from "../local-cluster/processes";
import { startRedis } from "../local-cluster/redis";
import { startPlayers, type ChaosPlayer, type Outcome } from "./players";

const ROOT = path.resolve(__dirname, "../..");

export interface CaseContext {
  readonly cluster: EphemeralCluster;
  readonly players: readonly ChaosPlayer[];
  /** Marks the moment of the fault: detection and recovery are measured from here. */
  injected(): void;
  /** A process this case stops on purpose; `code` if its exit code is part of the contract (a drain exits 0). */
  expectExit(name: string, code?: number): void;
  /** Restarts a server of the plan (the supervisor's job: kubelet, systemd). */
  restartServer(name: string): Promise<void>;
  /** A new, empty redis-server on the same port and password. */
  restartRedis(): Promise<void>;
  /** Also stopped when the case ends (extra clients, raw sockets). */
  onCleanup(cleanup: () => void | Promise<void>): void;
  note(text: string): void;
}

/** What a case measured itself, when the players' own timings do not say it (a silent client, Redis). */
export interface CaseMeasure {
  readonly detectMs?: number;
  readonly recoverMs?: number;
  /** Extra counts to check (kicks, races …). */
  readonly checks?: Readonly<Record<string, number | string>>;
}

export interface ChaosCase {
  readonly name: string;
  /** What is done, in a table cell. */
  readonly fault: string;
  readonly cluster?: Partial<LocalClusterInput>;
  readonly players?: number;
  /** How long disrupted players get to recover before the verdicts. */
  readonly settleMs?: number;
  run(context: CaseContext): Promise<CaseMeasure | void>;
}

export interface CaseResult {
  readonly name: string;
  readonly fault: string;
  readonly players: number;
  readonly affected: number;
  readonly detectS: number | null;
  readonly recoverS: number | null;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly endedReasons: Readonly<Record<string, number>>;
  readonly hung: number;
  readonly unexpectedExits: readonly string[];
  readonly ackedLost: number;
  readonly failedRequests: number;
  readonly checks: Readonly<Record<string, number | string>>;
  readonly notes: readonly string[];
  readonly durationS: number;
}

export const DEFAULT_PLAYERS = 100;
const MOVE_INTERVAL_MS = 250;

export async function runCase(chaosCase: ChaosCase, options: { players?: number } = {}): Promise<CaseResult> {
  const startedMs = performance.now();
  const cluster = await startEphemeralCluster({ connectors: 2, games: 2, ...chaosCase.cluster }, { log: null });
  const expected = new Map<string, number | undefined>();
  const cleanups: Array<() => void | Promise<void>> = [];
  const notes: string[] = [];
  let redis = cluster.redis;
  let injectedAtMs = Infinity;
  let players: ChaosPlayer[] = [];
  try {
    players = await startPlayers(cluster, options.players ?? chaosCase.players ?? DEFAULT_PLAYERS, MOVE_INTERVAL_MS, chaosCase.name);
    await sleep(1_000);
    const servers = cluster.servers as Map<string, ManagedProcess>;
    const context: CaseContext = {
      cluster,
      players,
      injected: () => {
        injectedAtMs = performance.now();
        for (const player of players) player.watch(injectedAtMs);
      },
      expectExit: (name, code) => expected.set(name, code),
      restartServer: async (name) => {
        const planned = cluster.plan.processes.find((p) => p.name === name);
        if (planned === undefined) throw new Error(`no server ${name} in the plan`);
        const restarted = ManagedProcess.node(name, planned.script, planned.env, ROOT, null);
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
    const exitedBefore = new Set([...servers].filter(([, server]) => server.exited).map(([name]) => name));
    const measure = (await chaosCase.run(context)) ?? {};
    if (injectedAtMs === Infinity) throw new Error(`case ${chaosCase.name} never called injected()`);

    // Settle: every disrupted player still open gets its chance to recover.
    const settleDeadline = performance.now() + (chaosCase.settleMs ?? 10_000);
    const pending = () => players.filter((p) => p.disruptedAtMs !== undefined && p.recoveredAtMs === undefined && p.client.state !== "closed");
    while (pending().length > 0 && performance.now() < settleDeadline) await sleep(100);

    const alive = new Set([...servers].filter(([name, server]) => name.startsWith("arena") && !server.exited).map(([name]) => name));
    const verdicts = await Promise.all(players.map((player) => player.verdict(alive)));
    const outcomes: Record<Outcome, number> = { continued: 0, rebound: 0, resumed: 0, ended: 0, hung: 0 };
    for (const { outcome } of verdicts) outcomes[outcome]++;
    const endedReasons: Record<string, number> = {};
    for (const player of players) if (player.closedReason !== undefined) endedReasons[player.closedReason] = (endedReasons[player.closedReason] ?? 0) + 1;

    const unexpectedExits: string[] = [];
    for (const [name, server] of [...servers, ["redis", redis] as const]) {
      if (!server.exited || exitedBefore.has(name)) continue;
      const exit = await server.exit;
      const wanted = expected.get(name);
      if (!expected.has(name)) {
        unexpectedExits.push(`${name} (code ${exit.code}, signal ${exit.signal})`);
        notes.push(`${name} exited unexpectedly; its last lines:\n${server.recentOutput}`);
      }
      else if (wanted !== undefined && exit.code !== wanted) unexpectedExits.push(`${name} exited ${exit.code}, expected ${wanted}`);
    }

    const affected = players.filter((p) => p.disruptedAtMs !== undefined);
    const detectMs = measure.detectMs ?? (affected.length > 0 ? Math.min(...affected.map((p) => p.disruptedAtMs! - injectedAtMs)) : undefined);
    const recovered = affected.filter((p) => p.recoveredAtMs !== undefined);
    const recoverMs = measure.recoverMs ?? (recovered.length > 0 ? Math.max(...recovered.map((p) => p.recoveredAtMs! - injectedAtMs)) : undefined);
    return {
      name: chaosCase.name,
      fault: chaosCase.fault,
      players: players.length,
      affected: affected.length,
      detectS: detectMs === undefined ? null : round(detectMs / 1000),
      recoverS: recoverMs === undefined ? null : round(recoverMs / 1000),
      outcomes,
      endedReasons,
      hung: outcomes.hung,
      unexpectedExits,
      ackedLost: verdicts.filter((v) => v.lost).length,
      failedRequests: players.reduce((sum, p) => sum + p.failures, 0),
      checks: measure.checks ?? {},
      notes,
      durationS: round((performance.now() - startedMs) / 1000),
    };
  } finally {
    for (const player of players) {
      player.stopMoving();
      player.client.close();
    }
    for (const cleanup of cleanups) await cleanup();
    await cluster.dispose();
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round = (value: number) => Math.round(value * 100) / 100;
