/**
 * The Ingress route table as JSON patches, pure. The creator owns the `/game-<id>` paths of one rule
 * of its Ingress: it reads the Ingress, and this module says which paths to add and remove
 * (route-entries.ts); the API server answers 409 when the Ingress changed since it was read, and the
 * creator re-reads and re-plans.
 */
import type { V1HTTPIngressPath, V1Ingress } from "@kubernetes/client-node";
import { gameName, viewerPath } from "../game-spec";
import { PORTS } from "../../cluster-model";
import { pinResourceVersion, planEntryChanges, removalOperations, routedGameIds, type GameEntryKind, type JsonPatchOperation } from "./route-entries";

/** The Ingress path of one game: Prefix `/game-<id>` → Service `game-<id>` port `http`. */
export function gameIngressPath(id: string): V1HTTPIngressPath {
  return { path: viewerPath(id), pathType: "Prefix", backend: { service: { name: gameName(id), port: { name: "http" } } } };
}

const ingressPaths: GameEntryKind<V1HTTPIngressPath> = {
  pathOf: (entry) => entry.path,
  isExact: (entry, id) => {
    const service = entry.backend?.service;
    return entry.pathType === "Prefix" && service?.name === gameName(id) && (service.port?.name === "http" || service.port?.number === PORTS.gameHttp);
  },
  pathPointer: "/path",
};

/** Game ids routed by rule `ruleIndex`, and whether any entry is a duplicate or points elsewhere. */
export function routedGames(ingress: V1Ingress, ruleIndex = 0): { ids: Set<string>; dirty: boolean } {
  return routedGameIds(ingress.spec?.rules?.[ruleIndex]?.http?.paths ?? [], ingressPaths);
}

/**
 * Operations that turn rule `ruleIndex`'s game paths into exactly one correct entry per id of
 * `wanted`; other paths are left alone. Empty when nothing changes.
 */
export function planIngressPatch(ingress: V1Ingress, wanted: readonly string[], ruleIndex = 0): JsonPatchOperation[] {
  const rule = ingress.spec?.rules?.[ruleIndex];
  if (rule === undefined) throw new Error(`Ingress ${ingress.metadata?.name ?? "?"} has no rule ${ruleIndex}: the stack declares it with its host`);
  const paths = rule.http?.paths ?? [];
  const changes = planEntryChanges(paths, wanted, ingressPaths);
  if (changes.removals.length === 0 && changes.additions.length === 0) return [];

  const base = `/spec/rules/${ruleIndex}/http`;
  const ops: JsonPatchOperation[] = [pinResourceVersion(ingress.metadata?.resourceVersion)];
  if (changes.additions.length === 0 && changes.removals.length === paths.length) {
    // The API server refuses an http block without paths: the rule goes back to host only.
    ops.push({ op: "remove", path: base });
    return ops;
  }
  ops.push(...removalOperations(paths, `${base}/paths`, changes, ingressPaths));
  if (rule.http === undefined) {
    // A rule declared with only its host: the first path brings the http block with it.
    ops.push({ op: "add", path: base, value: { paths: changes.additions.map(gameIngressPath) } });
  } else {
    for (const id of changes.additions) ops.push({ op: "add", path: `${base}/paths/-`, value: gameIngressPath(id) });
  }
  return ops;
}
