import { ProtocolError } from "./errors";

/**
 * Message ids are base-128 varints: least significant 7-bit group first, high bit = more groups.
 *
 * We cap ids at 2^53 - 1, the largest integer a JS number holds exactly, so every id a client
 * sends comes back unchanged in its response. That takes at most 8 groups (56 bits).
 */
export const MAX_MESSAGE_ID = Number.MAX_SAFE_INTEGER;
export const MAX_VARINT_BYTES = 8;

const GROUP = 0x80;

/** Bytes the varint of `value` takes; `value` must be a valid id (see `assertMessageId`). */
export function varintLength(value: number): number {
  if (value < 2 ** 7) return 1;
  if (value < 2 ** 14) return 2;
  if (value < 2 ** 21) return 3;
  if (value < 2 ** 28) return 4;
  if (value < 2 ** 35) return 5;
  if (value < 2 ** 42) return 6;
  if (value < 2 ** 49) return 7;
  return 8;
}

export function assertMessageId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new ProtocolError("BAD_VARINT", `message id must be an integer in [0, 2^53 - 1], got ${id}`);
  }
}

/** Writes `value` at `offset` and returns the offset after it. Arithmetic, not bit ops: ids may exceed 32 bits. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  while (value >= GROUP) {
    target[offset++] = (value % GROUP) | GROUP;
    value = Math.floor(value / GROUP);
  }
  target[offset++] = value;
  return offset;
}

/**
 * Reads the varint at `offset` (not past `end`). Only the minimal encoding is accepted — a final
 * group of zero after other groups is padding no encoder produces — so the bytes consumed are
 * always `varintLength(value)` and every accepted id re-encodes to the same bytes.
 */
export function readVarint(source: Uint8Array, offset: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let index = 0; index < MAX_VARINT_BYTES; index++) {
    if (offset + index >= end) {
      throw new ProtocolError("BAD_VARINT", "message id is truncated");
    }
    const byte = source[offset + index];
    value += (byte & 0x7f) * scale;
    if (byte < GROUP) {
      if (byte === 0 && index > 0) {
        throw new ProtocolError("BAD_VARINT", "message id is not minimally encoded");
      }
      // Exact check: a sum that should exceed 2^53 - 1 cannot round down to it.
      if (value > MAX_MESSAGE_ID) {
        throw new ProtocolError("BAD_VARINT", "message id exceeds 2^53 - 1");
      }
      return value;
    }
    scale *= GROUP;
  }
  throw new ProtocolError("BAD_VARINT", `message id is longer than ${MAX_VARINT_BYTES} bytes`);
}
