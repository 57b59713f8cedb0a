/**
 * A gate process: the GateServer plus its discovery membership. The gate registers itself as type
 * `gate` (so tools and the local cluster see it) and reads connectors from the same cached view.
 */
import { ServiceDiscovery, type DiscoveryOptionsInput } from "../discovery";
import type { ServerInfo } from "../discovery/member";
import { GateServer } from "./gate-server";
import { loadStaticSite } from "./static-site";
import { createMetricsRegistry, MetricsServer } from "../metrics";
import { registerGateMetrics } from "./metrics";
import type { GateConfigInput } from "./config";

export interface GateRoleOptions {
  readonly gate: GateConfigInput;
  readonly discovery: DiscoveryOptionsInput;
  /** Address published in discovery for this gate (the pod IP in a cluster). */
  readonly advertiseHost: string;
  /** Directory of the browser demo served under `/` (built by `npm run build:demo`); none: no site. */
  readonly siteDir?: string;
  /** Serve `/metrics` on this port instead of the public one. */
  readonly metricsPort?: number;
}

export interface GateRole {
  readonly gate: GateServer;
  readonly discovery: ServiceDiscovery;
  readonly port: number;
  /** SIGTERM: unready at once and deregistered, still answering for `ms` while load balancers catch up. */
  drain(ms: number): Promise<{ answeredWhileDraining: number }>;
  stop(): Promise<void>;
}

export async function startGate(options: GateRoleOptions): Promise<GateRole> {
  let discovery: ServiceDiscovery | undefined;
  const metrics = createMetricsRegistry("gate", options.gate.gateId ?? "gate-0");
  const metricsServer = options.metricsPort === undefined ? undefined : new MetricsServer(metrics, options.gate.host ?? "0.0.0.0", options.metricsPort);
  const gate: GateServer = new GateServer({
    ...(metricsServer === undefined ? { metrics } : {}),
    config: options.gate,
    membership: { members: (type: string): readonly ServerInfo[] => discovery?.members(type) ?? [] },
    ...(options.siteDir === undefined ? {} : { site: loadStaticSite(options.siteDir) }),
    isReady: () => discovery !== undefined,
  });
  registerGateMetrics(metrics, () => gate.counters);
  // Listen first so a port of 0 (tests) is known before it is published.
  const port = await gate.listen();
  await metricsServer?.listen().catch(async (error: unknown) => {
    await gate.stop();
    throw error;
  });
  try {
    const registered = new ServiceDiscovery(options.discovery, {
      id: gate.config.gateId,
      type: "gate",
      host: options.advertiseHost,
      port,
      metadata: { frontDoor: gate.config.frontDoor.mode },
    });
    await registered.start();
    discovery = registered;
  } catch (error) {
    await gate.stop();
    throw error;
  }
  const running = discovery;
  return {
    gate,
    discovery: running,
    port,
    async drain(ms) {
      gate.draining = true;
      const before = gate.counters.queries.ok;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { answeredWhileDraining: gate.counters.queries.ok - before };
    },
    async stop() {
      metricsServer?.close();
      await gate.stop();
      await running.stop();
    },
  };
}
