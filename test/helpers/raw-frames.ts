/**
 * WebSocket frames built by hand for the bad-input suite (in the spirit of the Autobahn testsuite):
 * any FIN / RSV / opcode / mask / length a test wants, over a raw TCP socket, and the server's frames
 * parsed back so a test can read the close code it was answered with.
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameSpec {
  readonly opcode: number;
  readonly payload?: Uint8Array;
  readonly fin?: boolean;
  /** Bits 0-7 of RSV1..RSV3 (4 = RSV1). */
  readonly rsv?: number;
  /** Clients must mask; false sends the payload bare. */
  readonly masked?: boolean;
  /** A length header that lies about the payload (`2 ** 62`, say). */
  readonly declaredLength?: number;
}

export function frame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload ?? new Uint8Array());
  const length = spec.declaredLength ?? payload.length;
  const masked = spec.masked ?? true;
  const header: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const maskBit = masked ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (length < 126) header.push(maskBit | length);
  else if (length < 0x10000) {
    header.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(length);
  } else {
    header.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(length));
  }
  const mask = masked ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (masked) for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([Buffer.from(header), extended, mask, body]);
}

export interface ServerFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

export class RawSocket {
  readonly frames: ServerFrame[] = [];
  closedAtMs: number | undefined;
  private buffer = Buffer.alloc(0);

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on("close", () => (this.closedAtMs = performance.now()));
    socket.on("error", () => undefined);
  }

  /** Upgrades `path` on `port`; rejects with the HTTP status line if the server refuses. */
  static async open(port: number, path: string, headers: Record<string, string> = {}): Promise<RawSocket> {
    const socket = net.connect(port, "127.0.0.1");
    const key = randomBytes(16).toString("base64");
    const request = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${key}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "",
      "",
    ].join("\r\n");
    const response = await new Promise<{ head: string; rest: Buffer }>((resolve, reject) => {
      let data = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        const end = data.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        resolve({ head: data.subarray(0, end).toString("latin1"), rest: data.subarray(end + 4) });
      };
      socket.on("data", onData);
      socket.once("error", reject);
      socket.once("connect", () => socket.write(request));
    });
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    if (!response.head.startsWith("HTTP/1.1 101") || !response.head.includes(accept)) {
      socket.destroy();
      throw new Error(`upgrade refused: ${response.head.split("\r\n")[0]}`);
    }
    const raw = new RawSocket(socket);
    if (response.rest.length > 0) socket.emit("data", response.rest);
    return raw;
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The close code the server sent (undefined: none yet, or closed without a close frame). */
  get closeCode(): number | undefined {
    const close = this.frames.find((f) => f.opcode === Opcode.close);
    return close === undefined ? undefined : close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
  }

  /** Resolves when the TCP connection is gone; false if it stays open past `timeoutMs`. */
  async waitClosed(timeoutMs = 3_000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.closedAtMs === undefined && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    return this.closedAtMs !== undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      if (this.buffer.length < 2) return;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      this.frames.push({ opcode: this.buffer[0]! & 0x0f, payload: this.buffer.subarray(offset, offset + length) });
      this.buffer = this.buffer.subarray(offset + length);
    }
  }
}
