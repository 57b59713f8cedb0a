/**
 * One client socket and its session, as the uWS user data of the socket. All writes to the
 * client go through `send` (corked, send status checked) and every close through `close`, so the
 * reason is recorded before uWS runs the close handler.
 */
import type { WebSocket } from "uWebSockets.js";
import type { ConnectTokenClaims } from "../../auth";
import { encodeKickPackage } from "../../protocol";
import type { Session } from "../../session/session";
import type { ConnectorCounters } from "../counters";
import { CloseKind, closeFrameReason } from "./close-reasons";
import type { TokenBucket } from "./token-bucket";
import type { RouteLimiter } from "../client-to-backend/route-limits";

export const ConnectionPhase = {
  AwaitingHandshake: 0,
  AwaitingAck: 1,
  Ready: 2,
} as const;
export type ConnectionPhase = (typeof ConnectionPhase)[keyof typeof ConnectionPhase];

const NO_TOPICS: readonly string[] = Object.freeze([]);

/** uWS `send` results. */
const SEND_DROPPED = 2;
const SEND_BACKPRESSURE = 0;

/** uWS copies user data into a plain object (own properties only), so the connection travels wrapped. */
export interface SocketData {
  readonly connection: ClientConnection;
}

export class ClientConnection {
  phase: ConnectionPhase = ConnectionPhase.AwaitingHandshake;
  /** Set from open to close; undefined before and after (the uWS socket must not be touched then). */
  ws: WebSocket<SocketData> | undefined;
  lastHeardMs: number;
  readonly openedMs: number;
  inFlightRequests = 0;
  /** The send buffer size last observed (liveness sweep, sends that built backpressure): tells a backpressure close from a lost client. */
  bufferedBytesSeen = 0;
  /** Per-route limits of this connection; made on the first message of a limited route. */
  routeLimiter: RouteLimiter | undefined;
  /** The verified connect token the client upgraded with (auth configured); its uid is bound on open. */
  authClaims: ConnectTokenClaims | undefined;
  /** The client asked for protobuf bodies in its handshake (and the connector has protos): set before any data flows. */
  protobuf = false;
  /**
   * Channel topics this socket is subscribed to (backend-to-client/topic-members.ts keeps it).
   * Replaced, never grown in place: an array grown by push reserves 17 slots (~150 bytes per socket).
   */
  topics: readonly string[] = NO_TOPICS;
  /** The tick fan-out's marks: the batch that listed this socket last, and its own packages in it. */
  tickMark = 0;
  tickOwn: Buffer | undefined;
  private closeKindValue: CloseKind | undefined;
  private closeReasonValue: string | undefined;

  constructor(
    readonly session: Session,
    readonly rate: TokenBucket,
    nowMs: number,
    private readonly counters: ConnectorCounters,
    private readonly maxBackpressureBytes: number,
  ) {
    this.lastHeardMs = nowMs;
    this.openedMs = nowMs;
  }

  /** True from open until the connector or the client starts closing. */
  get isOpen(): boolean {
    return this.ws !== undefined && this.closeKindValue === undefined;
  }

  get closeKind(): CloseKind | undefined {
    return this.closeKindValue;
  }

  get closeReason(): string | undefined {
    return this.closeReasonValue;
  }

  /** One WebSocket message of one or more complete packages. False when the client is gone or was just closed for backpressure. */
  send(packages: Uint8Array): boolean {
    const ws = this.ws;
    if (ws === undefined || this.closeKindValue !== undefined) return false;
    let status = 1;
    ws.cork(() => {
      status = ws.send(packages, true);
    });
    if (status === SEND_DROPPED) {
      this.close("backpressure", `slow consumer: over ${this.maxBackpressureBytes} bytes unsent`);
      return false;
    }
    if (status === SEND_BACKPRESSURE) this.bufferedBytesSeen = ws.getBufferedAmount();
    this.counters.messagesOut++;
    return true;
  }

  /**
   * Closes with `kind`'s code; kinds that kick first send a kick package `{reason}`. The first
   * close wins. uWS runs the close handler synchronously inside `end`.
   */
  close(kind: CloseKind, reason: string): void {
    const ws = this.ws;
    if (ws === undefined || this.closeKindValue !== undefined) return;
    this.closeKindValue = kind;
    this.closeReasonValue = reason;
    const spec = CloseKind[kind];
    if (spec.kick) {
      ws.cork(() => {
        ws.send(encodeKickPackage(reason), true);
      });
    }
    ws.end(spec.code, closeFrameReason(reason));
  }

  /** Called by the uWS close handler; a close the connector did not start gets its kind from the code and message. */
  socketClosed(code: number, message: string): CloseKind {
    if (this.closeKindValue === undefined) {
      // uWS closes over-long messages itself, and slow consumers when closeOnBackpressureLimit trips on a publish.
      if (message === "Received too big message") {
        this.closeKindValue = "oversized";
        this.closeReasonValue = "message over maxPayloadBytes";
      } else if (code === 1006 && message === "" && this.bufferedBytesSeen > 0) {
        this.closeKindValue = "backpressure";
        this.closeReasonValue = `slow consumer: over ${this.maxBackpressureBytes} bytes unsent`;
      } else {
        this.closeKindValue = "clientClosed";
        this.closeReasonValue = message === "" ? `client closed (${code})` : `client closed (${code} ${message})`;
      }
    }
    this.ws = undefined;
    return this.closeKindValue;
  }
}
