import { isUtf8 } from "node:buffer";
import { asBuffer } from "./bytes";
import { ProtocolError, type ProtocolErrorCode } from "./errors";

export type JsonObject = Record<string, unknown>;

/**
 * Parses UTF-8 JSON bytes, throwing `ProtocolError(code)` for anything else. Invalid UTF-8 is
 * rejected rather than decoded with replacement characters (RFC 8259 requires UTF-8).
 */
export function parseJsonBytes(bytes: Uint8Array, code: ProtocolErrorCode, what: string): unknown {
  if (!isUtf8(bytes)) {
    throw new ProtocolError(code, `${what} is not valid UTF-8`);
  }
  const text = asBuffer(bytes).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(code, `${what} is not valid JSON`);
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
