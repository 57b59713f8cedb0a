/** Handler filters: the chain that runs them, and the built-in ones. */
export { runFiltered } from "./chain";
export { serialPerSession, type SerialPerSessionOptions } from "./serial-per-session";
export { handlerTimeout, type HandlerTimeoutOptions } from "./handler-timeout";
export { tooBusy, type TooBusyOptions } from "./too-busy";
export { LagMonitor } from "./lag-monitor";
