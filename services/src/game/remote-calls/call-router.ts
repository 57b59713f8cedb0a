/**
 * Which server a game's `ctx.rpc` call goes to: the choices a connector makes for client requests
 * (routing/choose-server: least-loaded, a route function, consistent hashing for stickiness),
 * over the same discovery view, plus a named server. Sticky bindings live here, per caller: a
 * session keeps its server of a type while that server lives under the same incarnation.
 */
import type { ServerInfo } from "../../discovery/member";
import { consistentHash, eligible, leastLoaded } from "../../routing/choose-server";
import type { MembershipSource } from "../../routing/sticky-router";
import { SuspectList } from "../../routing/suspects";
import type { ServerRoute } from "../api";

/** Sticky bindings kept per caller; the oldest is forgotten past this (a session that never closes here). */
export const MAX_STICKY_BINDINGS = 100_000;

export class NoServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoServerError";
  }
}

export class CallRouter {
  /** `${serverType} ${sessionId}` → the server it is stuck to. */
  private readonly sticky = new Map<string, { readonly serverId: string; readonly incarnation: string }>();
  private readonly suspects = new SuspectList();
  /** Server types called sticky by session (a handful), to forget a closed session's bindings without a scan. */
  private readonly stickyTypes = new Set<string>();

  constructor(
    private readonly membership: Pick<MembershipSource, "members" | "get">,
    private readonly maxSticky = MAX_STICKY_BINDINGS,
  ) {}

  /** The live server for a call to `serverType`; throws NoServerError when there is none. */
  pick(serverType: string, route: ServerRoute | undefined): ServerInfo {
    if (route !== undefined && "serverId" in route) {
      const server = this.membership.get(route.serverId);
      if (server === undefined || server.type !== serverType) throw new NoServerError(`no live ${serverType} server ${route.serverId}`);
      return server;
    }
    if (route !== undefined && "session" in route) return this.stuck(serverType, route.session);
    const chosen = route === undefined ? leastLoaded(this.candidates(serverType), { serverType, route: serverType, sessionId: randomKey() }) : route.choose(this.candidates(serverType), { serverType, route: serverType, sessionId: route.key });
    if (chosen === undefined) throw new NoServerError(`no live ${serverType} server`);
    return chosen;
  }

  /** The link to `server` failed: no new call goes there until discovery says otherwise, and sessions stuck to it pick again. */
  failed(server: ServerInfo): void {
    this.suspects.add(server);
    for (const [key, binding] of this.sticky) if (binding.serverId === server.id) this.sticky.delete(key);
  }

  /** Discovery removed the server. */
  removed(server: ServerInfo): void {
    this.suspects.delete(server);
    for (const [key, binding] of this.sticky) if (binding.serverId === server.id) this.sticky.delete(key);
  }

  /** The session is gone from this server: its sticky bindings are forgotten. */
  sessionClosed(sessionId: string): void {
    for (const serverType of this.stickyTypes) this.sticky.delete(`${serverType} ${sessionId}`);
  }

  get stickyCount(): number {
    return this.sticky.size;
  }

  private stuck(serverType: string, session: { readonly id: string; readonly uid: string | null }): ServerInfo {
    const key = `${serverType} ${session.id}`;
    const binding = this.sticky.get(key);
    const bound = binding === undefined ? undefined : this.membership.get(binding.serverId);
    if (bound !== undefined && bound.incarnation === binding!.incarnation) return bound;
    // Hashing makes every caller pick the same server for a session while membership agrees.
    const chosen = consistentHash(this.candidates(serverType), { serverType, route: serverType, sessionId: session.id, ...(session.uid === null ? {} : { uid: session.uid }) });
    if (chosen === undefined) throw new NoServerError(`no live ${serverType} server`);
    if (this.sticky.size >= this.maxSticky && !this.sticky.has(key)) this.forgetOldest();
    this.sticky.set(key, { serverId: chosen.id, incarnation: chosen.incarnation });
    this.stickyTypes.add(serverType);
    return chosen;
  }

  private candidates(serverType: string): ServerInfo[] {
    return eligible(this.membership.members(serverType), serverType).filter((server) => !this.suspects.has(server));
  }

  private forgetOldest(): void {
    const oldest = this.sticky.keys().next();
    if (!oldest.done) this.sticky.delete(oldest.value);
  }
}

/** Least-loaded breaks ties by a hash of the key; a fresh key per call spreads calls over equally loaded servers. */
const randomKey = () => Math.random().toString(36).slice(2);
