/**
 * The labels every Pomona object carries and the selectors built from them. NetworkPolicies, the
 * admission policy and the creator's own listing select by these, so a game started by the stack and
 * one started by the game-creator must carry exactly the same ones (apart from who manages them).
 */
import type { StringMap } from "./kube-objects";

export const LABELS = {
  partOf: "app.kubernetes.io/part-of",
  component: "app.kubernetes.io/component",
  managedBy: "app.kubernetes.io/managed-by",
  game: "pomona.dev/game",
  gameType: "pomona.dev/game-type",
  player: "pomona.dev/player",
  /** Hash of the bot code a worker runs: new code replaces the worker. */
  revision: "pomona.dev/code-revision",
  /**
   * On the Services the ServiceMonitor scrapes: each exposes exactly one of the ports it scrapes,
   * `metrics` (gate, connectors) or `http` (games, game-creator: /metrics beside their HTTP API).
   */
  metrics: "pomona.dev/metrics",
  /** On the Namespace: pomona:environment. The policy pack allows trust-uid only where it is `development`. */
  environment: "pomona.dev/environment",
} as const;

/** Who writes an object: Pulumi (the stack) or the game-creator, which never touches the stack's. */
export const MANAGED_BY = { stack: "pulumi", creator: "pomona-game-creator" } as const;
export type ManagedBy = (typeof MANAGED_BY)[keyof typeof MANAGED_BY];

export type Component = "connector" | "gate" | "game" | "game-creator" | "redis" | "proxy" | "worker";

/** The labels that select a tier's pods (immutable in a Deployment/StatefulSet selector: keep them few). */
export function selectorLabels(component: Component, extra: StringMap = {}): StringMap {
  return { [LABELS.partOf]: "pomona", [LABELS.component]: component, ...extra };
}

/** Labels on every object: selector labels plus who manages it. */
export function objectLabels(component: Component, extra: StringMap = {}, managedBy: ManagedBy = MANAGED_BY.stack): StringMap {
  return { ...selectorLabels(component, extra), [LABELS.managedBy]: managedBy };
}

/** The pods of one game's servers: its Deployment's selector and its Service's. */
export const gamePodLabels = (id: string): StringMap => selectorLabels("game", { [LABELS.game]: id });

/** Every per-player worker pod: what the workers' NetworkPolicy selects. */
export const WORKER_POD_LABELS: StringMap = selectorLabels("worker");

/** The worker pods of one game: its workers' headless Service selects these. */
export const gameWorkerLabels = (id: string): StringMap => selectorLabels("worker", { [LABELS.game]: id });
