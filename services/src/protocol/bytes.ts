/**
 * A Buffer view over the caller's bytes, never a copy: uWebSockets hands us ArrayBuffer-backed
 * Uint8Arrays, and Buffer's readers and `subarray` views are what the decoders need.
 */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
