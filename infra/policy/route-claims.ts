/**
 * Who claims which host and path: the viewer routes of every Ingress and HTTPRoute, read from
 * manifests, and the collisions among them. A collision is an answer decided by the controller, not
 * by us: two claims of one host and path (every controller picks one, by age or at random), or two
 * Ingresses of one class on one host (F5 NGINX Ingress Controller serves the host from the oldest
 * alone, unless they are its mergeable master and minions). Pomona's layout avoids both
 * (docs/ingress-routes.md).
 */
import type { Manifest } from "./rules";

type Loose = any;

export interface RouteClaim {
  /** `Kind/namespace/name` of the claiming object. */
  readonly owner: string;
  readonly host: string;
  readonly path: string;
}

/** F5 NGINX's annotation for several Ingresses that make up one host on purpose. */
const MERGEABLE = "nginx.org/mergeable-ingress-type";
/** A rule without a host claims every host. */
const ANY_HOST = "*";

const ownerOf = (m: Manifest): string => `${m.kind}/${m.metadata?.namespace ?? "-"}/${m.metadata?.name ?? "?"}`;

/** Every (host, path) each Ingress path and each HTTPRoute match claims, once per occurrence. */
export function routeClaims(manifests: Manifest[]): RouteClaim[] {
  const claims: RouteClaim[] = [];
  for (const m of manifests) {
    const owner = ownerOf(m);
    if (m.kind === "Ingress") {
      for (const rule of (m.spec?.rules ?? []) as Loose[]) {
        for (const entry of rule.http?.paths ?? []) claims.push({ owner, host: rule.host ?? ANY_HOST, path: entry.path ?? "/" });
      }
    }
    if (m.kind === "HTTPRoute") {
      const hosts: string[] = m.spec?.hostnames?.length ? m.spec.hostnames : [ANY_HOST];
      for (const rule of (m.spec?.rules ?? []) as Loose[]) {
        // A rule without matches matches every path (the Gateway API's default).
        const paths: string[] = (rule.matches?.length ? rule.matches : [{}]).map((match: Loose) => match.path?.value ?? "/");
        for (const host of hosts) for (const path of paths) claims.push({ owner, host, path });
      }
    }
  }
  return claims;
}

/** One message per collision: a host and path claimed twice, or a host shared by Ingresses of one class. */
export function routeCollisions(manifests: Manifest[]): Array<{ resource: string; message: string }> {
  const collisions: Array<{ resource: string; message: string }> = [];
  const byRoute = new Map<string, RouteClaim[]>();
  for (const claim of routeClaims(manifests)) {
    const key = `${claim.host}${claim.path}`;
    byRoute.set(key, [...(byRoute.get(key) ?? []), claim]);
  }
  for (const [route, claims] of byRoute) {
    if (claims.length < 2) continue;
    collisions.push({ resource: claims[1]!.owner, message: `${route} is claimed ${claims.length} times (${claims.map((c) => c.owner).join(", ")}): the controller picks one and the other answers nothing; give each /game-<id> one entry` });
  }
  const ingressesByHost = new Map<string, Manifest[]>();
  for (const m of manifests.filter((m) => m.kind === "Ingress" && m.metadata?.annotations?.[MERGEABLE] === undefined)) {
    const hosts = new Set(((m.spec?.rules ?? []) as Loose[]).map((rule) => rule.host ?? ANY_HOST));
    for (const host of hosts) {
      const key = `${m.spec?.ingressClassName ?? "(default class)"} ${host}`;
      ingressesByHost.set(key, [...(ingressesByHost.get(key) ?? []), m]);
    }
  }
  for (const [key, ingresses] of ingressesByHost) {
    if (ingresses.length < 2) continue;
    const [ingressClass, host] = key.split(" ");
    collisions.push({
      resource: ownerOf(ingresses[1]!),
      message: `host ${host} is declared by ${ingresses.length} Ingresses of class ${ingressClass} (${ingresses.map(ownerOf).join(", ")}): F5 NGINX serves it from the oldest alone; put every path of the host in one Ingress (docs/ingress-routes.md)`,
    });
  }
  return collisions;
}
