/**
 * Framing: every frame is a 4-byte big-endian body length followed by the body.
 *
 * The reader hands out bodies as views of the socket's chunks whenever a frame sits inside
 * one chunk (the common case), and copies exactly once when a frame spans chunks, so there
 * is no per-frame Buffer.concat. The writer encodes frames back to back into one large
 * buffer, so a whole event-loop turn of frames leaves in one write.
 */
import { RpcFrameError } from "./errors";

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Writer segments are this large: one allocation serves many small frames. */
const SEGMENT_BYTES = 64 * 1024;
/** Payloads above this are queued by reference rather than copied (the caller must not modify them afterwards). */
const COPY_LIMIT_BYTES = 16 * 1024;

export type FrameSink = (body: Buffer) => void;

/** Incremental reader for one connection. After it throws, the connection must be closed. */
export class FrameReader {
  /** Length prefix split across chunks. */
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Body of a frame that spans chunks, filled as they arrive. */
  private body: Buffer | undefined;
  private bodyFilled = 0;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes held for an incomplete frame (tests and metrics). */
  get bufferedBytes(): number {
    return this.body ? this.bodyFilled : this.headerFilled;
  }

  /** Feeds one chunk; `onFrame` receives every completed body in order. Throws RpcFrameError on an invalid length. */
  push(chunk: Buffer, onFrame: FrameSink): void {
    const end = chunk.length;
    let offset = 0;
    while (offset < end) {
      const body = this.body;
      if (body !== undefined) {
        const n = Math.min(body.length - this.bodyFilled, end - offset);
        chunk.copy(body, this.bodyFilled, offset, offset + n);
        offset += n;
        this.bodyFilled += n;
        if (this.bodyFilled === body.length) {
          this.body = undefined;
          onFrame(body);
        }
        continue;
      }
      let size: number;
      if (this.headerFilled === 0 && end - offset >= FRAME_HEADER_BYTES) {
        size = chunk.readUInt32BE(offset);
        offset += FRAME_HEADER_BYTES;
      } else {
        while (this.headerFilled < FRAME_HEADER_BYTES && offset < end) this.header[this.headerFilled++] = chunk[offset++]!;
        if (this.headerFilled < FRAME_HEADER_BYTES) return;
        this.headerFilled = 0;
        size = this.header.readUInt32BE(0);
      }
      if (size === 0) throw new RpcFrameError("empty frame");
      if (size > this.maxFrameBytes) throw new RpcFrameError(`frame of ${size} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`);
      if (end - offset >= size) {
        onFrame(chunk.subarray(offset, offset + size));
        offset += size;
      } else {
        this.body = Buffer.allocUnsafe(size);
        this.bodyFilled = 0;
      }
    }
  }
}

/**
 * Output queue of one connection. Codecs reserve space for a frame's head, write it in place,
 * then append the payload; `take()` hands everything queued to the socket.
 */
export class FrameWriter {
  private segment = Buffer.allocUnsafe(SEGMENT_BYTES);
  /** Start of the bytes in `segment` not yet taken. */
  private start = 0;
  private position = 0;
  private readonly sealed: Uint8Array[] = [];
  private sealedBytes = 0;
  private encoded = 0;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Every frame byte ever queued (never decreases): with `queuedBytes`, how much has left. */
  get encodedBytes(): number {
    return this.encoded;
  }

  get queuedBytes(): number {
    return this.sealedBytes + this.position - this.start;
  }

  /** Where, in the buffer returned by the last `beginFrame`, the caller writes the frame's head. */
  headOffset = 0;

  /**
   * Starts a frame whose body is `headBytes + payloadBytes` long: writes the length prefix and
   * returns the buffer in which the caller writes the `headBytes` of the head, at `headOffset`.
   * Throws before queueing anything when the frame would be too large for the peer.
   */
  beginFrame(headBytes: number, payloadBytes: number): Buffer {
    const bodyBytes = headBytes + payloadBytes;
    if (bodyBytes > this.maxFrameBytes) throw new RpcFrameError(`outgoing frame of ${bodyBytes} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`);
    const needed = FRAME_HEADER_BYTES + headBytes;
    if (this.segment.length - this.position < needed) this.newSegment(needed);
    const at = this.position;
    this.encoded += FRAME_HEADER_BYTES + bodyBytes;
    this.segment.writeUInt32BE(bodyBytes, at);
    this.position = at + needed;
    this.headOffset = at + FRAME_HEADER_BYTES;
    return this.segment;
  }

  /** Appends payload bytes to the frame just begun. */
  append(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    if (n > COPY_LIMIT_BYTES) {
      this.seal();
      this.sealed.push(bytes);
      this.sealedBytes += n;
      return;
    }
    if (this.segment.length - this.position < n) this.newSegment(n);
    this.segment.set(bytes, this.position);
    this.position += n;
  }

  /** Everything queued, in order. The writer never writes into returned bytes again. */
  take(): Uint8Array[] {
    this.seal();
    const chunks = this.sealed.splice(0, this.sealed.length);
    this.sealedBytes = 0;
    return chunks;
  }

  /** Drops everything queued (the connection is gone). */
  clear(): void {
    this.sealed.length = 0;
    this.sealedBytes = 0;
    this.start = this.position;
  }

  private seal(): void {
    if (this.position === this.start) return;
    this.sealed.push(this.segment.subarray(this.start, this.position));
    this.sealedBytes += this.position - this.start;
    this.start = this.position;
  }

  private newSegment(atLeast: number): void {
    this.seal();
    this.segment = Buffer.allocUnsafe(Math.max(SEGMENT_BYTES, atLeast));
    this.start = 0;
    this.position = 0;
  }
}
