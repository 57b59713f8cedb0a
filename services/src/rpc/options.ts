/**
 * The one typed, validated options object per RPC role. Every duration carries its unit in
 * its name; every bound that keeps memory finite is here with its default.
 */
import { z } from "zod";
import { parseConfig } from "../config/validate";

const MiB = 1024 * 1024;

/** Ids and incarnations travel in the handshake as length-prefixed short strings. */
const shortString = z.string().min(1).max(128);

/** Settings of one link, the same on both ends. */
const linkFields = {
  /** Deadline of a call when the caller gives none. */
  requestTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
  /** Calls awaiting an answer on one link; beyond this a call fails with RpcBackpressureError. */
  maxPendingRequests: z.number().int().min(1).max(1_000_000).default(10_000),
  /**
   * Bytes queued on one link (encoded but not yet taken by the kernel). Once reached, new
   * calls and notifications fail with RpcBackpressureError until the peer reads. Answers to
   * the peer's own requests are always queued: the peer's maxPendingRequests bounds them.
   */
  maxQueuedBytes: z.number().int().min(1024).max(1024 * MiB).default(8 * MiB),
  /** Largest frame accepted or sent; a bigger length prefix closes the connection as malformed. */
  maxFrameBytes: z.number().int().min(64 * 1024).max(1024 * MiB).default(16 * MiB),
  /** A link that heard nothing for this long sends a ping, so a silent peer is noticed. */
  pingIntervalMs: z.number().int().min(10).max(600_000).default(5_000),
  /** A peer silent for this long (no frame at all, not even a pong) is declared gone. */
  pingTimeoutMs: z.number().int().min(20).max(3_600_000).default(15_000),
};

function pingOrder(value: { pingIntervalMs: number; pingTimeoutMs: number }, ctx: z.RefinementCtx): void {
  if (value.pingTimeoutMs <= value.pingIntervalMs) {
    ctx.addIssue({ code: "custom", path: ["pingTimeoutMs"], message: "must exceed pingIntervalMs (a ping needs time to be answered)" });
  }
}

export const rpcClientOptionsSchema = z
  .object({
    /** This server's own id, stated in every handshake. */
    serverId: shortString,
    ...linkFields,
    /** TCP connect plus handshake; a peer that takes longer counts as unreachable. */
    connectTimeoutMs: z.number().int().min(1).max(60_000).default(2_000),
    /** A link with no call, answer or notification in either direction for this long is closed; 0 keeps links open. */
    idleCloseMs: z.number().int().min(0).max(86_400_000).default(60_000),
    /** Reconnect backoff: the first retry waits about this long, then it doubles up to `reconnectMaxMs`. */
    reconnectBaseMs: z.number().int().min(1).max(60_000).default(100),
    reconnectMaxMs: z.number().int().min(1).max(600_000).default(5_000),
    /** Fraction of each backoff delay that is random (0 = none, 1 = anywhere in [0, delay]), so a cluster does not reconnect in lockstep. */
    reconnectJitter: z.number().min(0).max(1).default(0.5),
  })
  .strict()
  .superRefine((value, ctx) => {
    pingOrder(value, ctx);
    if (value.reconnectBaseMs > value.reconnectMaxMs) {
      ctx.addIssue({ code: "custom", path: ["reconnectBaseMs"], message: "must not exceed reconnectMaxMs" });
    }
  });

export const rpcServerOptionsSchema = z
  .object({
    /** This server's id and incarnation, returned in the handshake so clients can detect a reused address. */
    serverId: shortString,
    incarnation: shortString,
    ...linkFields,
    /** An accepted connection must complete the handshake within this, or it is dropped. */
    handshakeTimeoutMs: z.number().int().min(1).max(60_000).default(5_000),
    /** Inbound links are normally closed by the client that opened them; 0 leaves it so. */
    idleCloseMs: z.number().int().min(0).max(86_400_000).default(0),
  })
  .strict()
  .superRefine(pingOrder);

export type RpcClientOptionsInput = z.input<typeof rpcClientOptionsSchema>;
export type RpcClientOptions = z.output<typeof rpcClientOptionsSchema>;
export type RpcServerOptionsInput = z.input<typeof rpcServerOptionsSchema>;
export type RpcServerOptions = z.output<typeof rpcServerOptionsSchema>;

/** What a single link needs from either role's options. */
export type RpcLinkOptions = Pick<
  RpcClientOptions,
  "requestTimeoutMs" | "maxPendingRequests" | "maxQueuedBytes" | "maxFrameBytes" | "pingIntervalMs" | "pingTimeoutMs" | "idleCloseMs"
> & {
  /** Client: connect + handshake; server: handshake only. */
  handshakeTimeoutMs: number;
};

export function parseRpcClientOptions(input: RpcClientOptionsInput): RpcClientOptions {
  return parseConfig("rpc.client", rpcClientOptionsSchema, input);
}

export function parseRpcServerOptions(input: RpcServerOptionsInput): RpcServerOptions {
  return parseConfig("rpc.server", rpcServerOptionsSchema, input);
}
