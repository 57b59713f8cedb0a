/** The local cluster of `npm start`, started by a test on free ports with its own secrets and work directory (POMONA_TEST_LOGS=1 shows the servers' logs). */
import { startEphemeralCluster, type EphemeralCluster } from "../../scripts/local-cluster/ephemeral";
import type { LocalClusterInput } from "../../scripts/local-cluster/plan";

export type TestCluster = EphemeralCluster;

export function startTestCluster(input: Partial<LocalClusterInput> = {}): Promise<TestCluster> {
  return startEphemeralCluster(input, process.env.POMONA_TEST_LOGS ? {} : { log: null });
}
