/**
 * The client SDK's WebSocket in Node (the `ws` package), resolving `*.localhost` to loopback the way
 * browsers do: this machine's getaddrinfo does not (no nss-myhostname), and the local cluster hands
 * out `connector-N.localhost`.
 */
import dns, { type LookupAddress, type LookupOptions } from "node:dns";
import WebSocket from "ws";
import type { WebSocketFactory, WebSocketLike } from "../../services/src/client";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function localhostLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) {
    if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
    return;
  }
  dns.lookup(hostname, options, callback as never);
}

export const nodeWebSocket: WebSocketFactory = (url) => new WebSocket(url, { lookup: localhostLookup as never, perMessageDeflate: false }) as unknown as WebSocketLike;
