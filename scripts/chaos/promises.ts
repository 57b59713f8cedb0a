/**
 * What a fault case promises, as named checks that pass or fail — pure, so `npm run chaos` and the
 * tests enforce the same thing: exact sets of affected players, bounds, counts.
 */
import type { Outcome } from "./players";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** What was seen, for the report (and the failure message). */
  readonly detail: string;
}

/** A player as a case judges it: where it was when the fault hit, and what became of it. */
export interface JudgedPlayer {
  readonly uid: string;
  readonly outcome: Outcome;
  readonly atFault: { readonly server: string | undefined; readonly connector: string | undefined };
  readonly failures: number;
  readonly disconnects: number;
}

const preview = (items: readonly string[]) => (items.length <= 5 ? items.join(", ") : `${items.slice(0, 5).join(", ")} … (${items.length})`);

export function exactSet(name: string, actual: Iterable<string>, expected: Iterable<string>): Check {
  const have = new Set(actual);
  const want = new Set(expected);
  const extra = [...have].filter((item) => !want.has(item));
  const missing = [...want].filter((item) => !have.has(item));
  const ok = extra.length === 0 && missing.length === 0;
  return { name, ok, detail: ok ? `${want.size}` : `expected ${want.size}, got ${have.size}${extra.length ? `; unexpected: ${preview(extra)}` : ""}${missing.length ? `; missing: ${preview(missing)}` : ""}` };
}

export function atMost(name: string, value: number | null | undefined, bound: number): Check {
  if (value === null || value === undefined) return { name, ok: false, detail: `not measured (bound ${bound})` };
  return { name, ok: value <= bound, detail: `${value} ≤ ${bound}` };
}

export function equal(name: string, actual: number | string | boolean, expected: number | string | boolean): Check {
  return { name, ok: actual === expected, detail: actual === expected ? String(actual) : `expected ${expected}, got ${actual}` };
}

/**
 * The players matching `affected` at the fault all end with `outcome`, and every other player
 * continued (never disconnected, rebound or re-joined).
 */
export function onlyThese(players: readonly JudgedPlayer[], affected: (player: JudgedPlayer) => boolean, outcome: Outcome): Check[] {
  const targets = players.filter(affected).map((player) => player.uid);
  return [
    exactSet(`${outcome}: exactly the affected players`, players.filter((player) => player.outcome === outcome).map((player) => player.uid), targets),
    exactSet("continued: everyone else", players.filter((player) => player.outcome === "continued").map((player) => player.uid), players.filter((player) => !affected(player)).map((player) => player.uid)),
  ];
}

export const everyoneContinued = (players: readonly JudgedPlayer[]): Check[] => onlyThese(players, () => false, "rebound").slice(1);

export const noFailedRequests = (players: readonly JudgedPlayer[]): Check =>
  equal("no request failed", players.reduce((sum, player) => sum + player.failures, 0), 0);
