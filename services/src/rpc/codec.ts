/**
 * Message layer inside a frame body. A hand-rolled envelope (kind, request id, method) lets
 * the link dispatch without touching the payload; the payload is MessagePack (msgpackr),
 * or the bytes themselves when the caller passes a Buffer, or nothing for `undefined`.
 * MessagePack keeps Buffers nested in objects as raw bytes (no base64) and measured as fast
 * as JSON on small objects (docs/benchmarks.md, scripts/bench-codec.ts).
 *
 *   byte 0: kind (low 4 bits) | payload format << 4
 *   Request   u32 id, u8 method length, method (UTF-8), payload
 *   Response  u32 id, payload
 *   Error     u32 id, u8 code length, code, message (UTF-8, rest of body)
 *   Notify    u8 method length, method, payload
 *   Hello     u8 protocol version, u8 length, client server id
 *   Welcome   u8 protocol version, u8 length, server id, u8 length, incarnation
 *   Ping, Pong  nothing
 */
import { Packr } from "msgpackr";
import { RpcFrameError } from "./errors";
import type { FrameWriter } from "./frame";

export const PROTOCOL_VERSION = 1;

export const MessageKind = {
  Request: 1,
  Response: 2,
  Error: 3,
  Notify: 4,
  Hello: 5,
  Welcome: 6,
  Ping: 7,
  Pong: 8,
} as const;

const Format = { Msgpack: 0, Raw: 1, None: 2 } as const;
type Format = (typeof Format)[keyof typeof Format];

export type RpcMessage =
  | { kind: typeof MessageKind.Request; id: number; method: string; payload: unknown }
  | { kind: typeof MessageKind.Response; id: number; payload: unknown }
  | { kind: typeof MessageKind.Error; id: number; code: string; message: string }
  | { kind: typeof MessageKind.Notify; method: string; payload: unknown }
  | { kind: typeof MessageKind.Hello; version: number; serverId: string }
  | { kind: typeof MessageKind.Welcome; version: number; serverId: string; incarnation: string }
  | { kind: typeof MessageKind.Ping }
  | { kind: typeof MessageKind.Pong };

/** Records off: each message is self-describing, no per-connection structure state to get out of sync. */
const packr = new Packr({ useRecords: false });
const EMPTY = Buffer.alloc(0);
const MAX_SHORT_STRING_BYTES = 255;

/** Method names are a small fixed set; their encoded bytes are cached (bounded, in case callers build names dynamically). */
const encodedNames = new Map<string, Buffer>();
const MAX_CACHED_NAMES = 4096;

function shortString(value: string, what: string): Buffer {
  let bytes = encodedNames.get(value);
  if (bytes !== undefined) return bytes;
  bytes = Buffer.from(value, "utf8");
  if (bytes.length > MAX_SHORT_STRING_BYTES) throw new RangeError(`${what} is ${bytes.length} bytes of UTF-8, at most ${MAX_SHORT_STRING_BYTES}`);
  if (encodedNames.size < MAX_CACHED_NAMES) encodedNames.set(value, bytes);
  return bytes;
}

function formatOf(payload: unknown): Format {
  if (payload === undefined) return Format.None;
  return payload instanceof Uint8Array ? Format.Raw : Format.Msgpack;
}

function payloadBytes(format: Format, payload: unknown): Uint8Array {
  if (format === Format.Msgpack) return packr.pack(payload);
  return format === Format.Raw ? (payload as Uint8Array) : EMPTY;
}

export function writeRequest(writer: FrameWriter, id: number, method: string, payload: unknown): void {
  const name = shortString(method, "method");
  const format = formatOf(payload);
  const bytes = payloadBytes(format, payload);
  const buffer = writer.beginFrame(6 + name.length, bytes.length);
  const at = writer.headOffset;
  buffer[at] = MessageKind.Request | (format << 4);
  buffer.writeUInt32BE(id, at + 1);
  buffer[at + 5] = name.length;
  buffer.set(name, at + 6);
  writer.append(bytes);
}

export function writeResponse(writer: FrameWriter, id: number, payload: unknown): void {
  const format = formatOf(payload);
  const bytes = payloadBytes(format, payload);
  const buffer = writer.beginFrame(5, bytes.length);
  const at = writer.headOffset;
  buffer[at] = MessageKind.Response | (format << 4);
  buffer.writeUInt32BE(id, at + 1);
  writer.append(bytes);
}

export function writeError(writer: FrameWriter, id: number, code: string, message: string): void {
  const codeBytes = Buffer.from(code, "utf8").subarray(0, MAX_SHORT_STRING_BYTES);
  // Bounded so an enormous remote message can never exceed the frame limit.
  const text = Buffer.from(message.length > 8192 ? `${message.slice(0, 8192)}…` : message, "utf8");
  const buffer = writer.beginFrame(6 + codeBytes.length, text.length);
  const at = writer.headOffset;
  buffer[at] = MessageKind.Error;
  buffer.writeUInt32BE(id, at + 1);
  buffer[at + 5] = codeBytes.length;
  buffer.set(codeBytes, at + 6);
  writer.append(text);
}

export function writeNotify(writer: FrameWriter, method: string, payload: unknown): void {
  const name = shortString(method, "method");
  const format = formatOf(payload);
  const bytes = payloadBytes(format, payload);
  const buffer = writer.beginFrame(2 + name.length, bytes.length);
  const at = writer.headOffset;
  buffer[at] = MessageKind.Notify | (format << 4);
  buffer[at + 1] = name.length;
  buffer.set(name, at + 2);
  writer.append(bytes);
}

export function writeHello(writer: FrameWriter, serverId: string): void {
  const id = shortString(serverId, "server id");
  const buffer = writer.beginFrame(3 + id.length, 0);
  const at = writer.headOffset;
  buffer[at] = MessageKind.Hello;
  buffer[at + 1] = PROTOCOL_VERSION;
  buffer[at + 2] = id.length;
  buffer.set(id, at + 3);
}

export function writeWelcome(writer: FrameWriter, serverId: string, incarnation: string): void {
  const id = shortString(serverId, "server id");
  const inc = shortString(incarnation, "incarnation");
  const buffer = writer.beginFrame(4 + id.length + inc.length, 0);
  const at = writer.headOffset;
  buffer[at] = MessageKind.Welcome;
  buffer[at + 1] = PROTOCOL_VERSION;
  buffer[at + 2] = id.length;
  buffer.set(id, at + 3);
  buffer[at + 3 + id.length] = inc.length;
  buffer.set(inc, at + 4 + id.length);
}

export function writePing(writer: FrameWriter): void {
  const buffer = writer.beginFrame(1, 0);
  buffer[writer.headOffset] = MessageKind.Ping;
}

export function writePong(writer: FrameWriter): void {
  const buffer = writer.beginFrame(1, 0);
  buffer[writer.headOffset] = MessageKind.Pong;
}

/** Decodes one frame body. Anything malformed throws RpcFrameError and nothing else. */
export function decodeMessage(body: Buffer): RpcMessage {
  const length = body.length;
  if (length === 0) throw new RpcFrameError("empty body");
  const kind = body[0]! & 0x0f;
  const format = body[0]! >> 4;
  switch (kind) {
    case MessageKind.Request: {
      need(body, 6, "request head");
      const end = 6 + body[5]!;
      need(body, end, "request method");
      return { kind, id: body.readUInt32BE(1), method: body.toString("utf8", 6, end), payload: decodePayload(format, body, end) };
    }
    case MessageKind.Response:
      need(body, 5, "response head");
      return { kind, id: body.readUInt32BE(1), payload: decodePayload(format, body, 5) };
    case MessageKind.Error: {
      noFormat(format, kind);
      need(body, 6, "error head");
      const end = 6 + body[5]!;
      need(body, end, "error code");
      return { kind, id: body.readUInt32BE(1), code: body.toString("utf8", 6, end), message: body.toString("utf8", end, length) };
    }
    case MessageKind.Notify: {
      need(body, 2, "notify head");
      const end = 2 + body[1]!;
      need(body, end, "notify method");
      return { kind, method: body.toString("utf8", 2, end), payload: decodePayload(format, body, end) };
    }
    case MessageKind.Hello: {
      noFormat(format, kind);
      need(body, 3, "hello head");
      const end = 3 + body[2]!;
      exact(body, end, "hello");
      return { kind, version: body[1]!, serverId: body.toString("utf8", 3, end) };
    }
    case MessageKind.Welcome: {
      noFormat(format, kind);
      need(body, 4, "welcome head");
      const idEnd = 3 + body[2]!;
      need(body, idEnd + 1, "welcome server id");
      const end = idEnd + 1 + body[idEnd]!;
      exact(body, end, "welcome");
      return { kind, version: body[1]!, serverId: body.toString("utf8", 3, idEnd), incarnation: body.toString("utf8", idEnd + 1, end) };
    }
    case MessageKind.Ping:
    case MessageKind.Pong:
      noFormat(format, kind);
      exact(body, 1, "ping/pong");
      return { kind };
    default:
      throw new RpcFrameError(`unknown message kind ${kind}`);
  }
}

function need(body: Buffer, bytes: number, what: string): void {
  if (body.length < bytes) throw new RpcFrameError(`${what} truncated (${body.length} < ${bytes} bytes)`);
}

function exact(body: Buffer, bytes: number, what: string): void {
  if (body.length !== bytes) throw new RpcFrameError(`${what} is ${body.length} bytes, expected ${bytes}`);
}

function noFormat(format: number, kind: number): void {
  if (format !== 0) throw new RpcFrameError(`message kind ${kind} carries no payload but has format ${format}`);
}

function decodePayload(format: number, body: Buffer, start: number): unknown {
  switch (format) {
    case Format.None:
      if (start !== body.length) throw new RpcFrameError("empty payload followed by bytes");
      return undefined;
    case Format.Raw:
      return body.subarray(start);
    case Format.Msgpack:
      if (start >= body.length) throw new RpcFrameError("missing MessagePack payload");
      try {
        return packr.unpack(body.subarray(start));
      } catch (error) {
        throw new RpcFrameError(`bad MessagePack payload (${error instanceof Error ? error.message.slice(0, 120) : "unknown"})`, { cause: error });
      }
    default:
      throw new RpcFrameError(`unknown payload format ${format}`);
  }
}
