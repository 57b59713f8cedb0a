/**
 * The steady load of the fault suite: SDK players that join the arena and make one acknowledged
 * move every `intervalMs`, each recording what happened to it — disconnects, resumes, rebinds,
 * re-joins, failures — and what the server acknowledged: which player record (its incarnation)
 * and which move sequence. The final check reads the server's own state for the player
 * (`arena.room.state`): an acknowledged move it does not hold, or a record created again that no
 * rebind announced, is an acknowledged move lost.
 */
import type { PomonaClient, WebSocketLike } from "../../services/src/client";
import { PomonaError } from "../../services/src/client";
import { nodeWebSocket } from "../local-cluster/node-websocket";
import type { EphemeralCluster } from "../local-cluster/ephemeral";

/** What the arena answers to a join, a move and a state read: its id, the player record's incarnation, the last applied sequence. */
export interface RecordAnswer {
  readonly server: string;
  readonly record: string;
  readonly seq: number;
}

export type Outcome = "continued" | "rebound" | "resumed" | "reconnected" | "rejoined" | "ended" | "hung";

export interface Verdict {
  readonly outcome: Outcome;
  /** Why an acknowledged move counts as lost, if it does. */
  readonly lost: string | undefined;
}

/** The connector's answers that announce a move to another server (its state there starts afresh). */
const MOVED_CODES = new Set(["REBOUND", "SERVER_LOST"]);

export class ChaosPlayer {
  readonly client: PomonaClient;
  /** The sockets the SDK opened, newest last (a case may stop one from reading). */
  readonly sockets: WebSocketLike[] = [];
  server: string | undefined;
  connectorId: string | undefined;
  /** The player record the server holds for us, and the highest sequence it acknowledged on it. */
  record: string | undefined;
  ackedSeq = 0;
  disconnects = 0;
  resumes = 0;
  rebinds = 0;
  /** Joins after the first one that the server answered NOT_JOINED to a move. */
  rejoins = 0;
  failures = 0;
  /** Records the server created again that no rebind announced: the earlier one, with its acknowledged moves, was lost. */
  recordsLost = 0;
  closedReason: string | undefined;
  /** First thing that went wrong after the fault (ms, performance.now()), and the first success after it. */
  disruptedAtMs: number | undefined;
  recoveredAtMs: number | undefined;
  /** The first onRebind after the fault: the cluster's own reaction. */
  firstRebindAtMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private needsJoin = false;
  /** A rebind was announced: the next record may be a new one. */
  private expectNewRecord = true;
  private watchingFromMs = Infinity;
  /** The last things that happened to this player, for the report of a loss. */
  private readonly trail: string[] = [];

  constructor(
    readonly uid: string,
    cluster: EphemeralCluster,
    private readonly intervalMs: number,
  ) {
    this.client = cluster.client(uid, {
      createWebSocket: (url) => {
        const socket = nodeWebSocket(url);
        this.sockets.push(socket);
        return socket;
      },
      requestTimeoutMs: 5_000,
    });
    this.client.on("disconnected", () => {
      this.disconnects++;
      this.disrupted();
    });
    this.client.on("connected", ({ resumed }: { resumed: boolean }) => {
      if (resumed) this.resumes++;
      this.connectorId = this.client.connectorId;
    });
    this.client.on("closed", ({ reason }: { reason: string }) => (this.closedReason = reason));
    this.client.on("onRebind", ({ serverId }: { serverId: string }) => {
      this.rebinds++;
      this.remember(`onRebind → ${serverId}`);
      this.server = serverId;
      this.needsJoin = true;
      this.expectNewRecord = true;
      const now = performance.now();
      if (now >= this.watchingFromMs && this.firstRebindAtMs === undefined) this.firstRebindAtMs = now;
      this.disrupted();
    });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.connectorId = this.client.connectorId;
    await this.join();
    this.timer = setInterval(() => void this.step(), this.intervalMs);
  }

  /** From now on the first failure and the first success after it are recorded. */
  watch(fromMs: number): void {
    this.watchingFromMs = fromMs;
    this.disruptedAtMs = undefined;
    this.recoveredAtMs = undefined;
    this.firstRebindAtMs = undefined;
  }

  async stopMoving(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  /**
   * After the case: ended (closed with a reason), hung (open or reconnecting, but not answering),
   * or what happened on the way; `lost` when the server now serving the player does not hold what
   * was acknowledged: another record than the acknowledged one (no rebind announced it), or an
   * older sequence.
   */
  async verdict(): Promise<Verdict> {
    await this.stopMoving();
    if (this.client.state === "closed") return { outcome: "ended", lost: this.lostSoFar() };
    let state: RecordAnswer;
    try {
      if (this.needsJoin) await this.join();
      state = await this.client.request<RecordAnswer>("arena.room.state", {});
    } catch (error) {
      if (isHandlerCode(error, "NOT_JOINED") && !this.expectNewRecord) return { outcome: this.outcome(), lost: `${this.server} holds no record for the player (acknowledged seq ${this.ackedSeq})` };
      return { outcome: "hung", lost: this.lostSoFar() };
    }
    if (state.record !== this.record) return { outcome: this.outcome(), lost: `${state.server} holds record ${state.record}, acknowledged on ${this.record}` };
    if (state.seq < this.ackedSeq) return { outcome: this.outcome(), lost: `${state.server} holds seq ${state.seq}, acknowledged ${this.ackedSeq}` };
    return { outcome: this.outcome(), lost: this.lostSoFar() };
  }

  private lostSoFar(): string | undefined {
    return this.recordsLost > 0 ? `${this.recordsLost} record(s) created again without a rebind (${this.trail.join("; ")})` : undefined;
  }

  private remember(event: string): void {
    this.trail.push(event);
    if (this.trail.length > 8) this.trail.shift();
  }

  private outcome(): Outcome {
    if (this.resumes > 0) return "resumed";
    if (this.disconnects > 0) return "reconnected";
    if (this.rebinds > 0) return "rebound";
    if (this.rejoins > 0) return "rejoined";
    return "continued";
  }

  /** Takes what the server says it holds; a record it created again without a rebind is a loss. */
  private adopt(answer: RecordAnswer, route: string): void {
    if (answer.record !== this.record) {
      this.remember(`${route}: ${answer.server} record ${answer.record.slice(0, 8)} seq ${answer.seq}${this.expectNewRecord ? "" : " (unexpected)"}`);
      if (this.record !== undefined && !this.expectNewRecord) this.recordsLost++;
      this.record = answer.record;
      this.ackedSeq = answer.seq;
    }
    this.expectNewRecord = false;
    this.ackedSeq = Math.max(this.ackedSeq, answer.seq);
    this.server = answer.server;
  }

  private async join(): Promise<void> {
    const answer = await this.client.request<RecordAnswer>("arena.room.join", { name: this.uid });
    this.needsJoin = false;
    this.adopt(answer, "join");
  }

  private step(): void {
    if (this.inFlight !== undefined || this.client.state !== "open") return;
    this.inFlight = this.move().finally(() => (this.inFlight = undefined));
  }

  private async move(): Promise<void> {
    try {
      if (this.needsJoin) await this.join();
      this.adopt(await this.client.request<RecordAnswer>("arena.room.move", { seq: this.ackedSeq + 1, dir: "right" }), "move");
      if (this.disruptedAtMs !== undefined && this.recoveredAtMs === undefined) this.recoveredAtMs = performance.now();
    } catch (error) {
      this.failures++;
      this.remember(`move failed: ${error instanceof PomonaError ? `${error.code} ${error.details.serverCode ?? ""} ${error.details.handlerCode ?? ""}` : String(error)}`);
      if (isHandlerCode(error, "NOT_JOINED")) {
        this.needsJoin = true;
        this.rejoins++;
      }
      if (error instanceof PomonaError && MOVED_CODES.has(error.details.serverCode ?? "")) this.expectNewRecord = true;
      this.disrupted();
    }
  }

  private disrupted(): void {
    const now = performance.now();
    if (now >= this.watchingFromMs && this.disruptedAtMs === undefined) this.disruptedAtMs = now;
  }
}

const isHandlerCode = (error: unknown, code: string) => error instanceof PomonaError && error.details.handlerCode === code;

/** Starts `count` players in waves of 25, as players arrive; one whose login fails (a loaded machine) tries again, up to 3 times. */
export async function startPlayers(cluster: EphemeralCluster, count: number, intervalMs: number, prefix: string): Promise<ChaosPlayer[]> {
  const players: ChaosPlayer[] = [];
  const startOne = async (uid: string): Promise<ChaosPlayer> => {
    for (let attempt = 1; ; attempt++) {
      const player = new ChaosPlayer(uid, cluster, intervalMs);
      try {
        await player.start();
        return player;
      } catch (error) {
        player.client.close();
        if (attempt === 3) throw new Error(`player ${uid} could not log in and join 3 times: ${(error as Error).message}`, { cause: error });
      }
    }
  };
  for (let wave = 0; wave < count; wave += 25) {
    players.push(...(await Promise.all(Array.from({ length: Math.min(25, count - wave) }, (_, i) => startOne(`${prefix}-${wave + i}`)))));
  }
  return players;
}
