/**
 * The Ingress route table as JSON patches (RFC 6902), pure. The creator owns the `/game-<id>` paths of
 * one rule of its Ingress: it reads the Ingress, and this module says which paths to add (at the end)
 * and which to remove (by index, highest first, so earlier indexes stay valid), deduplicating as it
 * goes. The first operation pins `metadata.resourceVersion`: the API server answers 409 Conflict when
 * someone changed the Ingress since it was read, and the creator re-reads and re-plans.
 */
import type { V1HTTPIngressPath, V1Ingress } from "@kubernetes/client-node";
import { gameName, viewerPath } from "../game-spec";
import { PORTS } from "../../cluster-model";

export type JsonPatchOperation =
  | { readonly op: "add"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "replace"; readonly path: string; readonly value: unknown }
  | { readonly op: "test"; readonly path: string; readonly value: unknown };

const GAME_PATH = /^\/game-([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$/;

/** The Ingress path of one game: Prefix `/game-<id>` → Service `game-<id>` port `http`. */
export function gameIngressPath(id: string): V1HTTPIngressPath {
  return { path: viewerPath(id), pathType: "Prefix", backend: { service: { name: gameName(id), port: { name: "http" } } } };
}

/** Game ids routed by rule `ruleIndex`, and whether any entry is a duplicate or points elsewhere. */
export function routedGames(ingress: V1Ingress, ruleIndex = 0): { ids: Set<string>; dirty: boolean } {
  const ids = new Set<string>();
  let dirty = false;
  for (const entry of ingress.spec?.rules?.[ruleIndex]?.http?.paths ?? []) {
    const id = GAME_PATH.exec(entry.path ?? "")?.[1];
    if (id === undefined) continue;
    if (ids.has(id) || !isOurs(entry, id)) dirty = true;
    else ids.add(id);
  }
  return { ids, dirty };
}

function isOurs(entry: V1HTTPIngressPath, id: string): boolean {
  const service = entry.backend?.service;
  return entry.pathType === "Prefix" && service?.name === gameName(id) && (service.port?.name === "http" || service.port?.number === PORTS.gameHttp);
}

/**
 * Operations that turn rule `ruleIndex`'s game paths into exactly one correct entry per id of
 * `wanted`; other paths are left alone. Empty when nothing changes.
 */
export function planIngressPatch(ingress: V1Ingress, wanted: readonly string[], ruleIndex = 0): JsonPatchOperation[] {
  const rule = ingress.spec?.rules?.[ruleIndex];
  if (rule === undefined) throw new Error(`Ingress ${ingress.metadata?.name ?? "?"} has no rule ${ruleIndex}: the stack declares it with its host`);
  const want = new Set(wanted);
  const paths = rule.http?.paths ?? [];
  const kept = new Set<string>();
  const removals: number[] = [];
  paths.forEach((entry, index) => {
    const id = GAME_PATH.exec(entry.path ?? "")?.[1];
    if (id === undefined) return;
    if (want.has(id) && !kept.has(id) && isOurs(entry, id)) kept.add(id);
    else removals.push(index);
  });
  const additions = [...want].filter((id) => !kept.has(id)).sort();
  if (removals.length === 0 && additions.length === 0) return [];

  const base = `/spec/rules/${ruleIndex}/http`;
  const ops: JsonPatchOperation[] = [{ op: "replace", path: "/metadata/resourceVersion", value: ingress.metadata?.resourceVersion ?? "" }];
  if (additions.length === 0 && removals.length === paths.length) {
    // The API server refuses an http block without paths: the rule goes back to host only.
    ops.push({ op: "remove", path: base });
    return ops;
  }
  for (const index of removals.reverse()) {
    ops.push({ op: "test", path: `${base}/paths/${index}/path`, value: paths[index].path }, { op: "remove", path: `${base}/paths/${index}` });
  }
  if (rule.http === undefined) {
    // A rule declared with only its host: the first path brings the http block with it.
    ops.push({ op: "add", path: base, value: { paths: additions.map(gameIngressPath) } });
  } else {
    for (const id of additions) ops.push({ op: "add", path: `${base}/paths/-`, value: gameIngressPath(id) });
  }
  return ops;
}
