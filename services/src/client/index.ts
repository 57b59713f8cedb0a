/** The client SDK (browsers and Node): gate → connector, requests, pushes, reconnect with resume. docs/client-sdk.md. */
export { PomonaClient, type ClientState, type PomonaClientOptions, type ReconnectOptions } from "./pomona-client";
export { PomonaError, type PomonaErrorCode } from "./errors";
export { type WebSocketFactory, type WebSocketLike } from "./pomelo-socket";
export { type FetchLike } from "./gate-query";
export { shouldReconnect } from "./reconnect-policy";
