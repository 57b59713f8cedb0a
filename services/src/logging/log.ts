/**
 * Structured logs (pino, JSON lines on stderr — stdout carries the processes' event lines): one
 * process-wide logger, labelled with the role and server id once the process knows them
 * (`configureLog`), so every module logs through `log` without passing a logger around.
 *
 *   log.error({ err, sessionId, route }, "local handler failed");
 *
 * LOG_LEVEL (trace … fatal, default info) sets the level. `setLogDestination` sends the lines
 * elsewhere (a test reads what an in-process server logged); without an argument, back to stderr.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

const options: LoggerOptions = { level: process.env.LOG_LEVEL ?? "info", base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
// Synchronous: the few lines an error path writes must not be lost when the process exits right after.
const stderr = (): DestinationStream => pino.destination({ fd: 2, sync: true });
let fields: Record<string, string> = {};
let root: Logger = pino(options, stderr());

/** Every later line carries these fields (`role`, `server`). */
export function configureLog(labels: { readonly role: string; readonly server: string }): void {
  fields = { ...fields, ...labels };
  root = root.child(labels);
}

/** Where every later line goes; undefined: stderr again. */
export function setLogDestination(destination?: DestinationStream): void {
  root = pino(options, destination ?? stderr()).child(fields);
}

type LogMethod = (fields: Record<string, unknown>, message: string) => void;

export const log: { readonly error: LogMethod; readonly warn: LogMethod; readonly info: LogMethod; readonly debug: LogMethod } = {
  error: (fields, message) => root.error(fields, message),
  warn: (fields, message) => root.warn(fields, message),
  info: (fields, message) => root.info(fields, message),
  debug: (fields, message) => root.debug(fields, message),
};
