/**
 * What every server process entry point shares: one JSON line per event on stdout (`ready`,
 * `stats` every `statsIntervalMs` and on SIGUSR2, `stopped`), a graceful stop on SIGTERM/SIGINT,
 * and a start-up failure printed as one line with exit code 1.
 */
export interface RunningServer {
  /** Fields of the `ready` line. */
  readonly ready: Record<string, unknown>;
  stats(): Record<string, unknown>;
  stop(): Promise<void>;
}

export const printEvent = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
};

export function runServerProcess(name: string, start: () => Promise<RunningServer>, statsIntervalMs = 0): void {
  start().then(
    (server) => {
      printEvent("ready", { ...server.ready, pid: process.pid });
      const statsTimer = statsIntervalMs > 0 ? setInterval(() => printEvent("stats", server.stats()), statsIntervalMs) : undefined;
      process.on("SIGUSR2", () => printEvent("stats", server.stats()));
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        if (statsTimer) clearInterval(statsTimer);
        await server.stop();
        printEvent("stopped", server.stats());
        process.exit(0);
      };
      process.on("SIGTERM", () => void stop());
      process.on("SIGINT", () => void stop());
    },
    (error: unknown) => {
      console.error(`${name}: failed to start:`, error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

export const numberOrUndefined = (value: string | undefined): number | undefined => (value === undefined || value === "" ? undefined : Number(value));
