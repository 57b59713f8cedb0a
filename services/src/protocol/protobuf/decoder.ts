import { isUtf8 } from "node:buffer";
import { asBuffer } from "../bytes";
import { ProtocolError } from "../errors";
import { FieldKind, type CompiledField, type CompiledMessage } from "./compiled";
import { MAX_NESTING_DEPTH } from "./encoder";

/**
 * pomelo-protobuf bytes → a value, the same value NetEase's decoder returns for everything its
 * encoder writes. Hostile input is the norm here (a client's request body), so where Pomelo's
 * decoder throws a TypeError (unknown tag), reads past the end (RangeError) or decodes garbage,
 * this throws BAD_BODY saying where: unknown tags, a wire type the field's type does not have,
 * truncation anywhere, varints longer than 5 bytes / over 2^32 - 1 / not minimal, invalid UTF-8,
 * NaN or infinite floats, a missing required field, nesting deeper than MAX_NESTING_DEPTH.
 * Work and memory are bounded by the input's length: every element consumes at least one byte.
 */
let bytes: Buffer = Buffer.alloc(0);
let offset = 0;
let routeOf = "";

export function decodeProtobuf(message: CompiledMessage, data: Uint8Array, route: string): Record<string, unknown> {
  bytes = asBuffer(data);
  offset = 0;
  routeOf = route;
  try {
    return readMessage(message, bytes.length, 0);
  } finally {
    bytes = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

function readMessage(message: CompiledMessage, end: number, depth: number): Record<string, unknown> {
  if (depth > MAX_NESTING_DEPTH) fail(`nests messages deeper than ${MAX_NESTING_DEPTH}`);
  const value: Record<string, unknown> = {};
  while (offset < end) {
    const key = readVarint(end);
    const field = message.byTag.get(key >>> 3);
    if (field === undefined) fail(`has unknown field tag ${key >>> 3} at byte ${offset}`);
    if ((key & 7) !== field.wireType) fail(`field ${field.name} has wire type ${key & 7}, its type needs ${field.wireType}`);
    if (!field.repeated) {
      value[field.name] = readValue(field, end, depth);
      continue;
    }
    let list = value[field.name] as unknown[] | undefined;
    if (list === undefined) value[field.name] = list = [];
    if (field.packed) {
      const count = readVarint(end);
      for (let index = 0; index < count; index++) list.push(readValue(field, end, depth));
    } else list.push(readValue(field, end, depth));
  }
  for (let index = 0; index < message.required.length; index++) {
    if (value[message.required[index].name] === undefined) fail(`lacks required field ${message.required[index].name}`);
  }
  return value;
}

function readValue(field: CompiledField, end: number, depth: number): unknown {
  switch (field.kind) {
    case FieldKind.UInt32:
      return readVarint(end);
    case FieldKind.SInt32: {
      const zigzag = readVarint(end);
      return zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2;
    }
    case FieldKind.Float: {
      need(4, end, field);
      const number = bytes.readFloatLE(offset);
      offset += 4;
      return finite(number, field);
    }
    case FieldKind.Double: {
      need(8, end, field);
      const number = bytes.readDoubleLE(offset);
      offset += 8;
      return finite(number, field);
    }
    case FieldKind.String: {
      const length = readVarint(end);
      need(length, end, field);
      const start = offset;
      offset += length;
      return readString(start, offset, field);
    }
    default: {
      const length = readVarint(end);
      need(length, end, field);
      return readMessage(field.message!, offset + length, depth + 1);
    }
  }
}

/** Names and ids are almost always ASCII: only a high byte costs a UTF-8 validation. */
function readString(start: number, end: number, field: CompiledField): string {
  for (let index = start; index < end; index++) {
    if (bytes[index] >= 0x80) {
      if (!isUtf8(bytes.subarray(start, end))) fail(`field ${field.name} is not valid UTF-8`);
      return bytes.toString("utf8", start, end);
    }
  }
  return bytes.toString("latin1", start, end);
}

/** An unsigned 32-bit varint, minimally encoded, not past `end`. */
function readVarint(end: number): number {
  let value = 0;
  let scale = 1;
  for (let index = 0; index < 5; index++) {
    if (offset >= end) fail("ends inside a varint");
    const byte = bytes[offset++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (byte === 0 && index > 0) fail("has a varint that is not minimally encoded");
      if (value > 0xffff_ffff) fail("has a varint over 2^32 - 1");
      return value;
    }
    scale *= 0x80;
  }
  fail("has a varint longer than 5 bytes");
}

function need(length: number, end: number, field: CompiledField): void {
  if (offset + length > end) fail(`ends inside field ${field.name} (${length} bytes announced, ${end - offset} left)`);
}

function finite(number: number, field: CompiledField): number {
  if (!Number.isFinite(number)) fail(`field ${field.name} is not a finite number`);
  return number;
}

function fail(why: string): never {
  throw new ProtocolError("BAD_BODY", `protobuf body of ${routeOf} ${why}`);
}
