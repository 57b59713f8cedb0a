/**
 * A minimal WebSocket client over `node:net` for the load generator — just enough of RFC 6455 to
 * drive thousands of connections from one process cheaply:
 *
 * - HTTP/1.1 Upgrade with a random Sec-WebSocket-Key; the 101 status and Sec-WebSocket-Accept are
 *   checked.
 * - Server→client frames (which must be unmasked): FIN/opcode, 7/16/64-bit lengths; binary and text
 *   messages, close (echoed, then the socket ends), ping (answered with pong), pong (ignored).
 *   Fragmented messages are rejected loudly: the servers benchmarked here never fragment.
 * - Client→server frames are masked, as the RFC requires.
 *
 * Reads use `net.connect({ onread })` with one buffer shared by every connection in the process,
 * so the kernel copies straight into it and no Buffer is allocated per read. A frame that lies
 * wholly inside one read is handed to `onMessage` in place as (buffer, start, end) — no copy, no
 * subarray; only a frame split across reads is copied into the connection's own pending buffer.
 * The bytes passed to `onMessage` are valid only during the call.
 */
import net from "node:net";
import { createHash, randomBytes, randomFillSync } from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Larger than any message the servers send; a frame beyond it is a protocol error here. */
const MAX_PAYLOAD = 16 * 1024 * 1024;
/** Upgrade responses are a few hundred bytes. */
const MAX_UPGRADE_RESPONSE = 16 * 1024;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** One read buffer for every connection: reads are delivered one at a time on the event loop. */
const sharedReadBuffer = Buffer.allocUnsafe(256 * 1024);

/** Mask keys come from a pool of random bytes refilled in blocks. */
const maskPool = Buffer.allocUnsafe(4096);
let maskOffset = maskPool.length;
function nextMask(target: Buffer, at: number): void {
  if (maskOffset + 4 > maskPool.length) {
    randomFillSync(maskPool);
    maskOffset = 0;
  }
  maskPool.copy(target, at, maskOffset, maskOffset + 4);
  maskOffset += 4;
}

/** A masked client→server frame (FIN set) carrying `payload`. */
export function encodeClientFrame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 0x10000) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  nextMask(frame, headerLength);
  const maskAt = headerLength;
  const dataAt = headerLength + 4;
  for (let i = 0; i < length; i++) frame[dataAt + i] = payload[i]! ^ frame[maskAt + (i & 3)]!;
  return frame;
}

export enum ReadyState {
  Connecting = 0,
  Open = 1,
  Closing = 2,
  Closed = 3,
}

export interface RawWebSocketHandlers {
  onOpen?(): void;
  /** One complete binary or text message in `data[start, end)`; valid only during the call. */
  onMessage(data: Buffer, start: number, end: number): void;
  onError?(error: Error): void;
  /** Always called once; `code` is 1006 when no close frame was received. */
  onClose?(code: number, reason: string): void;
}

export class RawWebSocket {
  readyState: ReadyState = ReadyState.Connecting;
  private readonly socket: net.Socket;
  private readonly key = randomBytes(16).toString("base64");
  /** Bytes of an incomplete frame (or upgrade response) carried over to the next read. */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  private closeCode = 1006;
  private closeReason = "";
  private closeNotified = false;

  constructor(url: string, private readonly handlers: RawWebSocketHandlers) {
    const parsed = new URL(url);
    if (parsed.protocol !== "ws:") throw new Error(`raw-websocket: only ws:// URLs are supported, got ${url}`);
    const port = Number(parsed.port || 80);
    const host = parsed.hostname;
    const path = (parsed.pathname || "/") + parsed.search;
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: sharedReadBuffer, callback: (nread: number, buffer: Uint8Array) => this.onRead(nread, buffer as Buffer) },
    });
    this.socket.setNoDelay(true);
    this.socket.on("connect", () => {
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on("error", (error) => this.handlers.onError?.(error));
    this.socket.on("close", () => {
      this.readyState = ReadyState.Closed;
      if (this.closeNotified) return;
      this.closeNotified = true;
      this.handlers.onClose?.(this.closeCode, this.closeReason);
    });
  }

  /** Sends one binary message. Dropped silently unless the connection is open. */
  send(payload: Uint8Array): void {
    if (this.readyState !== ReadyState.Open) return;
    this.socket.write(encodeClientFrame(OP_BINARY, payload));
  }

  /** Starts the closing handshake; the socket ends once the server echoes the close. */
  close(code = 1000, reason = ""): void {
    if (this.readyState === ReadyState.Closed || this.readyState === ReadyState.Closing) return;
    if (this.readyState === ReadyState.Connecting) {
      this.socket.destroy();
      return;
    }
    this.readyState = ReadyState.Closing;
    this.socket.write(encodeClientFrame(OP_CLOSE, closePayload(code, reason)));
    // Don't wait forever for the echo.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Read through a method: handlers called while parsing can change the state. */
  private isOpen(): boolean {
    return this.readyState === ReadyState.Open;
  }

  private fail(message: string): void {
    this.closeCode = 1002;
    this.closeReason = message;
    this.handlers.onError?.(new Error(`raw-websocket: ${message}`));
    this.readyState = ReadyState.Closed;
    this.socket.destroy();
  }

  private onRead(nread: number, chunk: Buffer): boolean {
    if (nread <= 0 || this.readyState === ReadyState.Closed) return true;
    let data: Buffer;
    let end: number;
    if (this.pendingLength === 0) {
      data = chunk;
      end = nread;
    } else {
      this.appendPending(chunk, nread);
      data = this.pending!;
      end = this.pendingLength;
    }
    let offset = 0;
    if (this.readyState === ReadyState.Connecting) {
      offset = this.readUpgrade(data, end);
      if (offset < 0) {
        // Incomplete response: keep it (unless it already lives in `pending`).
        if (data === chunk) this.keep(data, 0, end);
        return true;
      }
      if (!this.isOpen()) return true;
    }
    offset = this.readFrames(data, offset, end);
    if (!this.isOpen() && this.readyState !== ReadyState.Closing) return true;
    if (data === chunk) {
      if (offset < end) this.keep(data, offset, end);
    } else if (offset >= end) {
      this.pendingLength = 0;
    } else if (offset > 0) {
      this.pending!.copy(this.pending!, 0, offset, end);
      this.pendingLength = end - offset;
    }
    return true;
  }

  private keep(data: Buffer, from: number, to: number): void {
    const length = to - from;
    if (!this.pending || this.pending.length < length) this.pending = Buffer.allocUnsafe(Math.max(4096, length * 2));
    data.copy(this.pending, 0, from, to);
    this.pendingLength = length;
  }

  private appendPending(chunk: Buffer, nread: number): void {
    const needed = this.pendingLength + nread;
    if (this.pending!.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.pending!.length * 2));
      this.pending!.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
    }
    chunk.copy(this.pending!, this.pendingLength, 0, nread);
    this.pendingLength = needed;
  }

  /** Returns the offset just past the response headers, or -1 if they are not all here yet. */
  private readUpgrade(data: Buffer, end: number): number {
    const headerEnd = data.subarray(0, end).indexOf("\r\n\r\n", 0, "latin1");
    if (headerEnd < 0) {
      if (end > MAX_UPGRADE_RESPONSE) this.fail("upgrade response too large");
      return -1;
    }
    const lines = data.toString("latin1", 0, headerEnd).split("\r\n");
    const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "");
    if (!status || status[1] !== "101") {
      this.fail(`upgrade refused: ${lines[0]}`);
      return end;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const expected = createHash("sha1").update(this.key + GUID).digest("base64");
    if (headers.get("upgrade")?.toLowerCase() !== "websocket") this.fail(`bad Upgrade header: ${headers.get("upgrade")}`);
    else if (!/\bupgrade\b/i.test(headers.get("connection") ?? "")) this.fail(`bad Connection header: ${headers.get("connection")}`);
    else if (headers.get("sec-websocket-accept") !== expected) this.fail(`bad Sec-WebSocket-Accept: ${headers.get("sec-websocket-accept")}`);
    else if (headers.has("sec-websocket-extensions")) this.fail(`unrequested extensions: ${headers.get("sec-websocket-extensions")}`);
    if (this.readyState === ReadyState.Closed) return end;
    this.readyState = ReadyState.Open;
    this.handlers.onOpen?.();
    return headerEnd + 4;
  }

  /** Handles every complete frame in data[offset, end); returns where the first incomplete one starts. */
  private readFrames(data: Buffer, offset: number, end: number): number {
    while (end - offset >= 2) {
      const b0 = data[offset]!;
      const b1 = data[offset + 1]!;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) return this.failAt(end, "reserved bits set (no extension was negotiated)");
      if ((b1 & 0x80) !== 0) return this.failAt(end, "server frame is masked");
      if ((b0 & 0x80) === 0 || opcode === OP_CONTINUATION) return this.failAt(end, "fragmented message (not supported by this client)");
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (end - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (end - offset < 10) break;
        const high = data.readUInt32BE(offset + 2);
        if (high !== 0) return this.failAt(end, "frame longer than 4 GiB");
        length = data.readUInt32BE(offset + 6);
        header = 10;
      }
      if (length > MAX_PAYLOAD) return this.failAt(end, `frame of ${length} bytes exceeds ${MAX_PAYLOAD}`);
      const start = offset + header;
      const stop = start + length;
      if (stop > end) {
        // Incomplete: make sure `pending` can take the whole frame without regrowing read by read.
        if (data !== this.pending && (!this.pending || this.pending.length < stop - offset)) this.pending = Buffer.allocUnsafe(Math.max(4096, stop - offset));
        break;
      }
      offset = stop;
      switch (opcode) {
        case OP_BINARY:
        case OP_TEXT:
          this.handlers.onMessage(data, start, stop);
          break;
        case OP_PING:
          if (this.readyState === ReadyState.Open) this.socket.write(encodeClientFrame(OP_PONG, data.subarray(start, stop)));
          break;
        case OP_PONG:
          break;
        case OP_CLOSE:
          this.closeCode = length >= 2 ? data.readUInt16BE(start) : 1005;
          this.closeReason = length > 2 ? data.toString("utf8", start + 2, stop) : "";
          if (this.readyState === ReadyState.Open) this.socket.write(encodeClientFrame(OP_CLOSE, data.subarray(start, Math.min(stop, start + 2))));
          this.readyState = ReadyState.Closed;
          this.socket.end();
          return end;
        default:
          return this.failAt(end, `unknown opcode ${opcode}`);
      }
      if (this.readyState === ReadyState.Closed) return end;
    }
    return offset;
  }

  private failAt(end: number, message: string): number {
    this.fail(message);
    return end;
  }
}

function closePayload(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, "utf8");
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}
