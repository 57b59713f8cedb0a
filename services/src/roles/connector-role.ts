/**
 * A connector process: client sockets (Connector), sticky routing to game servers (StickyRouter
 * over RPC links), discovery, bindings for resume and one-session-per-uid across connectors.
 * Everything is wired here and nowhere else, so the pieces stay testable alone.
 */
import { Connector, type ConnectorConfigInput } from "../connector";
import { ServiceDiscovery, type DiscoveryOptionsInput } from "../discovery";
import { createRedisClient } from "../redis";
import { StickyRouter, type ServerTypeRouting } from "../routing/sticky-router";
import { RpcClient, type RpcClientOptionsInput } from "../rpc";
import { BindingStore } from "../session/binding-store";
import { UidDirectory } from "../session/uid-directory";
import { createMetricsRegistry, MetricsServer } from "../metrics";
import type { Registry } from "prom-client";
import { registerConnectorMetrics } from "./connector-metrics";

export interface ConnectorRoleOptions {
  readonly connector: ConnectorConfigInput;
  readonly discovery: DiscoveryOptionsInput;
  /** Address other servers and tools see for this connector (the pod IP in a cluster). */
  readonly advertiseHost: string;
  readonly rpc?: Omit<RpcClientOptionsInput, "serverId">;
  readonly routing?: Readonly<Record<string, ServerTypeRouting>>;
  readonly requestTimeoutMs?: number;
  /** How often the session count is published as this connector's load. */
  readonly loadReportIntervalMs?: number;
  /**
   * What the gate and tools learn about this connector's front door: its ordinal N (the StatefulSet
   * pod `connector-N`, reached as `connector-N.<domain>`) and optionally its public URL.
   */
  readonly frontDoor?: ConnectorFrontDoor;
  /** Serve `/metrics` on this port instead of the client port (a cluster: the client port is public). */
  readonly metricsPort?: number;
}

export interface ConnectorFrontDoor {
  readonly ordinal?: number;
  readonly publicUrl?: string;
}

export interface ConnectorRole {
  readonly connector: Connector;
  /** Served at `GET /metrics` on the client port. */
  readonly metrics: Registry;
  readonly discovery: ServiceDiscovery;
  readonly router: StickyRouter;
  readonly uids: UidDirectory;
  readonly port: number;
  /** SIGTERM: marked draining (the gate stops handing it out, /readyz 503), then every client is asked to resume elsewhere. */
  drain(options: { spreadMs: number; timeoutMs: number }): Promise<{ asked: number; remaining: number }>;
  stop(reason?: string): Promise<void>;
}

export async function startConnectorRole(options: ConnectorRoleOptions): Promise<ConnectorRole> {
  const connectorId = options.connector.connectorId;
  const port = options.connector.port;
  if (!port) throw new Error(`connector.port: a connector role needs a fixed port (got ${port}); it is published in discovery before listening`);
  const discovery = new ServiceDiscovery(options.discovery, { id: connectorId, type: "connector", host: options.advertiseHost, port, metadata: frontDoorMetadata(options.frontDoor) });
  const namespace = discovery.options.namespace;
  const redis = createRedisClient({ ...discovery.options.redis, connectionName: `pomona:${connectorId}:sessions` });
  const subscriber = createRedisClient({ ...discovery.options.redis, connectionName: `pomona:${connectorId}:kicks` });
  const bindings = new BindingStore(redis, { namespace });
  const rpc = new RpcClient({ ...options.rpc, serverId: connectorId });
  let router: StickyRouter | undefined;
  let started = false;
  const uids = new UidDirectory(redis, subscriber, { namespace, connectorId }, (order) => {
    connector.kickSession(order.sessionId, order.reason, "duplicateLogin");
  });
  const metrics = createMetricsRegistry("connector", connectorId);
  const dictionary = options.connector.routeDictionary;
  const series = registerConnectorMetrics(metrics, {
    counters: () => connector.counters,
    router: () => router!.stats,
    uids: () => uids.stats,
    discovery: () => discovery.stats(),
    knownRoute: (route) => dictionary?.codeOf(route) !== undefined,
  });
  const metricsServer = options.metricsPort === undefined ? undefined : new MetricsServer(metrics, options.connector.host ?? "0.0.0.0", options.metricsPort);
  const connector: Connector = new Connector({
    config: options.connector,
    ...(metricsServer === undefined ? { metrics } : {}),
    observer: series.observer,
    // Ready once registered, until draining; a Redis outage leaves it ready (clients keep being served).
    isReady: () => started && discovery.self()?.draining !== true,
    rpc,
    gateway: (events): StickyRouter =>
      (router = new StickyRouter({ membership: discovery, rpc, events, types: options.routing ?? {}, ...requestTimeout(options), persistence: bindings, observeCall: series.observeCall })),
  });
  try {
    await Promise.all([redis.connect(), subscriber.connect()]);
    await discovery.start();
    await uids.start();
    await connector.listen();
    await metricsServer?.listen();
  } catch (error) {
    metricsServer?.close();
    await connector.stop("start-up failed");
    await discovery.stop();
    redis.disconnect();
    subscriber.disconnect();
    throw error;
  }
  rpc.on("linkClose", (peerId, reason) => {
    if (reason !== undefined) router?.linkFailed(peerId, reason.message);
  });
  connector.on("sessionBound", (session, uid) => void uids.claim(uid, session.id));
  connector.on("sessionReady", (session, resumedFrom) => {
    if (resumedFrom === undefined) return;
    // The client's connector died: back to the servers its uid was bound to, and it hears where it is.
    void router!.resume(session).then((restored) => connector.pushTo(session.id, "onResume", { from: resumedFrom, restored }));
  });
  connector.on("sessionClosed", (session) => {
    if (session.uid) void uids.release(session.uid, session.id);
  });
  const loadTimer = setInterval(() => discovery.setLoad(connector.sessions.size), options.loadReportIntervalMs ?? 1000);
  loadTimer.unref();
  // Saved bindings expire ttl after their last write; live sessions keep theirs resumable.
  const bindingsTimer = setInterval(() => bindings.refresh([...connector.sessions.values()].map((connection) => connection.session)), bindings.refreshIntervalMs);
  bindingsTimer.unref();
  started = true;

  return {
    connector,
    metrics,
    discovery,
    router: router!,
    uids,
    port,
    async drain(drainOptions) {
      await discovery.setDraining(true).catch(() => undefined);
      return connector.drain(drainOptions);
    },
    async stop(reason = "server shutting down") {
      clearInterval(loadTimer);
      clearInterval(bindingsTimer);
      await discovery.setDraining(true).catch(() => undefined);
      await connector.stop(reason);
      router?.close();
      await uids.stop();
      await discovery.stop();
      rpc.close();
      metricsServer?.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}

function frontDoorMetadata(frontDoor: ConnectorFrontDoor | undefined): Record<string, string | number> {
  const metadata: Record<string, string | number> = {};
  if (frontDoor?.ordinal !== undefined) metadata.ordinal = frontDoor.ordinal;
  if (frontDoor?.publicUrl !== undefined) metadata.publicUrl = frontDoor.publicUrl;
  return metadata;
}

function requestTimeout(options: ConnectorRoleOptions): { requestTimeoutMs?: number } {
  return options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs };
}
