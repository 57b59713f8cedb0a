/**
 * What every server process entry point shares: one JSON line per event on stdout (`ready`,
 * `stats` every `statsIntervalMs` and on SIGUSR2, `draining`, `stopped`), a start-up failure printed
 * as one line with exit code 1, and the two ways to stop:
 *   - SIGTERM (Kubernetes, a rollout): drain first — the server says it is leaving and hands its work
 *     over within its grace period — then stop, exit 0;
 *   - SIGINT (Ctrl-C) or a second SIGTERM: stop now.
 */
import { configureLog, log } from "../logging";

export interface RunningServer {
  /** Fields of the `ready` line. */
  readonly ready: Record<string, unknown>;
  stats(): Record<string, unknown>;
  /** Hand the work over (bounded by the server's own drain timeout); its result joins the `drained` line. */
  drain?(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export const printEvent = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
};

/** `name` is the role (`connector`, `gate`, the game type); `serverId` labels every log line. */
export function runServerProcess(name: string, serverId: string, start: () => Promise<RunningServer>, statsIntervalMs = 0): void {
  configureLog({ role: name, server: serverId });
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection (a bug: every promise must be handled)"));
  start().then(
    (server) => {
      printEvent("ready", { ...server.ready, pid: process.pid });
      const statsTimer = statsIntervalMs > 0 ? setInterval(() => printEvent("stats", server.stats()), statsIntervalMs) : undefined;
      process.on("SIGUSR2", () => printEvent("stats", { ...server.stats(), memory: memoryMb() }));
      let stopping = false;
      let draining = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        if (statsTimer) clearInterval(statsTimer);
        await server.stop();
        printEvent("stopped", server.stats());
        process.exit(0);
      };
      const drain = async () => {
        if (draining || stopping || server.drain === undefined) return stop();
        draining = true;
        printEvent("draining");
        const startedMs = Date.now();
        const result = await server.drain().catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
        printEvent("drained", { ...result, ms: Date.now() - startedMs });
        await stop();
      };
      process.on("SIGTERM", () => void drain());
      process.on("SIGINT", () => void stop());
    },
    (error: unknown) => {
      console.error(`${name}: failed to start:`, error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

/** process.memoryUsage() in MB, for the on-demand stats line (the benchmark reads it). */
function memoryMb(): Record<string, number> {
  const usage = process.memoryUsage();
  return Object.fromEntries(Object.entries(usage).map(([key, bytes]) => [key, Number((bytes / 1048576).toFixed(2))]));
}

export const numberOrUndefined = (value: string | undefined): number | undefined => (value === undefined || value === "" ? undefined : Number(value));
