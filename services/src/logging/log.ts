/**
 * Structured logs (pino, JSON lines on stderr — stdout carries the processes' event lines): one
 * process-wide logger, labelled with the role and server id once the process knows them
 * (`configureLog`), so every module logs through `log` without passing a logger around.
 *
 *   log.error({ err, sessionId, route }, "local handler failed");
 *
 * LOG_LEVEL (trace … fatal, default info) sets the level.
 */
import pino, { type Logger } from "pino";

// Synchronous: the few lines an error path writes must not be lost when the process exits right after.
let root: Logger = pino(
  { level: process.env.LOG_LEVEL ?? "info", base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
  pino.destination({ fd: 2, sync: true }),
);

/** Every later line carries these fields (`role`, `server`). */
export function configureLog(fields: { readonly role: string; readonly server: string }): void {
  root = root.child(fields);
}

type LogMethod = (fields: Record<string, unknown>, message: string) => void;

export const log: { readonly error: LogMethod; readonly warn: LogMethod; readonly info: LogMethod; readonly debug: LogMethod } = {
  error: (fields, message) => root.error(fields, message),
  warn: (fields, message) => root.warn(fields, message),
  info: (fields, message) => root.info(fields, message),
  debug: (fields, message) => root.debug(fields, message),
};
