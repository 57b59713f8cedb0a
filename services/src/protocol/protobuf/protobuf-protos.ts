import { ProtocolError } from "../errors";
import { isJsonObject, type JsonObject } from "../json";
import { compileProtos, type CompiledMessage } from "./compiled";
import { decodeProtobuf } from "./decoder";
import { encodeProtobuf } from "./encoder";
import { handshakeProtos, parseProtos, type ParsedProtos } from "./schema";

/** What a game declares: Pomelo's JSON proto format, messages the server sends and messages clients send. */
export interface ProtosSource {
  /** Responses (by the request's route) and pushes (by their route). */
  readonly server?: JsonObject;
  /** Requests and notifies, by route. */
  readonly client?: JsonObject;
}

/** One direction's messages: encode or decode a body by route. */
export class RouteProtobuf {
  private readonly routes: ReadonlyMap<string, CompiledMessage>;

  constructor(readonly parsed: ParsedProtos) {
    this.routes = compileProtos(parsed);
  }

  /** Whether bodies on `route` are protobuf (otherwise JSON). */
  has(route: string): boolean {
    return this.routes.has(route);
  }

  /** Throws BAD_BODY when `value` does not fit the route's message (or the route has none). */
  encode(route: string, value: unknown): Buffer {
    return encodeProtobuf(this.message(route), value, route);
  }

  /** Throws BAD_BODY for anything but a valid encoding of the route's message. */
  decode(route: string, body: Uint8Array): Record<string, unknown> {
    return decodeProtobuf(this.message(route), body, route);
  }

  private message(route: string): CompiledMessage {
    const message = this.routes.get(route);
    if (message === undefined) throw new ProtocolError("BAD_BODY", `route ${route} has no protobuf message`);
    return message;
  }
}

/**
 * A game's protos, both directions, with Pomelo's version and the handshake's `sys.protos`. The
 * server encodes with `server` and decodes with `client`; a client the other way round.
 */
export class ProtobufProtos {
  readonly server: RouteProtobuf;
  readonly client: RouteProtobuf;
  readonly version: string;
  /** `{server, client, version}`, the parsed form NetEase's clients pass to `protobuf.init`. */
  readonly handshake: JsonObject;

  /** From parsed and validated protos (`parseProtos`); `declareProtos` and `fromHandshake` build them. */
  constructor(server: ParsedProtos, client: ParsedProtos, version: string) {
    this.server = new RouteProtobuf(server);
    this.client = new RouteProtobuf(client);
    this.version = version;
    this.handshake = handshakeProtos(server, client, version);
  }

  /**
   * From a handshake's `sys.protos` (the client side): the parsed form is turned back into source
   * and parsed again, so whatever a server sent is validated as strictly as a declaration.
   */
  static fromHandshake(protos: unknown): ProtobufProtos {
    if (!isJsonObject(protos)) throw new ProtocolError("BAD_PROTOS", "handshake sys.protos must be an object");
    const server = parseProtos(sourceOfParsed(protos.server ?? {}, "sys.protos.server"), "sys.protos.server");
    const client = parseProtos(sourceOfParsed(protos.client ?? {}, "sys.protos.client"), "sys.protos.client");
    const version = protos.version;
    if (typeof version !== "string" && typeof version !== "number") throw new ProtocolError("BAD_PROTOS", "handshake sys.protos.version must be a string or number");
    return new ProtobufProtos(server, client, String(version));
  }

  /** Both directions declare nothing: every body is JSON. */
  get empty(): boolean {
    return Object.keys(this.server.parsed).length === 0 && Object.keys(this.client.parsed).length === 0;
  }
}

/** The parsed form back to Pomelo's source form (`{option, type, tag}` → `"option type name": tag`). */
function sourceOfParsed(parsed: unknown, where: string): JsonObject {
  if (!isJsonObject(parsed)) throw new ProtocolError("BAD_PROTOS", `${where} must be an object`);
  const source: JsonObject = {};
  for (const key of Object.keys(parsed)) source[key] = messageSource(parsed[key], `${where}["${key}"]`);
  return source;
}

function messageSource(parsed: unknown, where: string): JsonObject {
  if (!isJsonObject(parsed)) throw new ProtocolError("BAD_PROTOS", `${where} must be an object`);
  const source: JsonObject = {};
  for (const name of Object.keys(parsed)) {
    if (name === "__tags") continue;
    const entry = parsed[name];
    if (name === "__messages") {
      if (!isJsonObject(entry)) throw new ProtocolError("BAD_PROTOS", `${where}.__messages must be an object`);
      for (const nested of Object.keys(entry)) source[`message ${nested}`] = messageSource(entry[nested], `${where}.${nested}`);
      continue;
    }
    if (!isJsonObject(entry) || typeof entry.option !== "string" || typeof entry.type !== "string") {
      throw new ProtocolError("BAD_PROTOS", `${where}.${name} must be {option, type, tag}`);
    }
    source[`${entry.option} ${entry.type} ${name}`] = entry.tag;
  }
  return source;
}
