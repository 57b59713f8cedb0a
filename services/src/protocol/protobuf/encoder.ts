import { ProtocolError } from "../errors";
import { FieldKind, type CompiledField, type CompiledMessage } from "./compiled";

/**
 * Values → pomelo-protobuf bytes, byte for byte what NetEase's encoder writes for the same value:
 * fields in the value's own key order (Pomelo iterates the message, not the proto), keys of the
 * value that the proto lacks ignored, repeated scalars as key + element count + elements.
 *
 * The accepted values are JSON values of the declared types, checked as they are written, so a
 * bad one is BAD_BODY naming the field instead of Pomelo's silent truncation (parseInt) or crash:
 * uInt32 an integer in [0, 2^32 - 1], int32/sInt32 in [-2^31, 2^31 - 1], float/double finite, a
 * string a string, a message a plain object, a repeated field an array. `null` and `undefined`
 * leave an optional field out; a required one must be there.
 *
 * Cost: one pass over the value into a reused scratch buffer, then one copy out, one allocation.
 * A nested message's length is written after its content (a shift of the content when over 127).
 */
export const MAX_NESTING_DEPTH = 32;
const MAX_UINT32 = 0xffff_ffff;
const MIN_INT32 = -(2 ** 31);
const MAX_INT32 = 2 ** 31 - 1;
/** Strings shorter than this take the ASCII path when they can: their length is one varint byte. */
const SHORT_STRING = 0x80;

let scratch = Buffer.allocUnsafeSlow(4096);
let position = 0;

/** The encoded body of `value` as a message of type `message`. Throws BAD_BODY. */
export function encodeProtobuf(message: CompiledMessage, value: unknown, route: string): Buffer {
  position = 0;
  writeMessage(message, value, route, 0);
  const body = Buffer.allocUnsafe(position);
  scratch.copy(body, 0, 0, position);
  return body;
}

function writeMessage(message: CompiledMessage, value: unknown, path: string, depth: number): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be an object");
  if (depth > MAX_NESTING_DEPTH) fail(path, `nests messages deeper than ${MAX_NESTING_DEPTH}`);
  const record = value as Record<string, unknown>;
  for (let index = 0; index < message.required.length; index++) {
    const name = message.required[index].name;
    if (record[name] === undefined || record[name] === null) fail(`${path}.${name}`, "is required");
  }
  for (const name in record) {
    const field = message.byName.get(name);
    if (field === undefined) continue;
    const fieldValue = record[name];
    if (fieldValue === undefined || fieldValue === null) continue;
    if (!field.repeated) {
      writeVarint(field.key);
      writeValue(field, fieldValue, path, depth);
      continue;
    }
    if (!Array.isArray(fieldValue)) fail(`${path}.${name}`, "is repeated: it must be an array");
    if (fieldValue.length === 0) continue;
    if (field.packed) {
      writeVarint(field.key);
      writeVarint(fieldValue.length);
      for (let index = 0; index < fieldValue.length; index++) writeValue(field, fieldValue[index], path, depth);
    } else {
      for (let index = 0; index < fieldValue.length; index++) {
        writeVarint(field.key);
        writeValue(field, fieldValue[index], path, depth);
      }
    }
  }
}

function writeValue(field: CompiledField, value: unknown, path: string, depth: number): void {
  switch (field.kind) {
    case FieldKind.UInt32:
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_UINT32) fail(`${path}.${field.name}`, "must be an integer in [0, 2^32 - 1] (uInt32)");
      writeVarint(value as number);
      return;
    case FieldKind.SInt32: {
      if (!Number.isInteger(value) || (value as number) < MIN_INT32 || (value as number) > MAX_INT32) fail(`${path}.${field.name}`, "must be an integer in [-2^31, 2^31 - 1] (int32/sInt32)");
      const number = value as number;
      writeVarint(number < 0 ? -number * 2 - 1 : number * 2);
      return;
    }
    case FieldKind.Float:
      checkFinite(value, path, field);
      reserve(4);
      position = scratch.writeFloatLE(value as number, position);
      return;
    case FieldKind.Double:
      checkFinite(value, path, field);
      reserve(8);
      position = scratch.writeDoubleLE(value as number, position);
      return;
    case FieldKind.String: {
      if (typeof value !== "string") fail(`${path}.${field.name}`, "must be a string");
      if (value.length < SHORT_STRING && writeAscii(value)) return;
      const bytes = Buffer.byteLength(value, "utf8");
      writeVarint(bytes);
      reserve(bytes);
      position += scratch.write(value, position, "utf8");
      return;
    }
    default:
      writeNested(field.message!, value, `${path}.${field.name}`, depth + 1);
  }
}

/** Length first on the wire: content is written one byte on, then moved if the length needs more. */
function writeNested(message: CompiledMessage, value: unknown, path: string, depth: number): void {
  reserve(1);
  const lengthAt = position;
  position += 1;
  writeMessage(message, value, path, depth);
  const length = position - lengthAt - 1;
  if (length < 0x80) {
    scratch[lengthAt] = length;
    return;
  }
  const extra = varintBytes(length) - 1;
  reserve(extra);
  scratch.copyWithin(lengthAt + 1 + extra, lengthAt + 1, position);
  const end = position + extra;
  position = lengthAt;
  writeVarint(length);
  position = end;
}

/** A short ASCII string (ids, names) byte by byte: cheaper than measuring and writing it through UTF-8. False, and nothing written, if it is not ASCII. */
function writeAscii(value: string): boolean {
  const length = value.length;
  for (let index = 0; index < length; index++) if (value.charCodeAt(index) >= 0x80) return false;
  reserve(1 + length);
  scratch[position++] = length;
  for (let index = 0; index < length; index++) scratch[position++] = value.charCodeAt(index);
  return true;
}

/** A value below 2^32. */
function writeVarint(value: number): void {
  reserve(5);
  while (value >= 0x80) {
    scratch[position++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  scratch[position++] = value;
}

function varintBytes(value: number): number {
  return value < 2 ** 7 ? 1 : value < 2 ** 14 ? 2 : value < 2 ** 21 ? 3 : value < 2 ** 28 ? 4 : 5;
}

function reserve(bytes: number): void {
  if (position + bytes <= scratch.length) return;
  const grown = Buffer.allocUnsafeSlow(Math.max(scratch.length * 2, position + bytes));
  scratch.copy(grown, 0, 0, position);
  scratch = grown;
}

function checkFinite(value: unknown, path: string, field: CompiledField): void {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(`${path}.${field.name}`, "must be a finite number");
}

function fail(path: string, why: string): never {
  throw new ProtocolError("BAD_BODY", `protobuf ${path} ${why}`);
}
