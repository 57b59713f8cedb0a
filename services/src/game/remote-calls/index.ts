/** Server-to-server calls from games (`ctx.rpc`). */
export { RemoteCaller, type RemoteCallerOptions, type RemoteCallStats } from "./remote-caller";
export { CallRouter, NoServerError, MAX_STICKY_BINDINGS } from "./call-router";
