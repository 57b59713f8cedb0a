/** Internal RPC between Pomona servers: lazy persistent links, pipelined calls, notifications both ways. */
export { RpcClient, type RpcClientEvents } from "./client";
export { RpcServer, type RpcServerEvents } from "./server";
export { RpcLink, type CallOptions, type LinkState } from "./link";
export { RpcHandlers, type RequestHandler, type NotifyHandler } from "./handlers";
export type { PeerAddress } from "./peer-channel";
export {
  RpcError,
  RpcTimeoutError,
  PeerGoneError,
  RpcWrongPeerError,
  RemoteError,
  RpcBackpressureError,
  RpcFrameError,
  type RpcErrorCode,
} from "./errors";
export {
  rpcClientOptionsSchema,
  rpcServerOptionsSchema,
  parseRpcClientOptions,
  parseRpcServerOptions,
  type RpcClientOptions,
  type RpcClientOptionsInput,
  type RpcServerOptions,
  type RpcServerOptionsInput,
} from "./options";
export { FrameReader, FrameWriter, DEFAULT_MAX_FRAME_BYTES } from "./frame";
export { decodeMessage, MessageKind, PROTOCOL_VERSION, type RpcMessage } from "./codec";
