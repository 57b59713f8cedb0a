/**
 * The one object whose `/game-<id>` entries the creator owns: rule 0 of an Ingress, or the rules of a
 * Gateway API HTTPRoute. Both are read whole and written with a resourceVersion-pinned JSON patch;
 * this module hides which API serves them. `staticGameIds` are the stack's own games that share the
 * object (the Ingress layout, docs/ingress-routes.md): the creator keeps their entries and never
 * reports them as its own.
 */
import { CustomObjectsApi, NetworkingV1Api, type ConfigurationOptions, type KubeConfig, type V1Ingress } from "@kubernetes/client-node";
import { planHttpRoutePatch, routedGamesOfHttpRoute, type HttpRoute } from "./httproute-patch";
import { planIngressPatch, routedGames } from "./ingress-patch";
import type { JsonPatchOperation } from "./route-entries";

export type RouteObject = { readonly kind: "ingress"; readonly name: string } | { readonly kind: "httproute"; readonly name: string };

export interface RouteTable {
  /** The object as the API server holds it now. */
  read(): Promise<unknown>;
  /** Runtime game ids the object routes, and whether an entry is a duplicate or points elsewhere. */
  routed(object: unknown): { ids: Set<string>; dirty: boolean };
  /** The patch that makes the object route exactly `ids` plus the static games; empty when it does. */
  plan(object: unknown, ids: readonly string[]): JsonPatchOperation[];
  patch(operations: JsonPatchOperation[]): Promise<unknown>;
}

const GATEWAY = { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes" } as const;

export function routeTable(kubeConfig: KubeConfig, namespace: string, route: RouteObject, staticGameIds: readonly string[], jsonPatch: ConfigurationOptions): RouteTable {
  const withoutStatic = ({ ids, dirty }: { ids: Set<string>; dirty: boolean }) => {
    for (const id of staticGameIds) ids.delete(id);
    return { ids, dirty };
  };
  const name = route.name;
  if (route.kind === "ingress") {
    const networking = kubeConfig.makeApiClient(NetworkingV1Api);
    return {
      read: () => networking.readNamespacedIngress({ name, namespace }),
      routed: (object) => withoutStatic(routedGames(object as V1Ingress)),
      plan: (object, ids) => planIngressPatch(object as V1Ingress, [...ids, ...staticGameIds]),
      patch: (body) => networking.patchNamespacedIngress({ name, namespace, body }, jsonPatch),
    };
  }
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    read: () => custom.getNamespacedCustomObject({ ...GATEWAY, namespace, name }),
    routed: (object) => withoutStatic(routedGamesOfHttpRoute(object as HttpRoute)),
    plan: (object, ids) => planHttpRoutePatch(object as HttpRoute, [...ids, ...staticGameIds]),
    patch: (body) => custom.patchNamespacedCustomObject({ ...GATEWAY, namespace, name, body }, jsonPatch),
  };
}
