/**
 * A game server's calls to other servers (`ctx.rpc`): picks the server (CallRouter), calls its
 * remote over a pooled RPC link (one per callee, dialled on first use, redialled with backoff —
 * the links connectors use), and turns every RPC failure into a RemoteCallError with a code.
 */
import { remoteMethod, RemoteCallError, type RemoteCallOptions } from "../api";
import type { ServerInfo } from "../../discovery/member";
import type { MembershipSource } from "../../routing/sticky-router";
import { PeerGoneError, RemoteError, RpcBackpressureError, RpcClient, RpcTimeoutError } from "../../rpc";
import { CallRouter, NoServerError } from "./call-router";

export interface RemoteCallerOptions {
  /** This server's id, stated to every callee (its `ctx.callerId`). */
  readonly serverId: string;
  readonly membership: MembershipSource;
  /** Deadline of a call that names none, ms. */
  readonly timeoutMs: number;
}

export interface RemoteCallStats {
  calls: number;
  failures: Record<string, number>;
}

export class RemoteCaller {
  readonly stats: RemoteCallStats = { calls: 0, failures: {} };
  private readonly router: CallRouter;
  private readonly rpc: RpcClient;
  private readonly onRemoved = (server: ServerInfo) => {
    this.router.removed(server);
    this.rpc.forget(server.id);
  };

  constructor(private readonly options: RemoteCallerOptions) {
    this.router = new CallRouter(options.membership);
    this.rpc = new RpcClient({ serverId: options.serverId, requestTimeoutMs: options.timeoutMs });
    options.membership.on("removed", this.onRemoved);
  }

  /** Calls remote `group.method` of a server of `serverType`; rejects with RemoteCallError only. */
  async call(serverType: string, group: string, method: string, input: unknown, options: RemoteCallOptions = {}): Promise<unknown> {
    this.stats.calls++;
    const name = `${serverType}.${group}.${method}`;
    let server: ServerInfo;
    try {
      server = this.router.pick(serverType, options.route);
    } catch (error) {
      if (error instanceof NoServerError) throw this.fail(new RemoteCallError("NO_SERVER", error.message, serverType, name));
      throw error;
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    try {
      return await this.rpc.call(server, remoteMethod(serverType, group, method), input, { timeoutMs });
    } catch (error) {
      throw this.fail(this.describe(error, server, serverType, name, timeoutMs));
    }
  }

  sessionClosed(sessionId: string): void {
    this.router.sessionClosed(sessionId);
  }

  close(): void {
    this.options.membership.off("removed", this.onRemoved);
    this.rpc.close();
  }

  private describe(error: unknown, server: ServerInfo, serverType: string, name: string, timeoutMs: number): RemoteCallError {
    if (error instanceof PeerGoneError) {
      this.router.failed(server);
      return new RemoteCallError("CALLEE_GONE", `${name} on ${server.id}: ${error.detail}`, serverType, name, server.id);
    }
    if (error instanceof RpcTimeoutError) return new RemoteCallError("TIMEOUT", `${name} on ${server.id} did not answer within ${timeoutMs} ms`, serverType, name, server.id);
    if (error instanceof RemoteError) return new RemoteCallError("REMOTE_ERROR", error.remoteMessage, serverType, name, server.id, error.remoteCode);
    if (error instanceof RpcBackpressureError) return new RemoteCallError("OVERLOADED", `too many calls in flight to ${server.id}`, serverType, name, server.id);
    return new RemoteCallError("REMOTE_ERROR", error instanceof Error ? error.message : String(error), serverType, name, server.id, "INTERNAL");
  }

  private fail(error: RemoteCallError): RemoteCallError {
    this.stats.failures[error.code] = (this.stats.failures[error.code] ?? 0) + 1;
    return error;
  }
}
