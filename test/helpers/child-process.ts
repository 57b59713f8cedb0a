/**
 * Runs a TypeScript fixture or server entry point as a real separate process (so it can be
 * SIGKILLed or SIGSTOPped) and reads the JSON event lines it prints — the local cluster's
 * ManagedProcess, which also kills every child when the test run ends.
 */
import path from "node:path";
import { ManagedProcess, type EventLine } from "../../scripts/local-cluster/processes";

const ROOT = path.resolve(__dirname, "../..");

export type FixtureProcess = ManagedProcess;
export type FixtureLine = EventLine;

export const FixtureProcess = {
  /** Its own output stays quiet unless POMONA_TEST_LOGS is set; `recentOutput` has the last lines for failures. */
  start(script: string, env: Record<string, string>): ManagedProcess {
    return ManagedProcess.node(path.basename(script), script, env, ROOT, process.env.POMONA_TEST_LOGS ? undefined : null);
  },
};
