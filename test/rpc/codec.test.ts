import assert from "node:assert/strict";
import { decodeMessage, FrameReader, FrameWriter, MessageKind, RpcFrameError, type RpcMessage } from "../../services/src/rpc";
import { writeError, writeHello, writeNotify, writePing, writePong, writeRequest, writeResponse, writeWelcome } from "../../services/src/rpc/codec";

/** Encodes with `write`, then reads the frames back exactly as a link would. */
function roundTrip(write: (writer: FrameWriter) => void): { messages: RpcMessage[]; wireBytes: number } {
  const writer = new FrameWriter();
  write(writer);
  const wire = Buffer.concat(writer.take());
  const messages: RpcMessage[] = [];
  new FrameReader().push(wire, (body) => messages.push(decodeMessage(body)));
  return { messages, wireBytes: wire.length };
}

describe("rpc message codec", () => {
  it("round-trips every message kind", () => {
    const { messages } = roundTrip((writer) => {
      writeHello(writer, "connector-1");
      writeWelcome(writer, "game-3", "2f9c");
      writeRequest(writer, 0xffffffff, "area.move", { x: 1, y: [2, 3], name: "ünïcode" });
      writeResponse(writer, 7, null);
      writeError(writer, 8, "E_GAME", "bad move");
      writeNotify(writer, "push", { route: "onChat" });
      writePing(writer);
      writePong(writer);
    });
    assert.deepEqual(messages, [
      { kind: MessageKind.Hello, version: 1, serverId: "connector-1" },
      { kind: MessageKind.Welcome, version: 1, serverId: "game-3", incarnation: "2f9c" },
      { kind: MessageKind.Request, id: 0xffffffff, method: "area.move", payload: { x: 1, y: [2, 3], name: "ünïcode" } },
      { kind: MessageKind.Response, id: 7, payload: null },
      { kind: MessageKind.Error, id: 8, code: "E_GAME", message: "bad move" },
      { kind: MessageKind.Notify, method: "push", payload: { route: "onChat" } },
      { kind: MessageKind.Ping },
      { kind: MessageKind.Pong },
    ]);
  });

  it("sends a top-level Buffer as the raw bytes: 64 KiB cost 10 bytes of envelope and arrive as a Buffer", () => {
    const blob = Buffer.alloc(64 * 1024, 0xab);
    const { messages, wireBytes } = roundTrip((writer) => writeNotify(writer, "batch", blob));
    assert.equal(wireBytes, blob.length + 4 + 1 + 1 + "batch".length);
    const payload = (messages[0] as { payload: unknown }).payload;
    assert.ok(Buffer.isBuffer(payload));
    assert.deepEqual(payload, blob);
  });

  it("keeps Buffers nested in objects binary, not base64: the frame is barely larger than the bytes", () => {
    const packages = Array.from({ length: 50 }, (_, i) => ({ uid: `u${i}`, bytes: Buffer.alloc(200, i) }));
    const { messages, wireBytes } = roundTrip((writer) => writeNotify(writer, "batch", { broadcast: Buffer.alloc(4096, 1), packages }));
    const raw = 4096 + 50 * 200;
    const base64Bytes = Math.ceil(raw / 3) * 4;
    assert.ok(wireBytes < raw * 1.1, `${wireBytes} bytes on the wire for ${raw} bytes of payload`);
    assert.ok(wireBytes < base64Bytes, `${wireBytes} bytes; base64 alone would be ${base64Bytes}`);
    const payload = (messages[0] as { payload: { packages: { bytes: unknown }[] } }).payload;
    assert.ok(Buffer.isBuffer(payload.packages[49]!.bytes));
    assert.deepEqual(payload.packages[49]!.bytes, Buffer.alloc(200, 49));
  });

  it("encodes an undefined payload as no bytes at all", () => {
    const { messages, wireBytes } = roundTrip((writer) => writeResponse(writer, 1, undefined));
    assert.equal(wireBytes, 4 + 5);
    assert.deepEqual(messages, [{ kind: MessageKind.Response, id: 1, payload: undefined }]);
  });

  it("refuses a method name longer than 255 bytes before queueing anything", () => {
    const writer = new FrameWriter();
    assert.throws(() => writeRequest(writer, 1, "m".repeat(256), null), RangeError);
    assert.equal(writer.queuedBytes, 0);
  });

  it("rejects a truncated request, an unknown kind and a corrupt MessagePack payload with RpcFrameError", () => {
    assert.throws(() => decodeMessage(Buffer.from([MessageKind.Request, 0, 0])), RpcFrameError);
    assert.throws(() => decodeMessage(Buffer.from([0x0f])), RpcFrameError);
    assert.throws(() => decodeMessage(Buffer.from([MessageKind.Response, 0, 0, 0, 1, 0xdc, 0x00, 0x05])), RpcFrameError);
  });
});
