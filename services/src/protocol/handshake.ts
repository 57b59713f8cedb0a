import { ProtocolError } from "./errors";
import { isJsonObject, parseJsonBytes, type JsonObject } from "./json";
import { encodePackage, PackageType } from "./package";
import { RouteDictionary } from "./route-dictionary";

/**
 * Handshake negotiation: the client's handshake package carries JSON `{sys, user}`; the server
 * answers with a handshake package carrying `{code, sys: {heartbeat, dict, protos?}, user?}`.
 */
export const HandshakeCode = {
  Ok: 200,
  Fail: 500,
  OldClient: 501,
} as const;
export type HandshakeCode = (typeof HandshakeCode)[keyof typeof HandshakeCode];

/**
 * What the client says about itself. Pomelo clients send `type` and `version`, Pitaya clients
 * `platform`, `libVersion`, `clientBuildNumber`, `clientVersion`: all kept, none required.
 */
export interface ClientHandshakeSys {
  readonly type?: string;
  readonly version?: string;
  readonly [key: string]: unknown;
}

export interface ClientHandshake {
  readonly sys: ClientHandshakeSys;
  /** Application data for the game's own handshake check; `{}` when the client sent none. */
  readonly user: JsonObject;
}

export interface HandshakeAccepted {
  readonly code: typeof HandshakeCode.Ok;
  /** Heartbeat interval, whole seconds on the wire (Pitaya's clients parse it as an int). */
  readonly heartbeatSeconds: number;
  /** Sent as `sys.dict` (route → code) so clients compress routes. */
  readonly dictionary?: RouteDictionary;
  /** Pomelo protobuf schemas `{server, client, version}` (parsed form), for clients that use them. */
  readonly protos?: JsonObject;
  /** Pomelo's `sys.useProto`: this connection's bodies are protobuf on routes with a proto. */
  readonly useProto?: boolean;
  /** Body format name for Pitaya clients (e.g. 'json'); Pomelo clients ignore it. */
  readonly serializer?: string;
  /** The game's handshake answer, handed to the client's handshake callback. */
  readonly user?: JsonObject;
}

export interface HandshakeRejected {
  readonly code: typeof HandshakeCode.Fail | typeof HandshakeCode.OldClient;
}

export type HandshakeResponse = HandshakeAccepted | HandshakeRejected;

/** Validates the client's handshake body; anything but `{sys: {...}, user?: {...}}` is BAD_HANDSHAKE. */
export function parseClientHandshake(body: Uint8Array): ClientHandshake {
  const handshake = parseJsonBytes(body, "BAD_HANDSHAKE", "handshake");
  if (!isJsonObject(handshake)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake must be a JSON object");
  }
  const { sys, user } = handshake;
  if (!isJsonObject(sys)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake must have a sys object");
  }
  if (sys.type !== undefined && typeof sys.type !== "string") {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake sys.type must be a string");
  }
  if (sys.version !== undefined && typeof sys.version !== "string") {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake sys.version must be a string");
  }
  if (user === undefined || user === null) {
    return { sys, user: {} };
  }
  if (!isJsonObject(user)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake user must be an object");
  }
  return { sys, user };
}

/**
 * The complete handshake package answering a client. An acceptance is the same for every client
 * of a server, so build it once and send the same Buffer to all of them.
 */
export function encodeHandshakeResponse(response: HandshakeResponse): Buffer {
  return encodePackage(PackageType.Handshake, Buffer.from(stringify(toWire(response)), "utf8"));
}

/** The client side: reads the server's handshake answer (used by bots and tests). */
export function parseHandshakeResponse(body: Uint8Array): HandshakeResponse {
  const response = parseJsonBytes(body, "BAD_HANDSHAKE", "handshake response");
  if (!isJsonObject(response)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake response must be a JSON object");
  }
  const { code, sys, user } = response;
  if (code === HandshakeCode.Fail || code === HandshakeCode.OldClient) {
    return { code };
  }
  if (code !== HandshakeCode.Ok) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake response code must be 200, 500 or 501");
  }
  if (!isJsonObject(sys)) {
    throw new ProtocolError("BAD_HANDSHAKE", "an accepting handshake response must have a sys object");
  }
  const { heartbeat, dict, protos, useProto, serializer } = sys;
  // Other servers may send fractional seconds; only our encoder insists on whole ones.
  if (typeof heartbeat !== "number" || !(heartbeat > 0) || !Number.isFinite(heartbeat)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake sys.heartbeat must be a positive number of seconds");
  }
  if (dict !== undefined && !isJsonObject(dict)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake sys.dict must be an object of route to code");
  }
  if (protos !== undefined && !isJsonObject(protos)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake sys.protos must be an object");
  }
  if (useProto !== undefined && typeof useProto !== "boolean") {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake sys.useProto must be a boolean");
  }
  if (serializer !== undefined && typeof serializer !== "string") {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake sys.serializer must be a string");
  }
  if (user !== undefined && !isJsonObject(user)) {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake response user must be an object");
  }
  return {
    code,
    heartbeatSeconds: heartbeat,
    ...(dict === undefined ? {} : { dictionary: RouteDictionary.fromHandshakeDict(dict as Record<string, number>) }),
    ...(protos === undefined ? {} : { protos }),
    ...(useProto === undefined ? {} : { useProto }),
    ...(serializer === undefined ? {} : { serializer }),
    ...(user === undefined ? {} : { user }),
  };
}

function toWire(response: HandshakeResponse): JsonObject {
  if (response.code === HandshakeCode.Fail || response.code === HandshakeCode.OldClient) {
    return { code: response.code };
  }
  if (response.code !== HandshakeCode.Ok) {
    throw new ProtocolError("BAD_HANDSHAKE", `handshake response code must be 200, 500 or 501, got ${String((response as { code: unknown }).code)}`);
  }
  const { heartbeatSeconds, dictionary, protos, useProto, serializer, user } = response;
  if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 1) {
    throw new ProtocolError("BAD_HANDSHAKE", `heartbeatSeconds must be a positive whole number, got ${heartbeatSeconds}`);
  }
  return {
    code: response.code,
    sys: { heartbeat: heartbeatSeconds, dict: dictionary?.toHandshakeDict(), protos, useProto, serializer },
    user,
  };
}

function stringify(wire: JsonObject): string {
  try {
    return JSON.stringify(wire);
  } catch {
    throw new ProtocolError("BAD_HANDSHAKE", "handshake protos or user cannot be serialized as JSON");
  }
}
