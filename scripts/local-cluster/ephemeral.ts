/**
 * A local cluster on free ports with its own secrets and work directory, gone without a trace on
 * `dispose()`: what the tests and the chaos suite run.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PomonaClient, type PomonaClientOptions } from "../../services/src/client";
import { startLocalCluster, type LocalCluster, type StartOptions } from "./cluster";
import { nodeWebSocket } from "./node-websocket";
import { planLocalCluster, type LocalClusterInput } from "./plan";
import { freePortRanges } from "./ports";

export interface EphemeralCluster extends LocalCluster {
  /** A client SDK instance for this cluster's gate (Node WebSocket with *.localhost lookup). */
  client(uid: string, options?: Partial<PomonaClientOptions>): PomonaClient;
  dispose(): Promise<void>;
}

export async function startEphemeralCluster(input: Partial<LocalClusterInput> = {}, options: StartOptions = {}): Promise<EphemeralCluster> {
  const connectors = input.connectors ?? 2;
  const games = input.games ?? 2;
  const workDir = mkdtempSync(path.join(os.tmpdir(), "pomona-ephemeral-"));
  const plan = planLocalCluster({
    mode: "direct",
    tokenSecret: randomBytes(48).toString("base64url"),
    redisPassword: randomBytes(24).toString("base64url"),
    workDir,
    ...(await freePortRanges({ gatePort: 1, connectorPort: connectors, gamePort: games, gameHttpPort: games, chatPort: 1, chatHttpPort: 1, proxyPort: 1, redisPort: 1 })),
    ...input,
    connectors,
    games,
  });
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster(plan, options);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...cluster,
    client: (uid, clientOptions = {}) => new PomonaClient({ gateUrl: `http://127.0.0.1:${plan.options.gatePort}`, uid, createWebSocket: nodeWebSocket, ...clientOptions }),
    async dispose() {
      await cluster.stop(3_000);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
