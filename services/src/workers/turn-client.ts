/**
 * How a game calls its workers without ever waiting for them: each tick `send` POSTs every worker
 * its view for the next turn (one request in flight per worker; a worker still busy with the last
 * one is skipped), and the next tick `take`s whatever actions came back in time. A request past its
 * deadline is aborted and that turn is a no-op — a slow, stopped or dead worker costs the tick nothing.
 */
import http from "node:http";

export interface TurnOutcome {
  readonly turn: number;
  readonly status: string;
  readonly action?: unknown;
  readonly reason?: string;
}

export interface TurnClientCounters {
  sent: number;
  answered: number;
  skippedBusy: number;
  timedOut: number;
  failed: number;
  late: number;
}

export class TurnClient {
  readonly counters: TurnClientCounters = { sent: 0, answered: 0, skippedBusy: 0, timedOut: 0, failed: 0, late: 0 };
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1, timeout: 30_000 });
  private readonly inFlight = new Set<string>();
  private arrived = new Map<string, TurnOutcome>();
  /** The last answer per player (stopped bots keep their reason here). */
  readonly last = new Map<string, TurnOutcome>();
  private currentTurn = 0;

  constructor(private readonly deadlineMs: number) {}

  /** Starts turn `turn` for each `[player, url, viewJson]`; returns at once. */
  send(turn: number, requests: Iterable<readonly [string, string, string]>): void {
    this.currentTurn = turn;
    for (const [player, url, view] of requests) {
      if (this.inFlight.has(player)) {
        this.counters.skippedBusy++;
        continue;
      }
      this.post(player, url, turn, view);
    }
  }

  /** Actions answered for the current turn since the last call. */
  take(): Map<string, TurnOutcome> {
    const arrived = this.arrived;
    this.arrived = new Map();
    return arrived;
  }

  close(): void {
    this.agent.destroy();
  }

  private post(player: string, url: string, turn: number, view: string): void {
    this.inFlight.add(player);
    this.counters.sent++;
    const done = () => this.inFlight.delete(player);
    const request = http.request(`${url}/turn`, { method: "POST", agent: this.agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(view) }, signal: AbortSignal.timeout(this.deadlineMs) }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        done();
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Omit<TurnOutcome, "turn">;
          const outcome: TurnOutcome = { ...body, turn };
          this.last.set(player, outcome);
          if (turn !== this.currentTurn) {
            this.counters.late++;
            return;
          }
          this.counters.answered++;
          this.arrived.set(player, outcome);
        } catch {
          this.counters.failed++;
        }
      });
      response.on("error", done);
    });
    request.on("error", (error: Error) => {
      done();
      if (error.name === "TimeoutError" || error.name === "AbortError") this.counters.timedOut++;
      else this.counters.failed++;
    });
    request.end(view);
  }
}
