/**
 * The Gateway API route table as JSON patches, pure: the creator owns the `/game-<id>` rules of one
 * HTTPRoute (the stack declares it with its parents and hostnames, and no rule). One rule per game,
 * `PathPrefix /game-<id>` → Service `game-<id>`:8080, so at most HTTPROUTE_MAX_RULES games per route.
 */
import { gameName, viewerPath } from "../game-spec";
import { PORTS } from "../../cluster-model";
import { pinResourceVersion, planEntryChanges, removalOperations, routedGameIds, type GameEntryKind, type JsonPatchOperation } from "./route-entries";

/** Gateway API caps an HTTPRoute at 16 rules (`spec.rules` maxItems). */
export const HTTPROUTE_MAX_RULES = 16;

/** The fields of an HTTPRoute rule the creator reads and writes (the Gateway API's HTTPRouteRule). */
export interface HttpRouteRule {
  matches?: Array<{ path?: { type?: string; value?: string } }>;
  backendRefs?: Array<{ name?: string; port?: number; kind?: string; group?: string; namespace?: string; weight?: number }>;
  timeouts?: { request?: string; backendRequest?: string };
  [field: string]: unknown;
}

export interface HttpRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: { rules?: HttpRouteRule[]; [field: string]: unknown };
}

/** The rule of one game; viewer WebSockets live for hours, so no request timeout (the Gateway's idle timeout still applies). */
export function gameHttpRouteRule(id: string): HttpRouteRule {
  return { matches: [{ path: { type: "PathPrefix", value: viewerPath(id) } }], backendRefs: [{ name: gameName(id), port: PORTS.gameHttp }], timeouts: { request: "0s" } };
}

const routeRules: GameEntryKind<HttpRouteRule> = {
  pathOf: (rule) => (rule.matches?.length === 1 ? rule.matches[0]!.path?.value : undefined),
  isExact: (rule, id) => {
    const [match] = rule.matches ?? [];
    const refs = rule.backendRefs ?? [];
    const [ref] = refs;
    const service = ref !== undefined && (ref.kind ?? "Service") === "Service" && (ref.group ?? "") === "" && ref.namespace === undefined;
    return match?.path?.type === "PathPrefix" && refs.length === 1 && service && ref.name === gameName(id) && ref.port === PORTS.gameHttp && rule.timeouts?.request === "0s";
  },
  pathPointer: "/matches/0/path/value",
};

/** Game ids the route's rules send to their games, and whether any rule is a duplicate or points elsewhere. */
export function routedGamesOfHttpRoute(route: HttpRoute): { ids: Set<string>; dirty: boolean } {
  return routedGameIds(route.spec?.rules ?? [], routeRules);
}

/**
 * Operations that leave exactly one correct rule per id of `wanted`; other rules are left alone.
 * Empty when nothing changes; throws when the result would pass the 16-rule cap (the API server
 * would refuse it; MAX_GAMES keeps the creator below it).
 */
export function planHttpRoutePatch(route: HttpRoute, wanted: readonly string[]): JsonPatchOperation[] {
  const rules = route.spec?.rules;
  const changes = planEntryChanges(rules ?? [], wanted, routeRules);
  if (changes.removals.length === 0 && changes.additions.length === 0) return [];
  const total = (rules?.length ?? 0) - changes.removals.length + changes.additions.length;
  if (total > HTTPROUTE_MAX_RULES) {
    throw new Error(`HTTPRoute ${route.metadata?.name ?? "?"} would hold ${total} rules; the Gateway API allows ${HTTPROUTE_MAX_RULES} (lower MAX_GAMES to ${HTTPROUTE_MAX_RULES})`);
  }
  const ops: JsonPatchOperation[] = [pinResourceVersion(route.metadata?.resourceVersion)];
  if (rules === undefined) {
    ops.push({ op: "add", path: "/spec/rules", value: changes.additions.map(gameHttpRouteRule) });
    return ops;
  }
  ops.push(...removalOperations(rules, "/spec/rules", changes, routeRules));
  for (const id of changes.additions) ops.push({ op: "add", path: "/spec/rules/-", value: gameHttpRouteRule(id) });
  return ops;
}
