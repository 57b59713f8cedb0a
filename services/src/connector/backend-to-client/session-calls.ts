/**
 * What backends ask of this connector's sessions outside the tick batch: push, kick, bind,
 * setSettings. Errors carry a string `code` so the backend's RemoteError names it.
 */
import type { BindRequest, KickRequest, KickResult, PushRequest, PushResult, SessionSettingsRequest } from "../../cluster/contract";
import type { SessionRegistry } from "../../session/registry";
import type { ProtobufTranscoder } from "../protobuf-transcoder";
import type { ClientConnection } from "../socket/client-connection";

export class SessionCallError extends Error {
  constructor(
    readonly code: "NO_SESSION" | "BAD_REQUEST" | "ALREADY_BOUND",
    message: string,
  ) {
    super(message);
    this.name = "SessionCallError";
  }
}

export interface SessionCallTarget {
  readonly sessions: SessionRegistry<ClientConnection>;
  kickSession(connection: ClientConnection, reason: string): boolean;
  bindUid(connection: ClientConnection, uid: string): void;
  setSettings(connection: ClientConnection, settings: Readonly<Record<string, unknown>>): void;
  countUnknownSession(): void;
  /** Translates pushes for protobuf clients; absent without protos. */
  readonly protobuf: ProtobufTranscoder | undefined;
}

export function push(target: SessionCallTarget, request: PushRequest): PushResult {
  if (!isObject(request) || !(request.packages instanceof Uint8Array)) throw new SessionCallError("BAD_REQUEST", "push needs packages bytes");
  const recipients = new Set<ClientConnection>();
  for (const sessionId of stringList(request.sessionIds, "sessionIds")) addOrCount(target, recipients, target.sessions.get(sessionId));
  for (const uid of stringList(request.uids, "uids")) addOrCount(target, recipients, target.sessions.getByUid(uid));
  let delivered = 0;
  let translated: Buffer | undefined;
  for (const connection of recipients) {
    // Translated once for all protobuf recipients of the call.
    const packages = connection.protobuf ? (translated ??= target.protobuf!.packages(request.packages)) : request.packages;
    if (packages.length > 0 && connection.send(packages)) delivered++;
  }
  return { delivered };
}

export function kick(target: SessionCallTarget, request: KickRequest): KickResult {
  if (!isObject(request) || typeof request.reason !== "string") throw new SessionCallError("BAD_REQUEST", "kick needs a reason string");
  let kicked = 0;
  if (typeof request.sessionId === "string") {
    const connection = target.sessions.get(request.sessionId);
    if (connection !== undefined && target.kickSession(connection, request.reason)) kicked++;
  }
  if (typeof request.uid === "string") {
    const connection = target.sessions.getByUid(request.uid);
    if (connection !== undefined && target.kickSession(connection, request.reason)) kicked++;
  }
  return { kicked };
}

export function bind(target: SessionCallTarget, request: BindRequest): void {
  if (!isObject(request) || typeof request.sessionId !== "string" || typeof request.uid !== "string" || request.uid === "") {
    throw new SessionCallError("BAD_REQUEST", "bind needs sessionId and a non-empty uid");
  }
  target.bindUid(liveSession(target, request.sessionId), request.uid);
}

export function setSettings(target: SessionCallTarget, request: SessionSettingsRequest): void {
  if (!isObject(request) || typeof request.sessionId !== "string" || !isObject(request.settings)) {
    throw new SessionCallError("BAD_REQUEST", "setSettings needs sessionId and a settings object");
  }
  target.setSettings(liveSession(target, request.sessionId), request.settings);
}

function liveSession(target: SessionCallTarget, sessionId: string): ClientConnection {
  const connection = target.sessions.get(sessionId);
  if (connection === undefined || !connection.isOpen) throw new SessionCallError("NO_SESSION", `session ${sessionId} is not on this connector`);
  return connection;
}

function addOrCount(target: SessionCallTarget, recipients: Set<ClientConnection>, connection: ClientConnection | undefined): void {
  if (connection === undefined) target.countUnknownSession();
  else recipients.add(connection);
}

function stringList(value: unknown, what: string): readonly string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw new SessionCallError("BAD_REQUEST", `${what} must be a list of strings`);
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> & Record<never, never> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
