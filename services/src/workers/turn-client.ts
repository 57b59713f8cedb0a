/**
 * How a game calls its workers without ever waiting for them: each tick `send` POSTs every worker
 * its view for the next turn (one request in flight per worker; a worker still busy with the last
 * one is skipped), and the next tick `take`s whatever actions came back in time. A request past its
 * deadline is aborted and that turn is a no-op — a slow, stopped or dead worker costs the tick nothing.
 *
 * A worker's answer is hostile input (its bot may have left the sandbox): at most
 * `MAX_RESPONSE_BYTES` read, one schema, every string capped. A worker that answers otherwise is
 * recorded as stopped with the reason, and not called again.
 */
import http from "node:http";
import { z } from "zod";

/** The largest answer a worker sends: an action (sandbox limit 4 KiB), a reason (≤ 300), the envelope. */
export const MAX_RESPONSE_BYTES = 16 * 1024;
const MAX_REASON_CHARS = 300;

const workerAnswer = z.strictObject({
  status: z.enum(["ok", "error", "deadline", "busy", "stopped"]),
  action: z.unknown().optional(),
  reason: z.string().max(MAX_REASON_CHARS).optional(),
  ms: z.number().finite().nonnegative(),
});

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
  /** Answers over the byte cap or outside the schema (the worker is then stopped). */
  refused: number;
}

export class TurnClient {
  readonly counters: TurnClientCounters = { sent: 0, answered: 0, skippedBusy: 0, timedOut: 0, failed: 0, late: 0, refused: 0 };
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1, timeout: 30_000 });
  private readonly inFlight = new Set<string>();
  /** URLs of workers that answered outside the protocol. */
  private readonly refused = new Set<string>();
  private arrived = new Map<string, TurnOutcome>();
  /** The last answer per player (stopped bots keep their reason here). */
  readonly last = new Map<string, TurnOutcome>();
  private currentTurn = 0;

  constructor(private readonly deadlineMs: number) {}

  /** Starts turn `turn` for each `[player, url, viewJson]`; returns at once. */
  send(turn: number, requests: Iterable<readonly [string, string, string]>): void {
    this.currentTurn = turn;
    for (const [player, url, view] of requests) {
      if (this.refused.has(url)) continue;
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
      let bytes = 0;
      const declared = Number(response.headers["content-length"] ?? 0);
      if (declared > MAX_RESPONSE_BYTES) return this.refuse(player, url, turn, request, `an answer of ${declared} bytes (at most ${MAX_RESPONSE_BYTES})`);
      response.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_RESPONSE_BYTES) return this.refuse(player, url, turn, request, `an answer of over ${MAX_RESPONSE_BYTES} bytes`);
        chunks.push(chunk);
      });
      response.on("end", () => {
        done();
        if (this.refused.has(url)) return;
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          return this.refuse(player, url, turn, request, "an answer that is not JSON");
        }
        const parsed = workerAnswer.safeParse(body);
        if (!parsed.success) return this.refuse(player, url, turn, request, `an answer outside the schema (${parsed.error.issues[0]?.path.join(".") || "body"}: ${parsed.error.issues[0]?.code})`);
        const outcome: TurnOutcome = { ...parsed.data, turn };
        this.last.set(player, outcome);
        if (turn !== this.currentTurn) {
          this.counters.late++;
          return;
        }
        this.counters.answered++;
        this.arrived.set(player, outcome);
      });
      response.on("error", done);
    });
    request.on("error", (error: Error) => {
      done();
      if (this.refused.has(url)) return;
      if (error.name === "TimeoutError" || error.name === "AbortError") this.counters.timedOut++;
      else this.counters.failed++;
    });
    request.end(view);
  }

  /** A worker that answered outside the protocol is stopped for the game: recorded with why, never called again. */
  private refuse(player: string, url: string, turn: number, request: http.ClientRequest, what: string): void {
    if (!this.refused.has(url)) {
      this.refused.add(url);
      this.counters.refused++;
      this.last.set(player, { turn, status: "stopped", reason: `its worker sent ${what}: stopped` });
    }
    this.inFlight.delete(player);
    request.destroy();
  }
}
