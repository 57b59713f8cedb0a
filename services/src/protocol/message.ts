import { isUtf8 } from "node:buffer";
import { asBuffer } from "./bytes";
import { ProtocolError } from "./errors";
import { MAX_ROUTE_BYTES, type RouteDictionary } from "./route-dictionary";
import { assertMessageId, readVarint, varintLength, writeVarint } from "./varint";

/**
 * Messages, carried in data packages: flag byte (type << 1 | routeCompressed), a varint id for
 * requests and responses, a route for requests, notifies and pushes, then the body.
 */
export const MessageType = {
  Request: 0,
  Notify: 1,
  Response: 2,
  Push: 3,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Body bytes, or text that is written into the output as UTF-8 without an intermediate Buffer. */
export type MessageBody = Uint8Array | string;

export interface RequestMessage<Body = MessageBody> {
  readonly type: typeof MessageType.Request;
  readonly id: number;
  readonly route: string;
  readonly body: Body;
}

export interface NotifyMessage<Body = MessageBody> {
  readonly type: typeof MessageType.Notify;
  readonly route: string;
  readonly body: Body;
}

export interface ResponseMessage<Body = MessageBody> {
  readonly type: typeof MessageType.Response;
  readonly id: number;
  readonly body: Body;
}

export interface PushMessage<Body = MessageBody> {
  readonly type: typeof MessageType.Push;
  readonly route: string;
  readonly body: Body;
}

export type Message<Body = MessageBody> = RequestMessage<Body> | NotifyMessage<Body> | ResponseMessage<Body> | PushMessage<Body>;

/** Whether the route came as a dictionary code, so a message can be re-encoded byte for byte. */
export interface RouteArrival {
  readonly routeCompressed: boolean;
}

/** A decoded message; its body is a view into the decoded bytes, not a copy. */
export type DecodedMessage = ((RequestMessage<Buffer> | NotifyMessage<Buffer> | PushMessage<Buffer>) & RouteArrival) | ResponseMessage<Buffer>;

const ROUTE_COMPRESSED = 0x01;
const ROUTE_CODE_BYTES = 2;
/** Push with a compressed route; any higher flag sets the gzip bit (0x10), reserved bits or a type > 3. */
const MAX_FLAG = (MessageType.Push << 1) | ROUTE_COMPRESSED;
/** Responses have no route, so a route-compressed response is malformed. */
const COMPRESSED_RESPONSE_FLAG = (MessageType.Response << 1) | ROUTE_COMPRESSED;
const ASCII_LIMIT = 0x80;

/**
 * Bytes `message` encodes to, validating everything `writeMessage` relies on. A route is
 * compressed exactly when `dictionary` has a code for it.
 */
export function measureMessage(message: Message, dictionary?: RouteDictionary): number {
  const fixedBytes = 1 + bodyByteLength(message.body);
  switch (message.type) {
    case MessageType.Request:
      assertMessageId(message.id);
      return fixedBytes + varintLength(message.id) + routeByteLength(message.route, dictionary);
    case MessageType.Notify:
    case MessageType.Push:
      return fixedBytes + routeByteLength(message.route, dictionary);
    case MessageType.Response:
      assertMessageId(message.id);
      return fixedBytes + varintLength(message.id);
    default:
      throw new ProtocolError("BAD_MESSAGE_FLAG", `unknown message type ${String((message as { type: unknown }).type)}`);
  }
}

/**
 * Writes `message` at `offset` and returns the offset after it. `target` must have
 * `measureMessage(message, dictionary)` bytes free at `offset`: this is the unchecked half.
 */
export function writeMessage(target: Buffer, offset: number, message: Message, dictionary?: RouteDictionary): number {
  let flag: number = message.type << 1;
  let position = offset + 1;
  if (message.type === MessageType.Request || message.type === MessageType.Response) {
    position = writeVarint(target, position, message.id);
  }
  if (message.type !== MessageType.Response) {
    const code = dictionary?.codeOf(message.route);
    if (code === undefined) {
      // The route goes after its length byte, which is filled in once the write reports its size.
      const routeBytes = target.write(message.route, position + 1, "utf8");
      target[position] = routeBytes;
      position += 1 + routeBytes;
    } else {
      flag |= ROUTE_COMPRESSED;
      target[position] = code >>> 8;
      target[position + 1] = code & 0xff;
      position += ROUTE_CODE_BYTES;
    }
  }
  target[offset] = flag;
  return writeBody(target, position, message.body);
}

/** A message on its own (no package header), in one allocation. */
export function encodeMessage(message: Message, dictionary?: RouteDictionary): Buffer {
  const target = Buffer.allocUnsafe(measureMessage(message, dictionary));
  writeMessage(target, 0, message, dictionary);
  return target;
}

/**
 * Decodes the body of a data package. Compressed routes are resolved through `dictionary`; the
 * returned body is a view into `data`.
 */
export function decodeMessage(data: Uint8Array, dictionary?: RouteDictionary): DecodedMessage {
  const bytes = asBuffer(data);
  const end = bytes.length;
  if (end === 0) {
    throw new ProtocolError("TRUNCATED", "a message needs at least its flag byte");
  }
  const flag = bytes[0];
  if (flag > MAX_FLAG || flag === COMPRESSED_RESPONSE_FLAG) {
    throw new ProtocolError("BAD_MESSAGE_FLAG", `unsupported message flag 0x${flag.toString(16).padStart(2, "0")}`);
  }
  const type = (flag >>> 1) as MessageType;
  const routeCompressed = (flag & ROUTE_COMPRESSED) === ROUTE_COMPRESSED;
  let offset = 1;
  let id = 0;
  if (type === MessageType.Request || type === MessageType.Response) {
    id = readVarint(bytes, offset, end);
    offset += varintLength(id);
  }
  if (type === MessageType.Response) {
    return { type, id, body: bytes.subarray(offset) };
  }

  let route: string;
  if (routeCompressed) {
    if (offset + ROUTE_CODE_BYTES > end) {
      throw new ProtocolError("TRUNCATED", "message ends inside its route code");
    }
    const code = (bytes[offset] << 8) | bytes[offset + 1];
    const knownRoute = dictionary?.routeOf(code);
    if (knownRoute === undefined) {
      throw new ProtocolError("UNKNOWN_ROUTE_CODE", `route code ${code} is not in the route dictionary`);
    }
    route = knownRoute;
    offset += ROUTE_CODE_BYTES;
  } else {
    if (offset >= end) {
      throw new ProtocolError("TRUNCATED", "message ends before its route length");
    }
    const routeEnd = offset + 1 + bytes[offset];
    if (routeEnd > end) {
      throw new ProtocolError("TRUNCATED", "message ends inside its route");
    }
    route = decodeRoute(bytes, offset + 1, routeEnd);
    offset = routeEnd;
  }

  const body = bytes.subarray(offset);
  if (type === MessageType.Request) {
    return { type, id, route, routeCompressed, body };
  }
  return { type, route, routeCompressed, body };
}

function routeByteLength(route: string, dictionary: RouteDictionary | undefined): number {
  if (dictionary?.codeOf(route) !== undefined) {
    return ROUTE_CODE_BYTES;
  }
  const routeBytes = Buffer.byteLength(route, "utf8");
  if (routeBytes > MAX_ROUTE_BYTES) {
    throw new ProtocolError("ROUTE_TOO_LONG", `route of ${routeBytes} UTF-8 bytes exceeds ${MAX_ROUTE_BYTES}`);
  }
  return 1 + routeBytes;
}

function bodyByteLength(body: MessageBody): number {
  return typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength;
}

function writeBody(target: Buffer, offset: number, body: MessageBody): number {
  if (typeof body === "string") {
    return offset + target.write(body, offset, "utf8");
  }
  target.set(body, offset);
  return offset + body.byteLength;
}

/** Routes are almost always ASCII: only scan for UTF-8 validity when a high byte shows up. */
function decodeRoute(bytes: Buffer, start: number, end: number): string {
  for (let index = start; index < end; index++) {
    if (bytes[index] >= ASCII_LIMIT) {
      if (!isUtf8(bytes.subarray(start, end))) {
        throw new ProtocolError("BAD_ROUTE", "route is not valid UTF-8");
      }
      return bytes.toString("utf8", start, end);
    }
  }
  return bytes.toString("latin1", start, end);
}
