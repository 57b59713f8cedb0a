/**
 * Sticky routing from a connector to backend servers: a session's first request for a server
 * type picks a server (per-type chooser, least-loaded by default) and every later request of that
 * type goes to the same server while it is alive. A binding dies on the first failed call
 * (peer gone) or when discovery reports the server removed; the type's policy then applies:
 * `rebind` moves the session to another server and tells the client, `end` kicks it with a reason.
 *
 * Lessons honoured: pomelo-on-k8s never checked that the bound server was alive; Pomelo's
 * crc32(uid) % n remapped everyone on scale changes (consistent hashing here is rendezvous).
 */
import { log } from "../logging";
import { BackendMethod, serverTypeOfRoute, type ForwardedRequest, type ForwardedResponse } from "../cluster/contract";
import type { ServerInfo } from "../discovery/member";
import { PeerGoneError, RemoteError, RpcBackpressureError, RpcTimeoutError, type RpcClient } from "../rpc";
import type { BackendBinding, Session } from "../session/session";
import { BackendFailure, type BackendGateway, type SessionEvents } from "./backend-gateway";
import { eligible, leastLoaded, type ServerChooser } from "./choose-server";
import { SuspectList } from "./suspects";

export type ServerLostPolicy = "rebind" | "end";

export interface ServerTypeRouting {
  /** How the first server is chosen; default least-loaded. */
  readonly choose?: ServerChooser;
  /** What happens to a session whose server died; default `rebind`. */
  readonly onServerLost?: ServerLostPolicy;
}

/** The part of discovery routing reads: ServiceDiscovery satisfies it. */
export interface MembershipSource {
  members(type?: string): ServerInfo[];
  get(id: string): ServerInfo | undefined;
  on(event: "removed", listener: (server: ServerInfo) => void): unknown;
  off(event: "removed", listener: (server: ServerInfo) => void): unknown;
}

/** Where bindings are persisted for resume (Redis); fire-and-forget, failures must not affect routing. */
export interface BindingPersistence {
  save(session: Session): void;
  /** The bindings last saved for the session's uid; empty when none or unreachable (never rejects). */
  load(session: Pick<Session, "uid" | "id">): Promise<Map<string, BackendBinding>>;
}

/** What a resume restored: server type → server id, for the client's `onResume`. */
export type RestoredBindings = Record<string, string>;

export interface StickyRouterOptions {
  readonly membership: MembershipSource;
  readonly rpc: RpcClient;
  readonly events: SessionEvents;
  /** Per server type; types not listed route with the defaults if discovery knows them. */
  readonly types?: Readonly<Record<string, ServerTypeRouting>>;
  readonly requestTimeoutMs?: number;
  readonly persistence?: BindingPersistence;
  /** Told of every call to a backend: its server, latency and outcome ("ok" or the failure code) — metrics. */
  readonly observeCall?: (serverId: string, durationMs: number, outcome: string) => void;
}

export interface StickyRouterStats {
  requests: number;
  notifies: number;
  bindings: number;
  rebinds: number;
  ended: number;
  /** Bindings restored by resume, and saved ones whose server had gone meanwhile. */
  restored: number;
  restoreStale: number;
  failures: Record<string, number>;
}

export class StickyRouter implements BackendGateway {
  readonly stats: StickyRouterStats = { requests: 0, notifies: 0, bindings: 0, rebinds: 0, ended: 0, restored: 0, restoreStale: 0, failures: {} };
  /** Sessions whose saved bindings are being loaded: their requests wait for it, so they reach the old server. */
  private readonly restoring = new Map<Session, Promise<RestoredBindings>>();
  /** serverId → sessions bound to it, so a removal reaches them without a scan. */
  private readonly sessionsByServer = new Map<string, Set<Session>>();
  /** Servers whose link just failed, kept out of new bindings until discovery catches up. */
  private readonly suspects = new SuspectList();
  private readonly callOptions: { timeoutMs?: number };
  private readonly onRemoved = (server: ServerInfo) => {
    this.suspects.delete(server);
    this.serverLost(server.id, server.incarnation, `server ${server.id} left the cluster`);
  };

  constructor(private readonly options: StickyRouterOptions) {
    this.callOptions = options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs };
    options.membership.on("removed", this.onRemoved);
  }

  /**
   * The RPC link to a server dropped (not a deliberate close): the first sign of a crash, seconds
   * before its discovery lease expires. Its sessions are moved or ended now.
   */
  linkFailed(serverId: string, detail: string): void {
    const server = this.options.membership.get(serverId);
    if (server) this.suspects.add(server);
    this.serverLost(serverId, undefined, `server ${serverId} is unreachable (${detail})`);
  }

  close(): void {
    this.options.membership.off("removed", this.onRemoved);
  }

  /**
   * Resume: gives `session` (just bound to a uid whose connector died) the bindings saved for that
   * uid, for every server still alive under the same incarnation, and tells each of them. Requests
   * made meanwhile wait for it (bounded by Redis's command timeout). A server gone since is left
   * out: the next request binds afresh.
   */
  resume(session: Session): Promise<RestoredBindings> {
    const restore = this.restore(session)
      .catch((error: unknown) => {
        log.error({ err: error, sessionId: session.id }, "restoring bindings failed; the session starts unbound");
        return {};
      })
      .finally(() => this.restoring.delete(session));
    this.restoring.set(session, restore);
    return restore;
  }

  private async restore(session: Session): Promise<RestoredBindings> {
    const saved = (await this.options.persistence?.load(session)) ?? new Map<string, BackendBinding>();
    const restored: RestoredBindings = {};
    for (const [serverType, binding] of saved) {
      if (session.closed || session.backends.has(serverType)) continue;
      const server = this.options.membership.get(binding.serverId);
      if (!server || server.incarnation !== binding.incarnation || this.suspects.has(server)) {
        this.stats.restoreStale++;
        continue;
      }
      this.install(session, serverType, server);
      this.stats.restored++;
      restored[serverType] = server.id;
      try {
        this.options.rpc.notify(server, BackendMethod.sessionResumed, session.snapshot());
      } catch (error) {
        this.count(error instanceof RpcBackpressureError ? "RESUME_OVERLOADED" : "RESUME_UNDELIVERED");
      }
    }
    // Saved again: the expiry restarts, and a uid resumed twice keeps its bindings.
    if (Object.keys(restored).length > 0) this.options.persistence?.save(session);
    return restored;
  }

  async request(session: Session, route: string, body: Buffer): Promise<Buffer> {
    this.stats.requests++;
    const restoring = this.restoring.get(session);
    if (restoring !== undefined) await restoring;
    const server = this.resolve(session, route);
    const message: ForwardedRequest = { session: session.snapshot(), route, body };
    const startedMs = performance.now();
    try {
      const response = await this.options.rpc.call<ForwardedResponse>(server, BackendMethod.request, message, this.callOptions);
      this.options.observeCall?.(server.id, performance.now() - startedMs, "ok");
      return response.body;
    } catch (error) {
      const failure = this.failure(session, server, error);
      this.options.observeCall?.(server.id, performance.now() - startedMs, failure.code);
      throw failure;
    }
  }

  notify(session: Session, route: string, body: Buffer): void {
    const restoring = this.restoring.get(session);
    if (restoring !== undefined) {
      // Kept in order behind the restore: then-callbacks run in registration order.
      void restoring.then(() => this.notify(session, route, body));
      return;
    }
    this.stats.notifies++;
    let server: ServerInfo;
    try {
      server = this.resolve(session, route);
      this.options.rpc.notify(server, BackendMethod.notify, { session: session.snapshot(), route, body } satisfies ForwardedRequest);
    } catch (error) {
      const failure = error instanceof BackendFailure ? error : this.failure(session, undefined, error);
      this.count(failure.code);
    }
  }

  sessionClosed(session: Session, reason: string, resumable = false): void {
    for (const [, binding] of session.backends) {
      this.unindex(session, binding.serverId);
      const server = this.options.membership.get(binding.serverId);
      if (!server || server.incarnation !== binding.incarnation) continue;
      try {
        // Resumable: the game keeps the player for its resume grace, and a resume moves it.
        this.options.rpc.notify(server, BackendMethod.sessionClosed, { sessionId: session.id, uid: session.uid, reason, ...(resumable ? { resumable } : {}) });
      } catch {
        this.count("SESSION_CLOSED_UNDELIVERED");
      }
    }
    // Persisted bindings stay until they expire: a drained connector's clients resume through them.
    session.backends.clear();
  }

  /** The live server this session's request for `route` goes to, binding one if needed. */
  private resolve(session: Session, route: string): ServerInfo {
    const serverType = serverTypeOfRoute(route);
    const routing = this.options.types?.[serverType];
    const binding = session.backends.get(serverType);
    if (binding) {
      const server = this.options.membership.get(binding.serverId);
      if (server && server.incarnation === binding.incarnation) return server;
      // Bound server gone (or restarted as a new incarnation): its state for this session is lost.
      return this.replaceBinding(session, serverType, binding, `server ${binding.serverId} is gone`);
    }
    if (!routing && this.options.membership.members(serverType).length === 0) {
      throw this.fail("UNKNOWN_SERVER_TYPE", `no server type "${serverType}" for route "${route}"`);
    }
    return this.bind(session, serverType, route);
  }

  private bind(session: Session, serverType: string, route: string): ServerInfo {
    const candidates = eligible(this.options.membership.members(serverType), serverType).filter((server) => !this.suspects.has(server));
    const choose = this.options.types?.[serverType]?.choose ?? leastLoaded;
    const server = choose(candidates, { serverType, route, sessionId: session.id, ...(session.uid ? { uid: session.uid } : {}) });
    if (!server) throw this.fail("NO_SERVER", `no live ${serverType} server`);
    this.install(session, serverType, server);
    this.stats.bindings++;
    this.options.persistence?.save(session);
    return server;
  }

  private install(session: Session, serverType: string, server: ServerInfo): void {
    session.backends.set(serverType, { serverId: server.id, incarnation: server.incarnation });
    let bound = this.sessionsByServer.get(server.id);
    if (!bound) this.sessionsByServer.set(server.id, (bound = new Set()));
    bound.add(session);
  }

  /** Applies the type's policy to a session whose bound server died. */
  private replaceBinding(session: Session, serverType: string, binding: BackendBinding, reason: string): ServerInfo {
    session.backends.delete(serverType);
    this.unindex(session, binding.serverId);
    if (this.policyOf(serverType) === "end") {
      this.stats.ended++;
      this.options.events.ended(session, serverType, reason);
      throw this.fail("SERVER_LOST", reason);
    }
    const server = this.bind(session, serverType, `${serverType}.*`);
    this.stats.rebinds++;
    this.options.events.rebound(session, serverType, server.id);
    return server;
  }

  /** A server died (removed from discovery, or a call found it gone): move or end its sessions now. */
  private serverLost(serverId: string, incarnation: string | undefined, reason: string): void {
    const sessions = this.sessionsByServer.get(serverId);
    this.options.rpc.forget(serverId);
    if (!sessions) return;
    for (const session of [...sessions]) {
      for (const [serverType, binding] of session.backends) {
        if (binding.serverId !== serverId || (incarnation !== undefined && binding.incarnation !== incarnation)) continue;
        try {
          this.replaceBinding(session, serverType, binding, reason);
        } catch (error) {
          // `end` policy, or no other server to move to: the session was told (ended) or will fail its next request.
          if (error instanceof BackendFailure && error.code === "NO_SERVER") {
            this.options.events.ended(session, serverType, `${reason}; no other ${serverType} server`);
          }
        }
      }
    }
  }

  private failure(session: Session, server: ServerInfo | undefined, error: unknown): BackendFailure {
    if (error instanceof BackendFailure) return this.counted(error);
    if (error instanceof PeerGoneError && server) {
      const serverType = [...session.backends].find(([, b]) => b.serverId === server.id)?.[0];
      this.suspects.add(server);
      this.serverLost(server.id, server.incarnation, `server ${server.id} is gone (${error.detail})`);
      if (serverType && this.policyOf(serverType) === "end") return this.fail("SERVER_LOST", `server ${server.id} is gone`);
      return this.fail("REBOUND", `server ${server.id} died during the request; the session was moved, retry`);
    }
    if (error instanceof RpcTimeoutError) return this.fail("TIMEOUT", `server ${error.peerId} did not answer within ${error.timeoutMs} ms`);
    if (error instanceof RemoteError) return this.counted(new BackendFailure("HANDLER_ERROR", error.remoteMessage, error.remoteCode));
    if (error instanceof RpcBackpressureError) return this.fail("OVERLOADED", "too many requests in flight to the server");
    return this.fail("HANDLER_ERROR", "internal error");
  }

  private policyOf(serverType: string): ServerLostPolicy {
    return this.options.types?.[serverType]?.onServerLost ?? "rebind";
  }

  private unindex(session: Session, serverId: string): void {
    const bound = this.sessionsByServer.get(serverId);
    if (!bound) return;
    bound.delete(session);
    if (bound.size === 0) this.sessionsByServer.delete(serverId);
  }

  private fail(code: BackendFailure["code"], message: string): BackendFailure {
    return this.counted(new BackendFailure(code, message));
  }

  private counted(failure: BackendFailure): BackendFailure {
    this.count(failure.code);
    return failure;
  }

  private count(code: string): void {
    this.stats.failures[code] = (this.stats.failures[code] ?? 0) + 1;
  }
}
