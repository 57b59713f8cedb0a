/**
 * The steady load of the fault suite: SDK players that join the arena and make one acknowledged
 * move every `intervalMs`, each recording what happened to it — disconnects, resumes, rebinds,
 * failures, its last acknowledged move — so a case can say afterwards who continued, who was
 * rebound or resumed, who ended with which reason, who hung, and whether any acknowledged move was
 * lost by a server that is still alive.
 */
import type { PomonaClient, WebSocketLike } from "../../services/src/client";
import { PomonaError } from "../../services/src/client";
import { nodeWebSocket } from "../local-cluster/node-websocket";
import type { EphemeralCluster } from "../local-cluster/ephemeral";

export interface MoveAnswer {
  readonly server: string;
  readonly seq: number;
}

export type Outcome = "continued" | "rebound" | "resumed" | "ended" | "hung";

export class ChaosPlayer {
  readonly client: PomonaClient;
  /** The sockets the SDK opened, newest last (a case may stop one from reading). */
  readonly sockets: WebSocketLike[] = [];
  server: string | undefined;
  connectorId: string | undefined;
  /** Highest move sequence acknowledged, and by which server. */
  ackedSeq = 0;
  ackedServer: string | undefined;
  disconnects = 0;
  resumes = 0;
  rebinds = 0;
  failures = 0;
  closedReason: string | undefined;
  /** First thing that went wrong after the fault (ms, performance.now()), and the first success after it. */
  disruptedAtMs: number | undefined;
  recoveredAtMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private needsJoin = false;
  private watchingFromMs = Infinity;

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
      this.server = serverId;
      this.needsJoin = true;
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
  }

  stopMoving(): void {
    clearInterval(this.timer);
  }

  /**
   * After the case: hung (open or reconnecting, but not answering), ended (closed with a reason),
   * or what happened on the way; `lost` when the server that acknowledged its last move is alive
   * and no longer knows it.
   */
  async verdict(aliveServers: ReadonlySet<string>): Promise<{ outcome: Outcome; lost: boolean }> {
    this.stopMoving();
    if (this.client.state === "closed") return { outcome: "ended", lost: false };
    let answer: MoveAnswer | undefined;
    try {
      // An old sequence is never applied: the answer is the server's current one for this player.
      if (this.needsJoin) await this.join();
      answer = await this.client.request<MoveAnswer>("arena.room.move", { seq: Math.max(1, this.ackedSeq), dir: "up" });
    } catch (error) {
      if (error instanceof PomonaError && error.details.handlerCode === "NOT_JOINED") {
        return { outcome: this.outcome(), lost: this.ackedServer !== undefined && aliveServers.has(this.ackedServer) && this.rebinds === 0 };
      }
      return { outcome: "hung", lost: false };
    }
    const lost = answer.server === this.ackedServer && answer.seq < this.ackedSeq;
    return { outcome: this.outcome(), lost };
  }

  private outcome(): Outcome {
    if (this.resumes > 0) return "resumed";
    if (this.rebinds > 0) return "rebound";
    return "continued";
  }

  private async join(): Promise<void> {
    const answer = await this.client.request<{ server: string }>("arena.room.join", { name: this.uid });
    this.needsJoin = false;
    if (answer.server !== this.ackedServer) {
      this.ackedServer = answer.server;
      this.ackedSeq = 0;
    }
    this.server = answer.server;
  }

  private async step(): Promise<void> {
    if (this.inFlight || this.client.state !== "open") return;
    this.inFlight = true;
    try {
      if (this.needsJoin) await this.join();
      const answer = await this.client.request<MoveAnswer>("arena.room.move", { seq: this.ackedSeq + 1, dir: "right" });
      if (answer.server !== this.ackedServer) {
        this.ackedServer = answer.server;
        this.ackedSeq = 0;
      }
      this.ackedSeq = Math.max(this.ackedSeq, answer.seq);
      this.server = answer.server;
      if (this.disruptedAtMs !== undefined && this.recoveredAtMs === undefined) this.recoveredAtMs = performance.now();
    } catch (error) {
      this.failures++;
      if (error instanceof PomonaError && error.details.handlerCode === "NOT_JOINED") this.needsJoin = true;
      this.disrupted();
    } finally {
      this.inFlight = false;
    }
  }

  private disrupted(): void {
    const now = performance.now();
    if (now >= this.watchingFromMs && this.disruptedAtMs === undefined) this.disruptedAtMs = now;
  }
}

/** Starts `count` players in waves of 50, as players arrive. */
export async function startPlayers(cluster: EphemeralCluster, count: number, intervalMs: number, prefix: string): Promise<ChaosPlayer[]> {
  const players: ChaosPlayer[] = [];
  for (let wave = 0; wave < count; wave += 50) {
    const batch = Array.from({ length: Math.min(50, count - wave) }, (_, i) => new ChaosPlayer(`${prefix}-${wave + i}`, cluster, intervalMs));
    players.push(...batch);
    await Promise.all(batch.map((player) => player.start()));
  }
  return players;
}
