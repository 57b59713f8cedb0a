import assert from "node:assert/strict";
import { FrameReader, FrameWriter, RpcFrameError } from "../../services/src/rpc";

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

function collect(reader: FrameReader, chunks: Buffer[]): Buffer[] {
  const bodies: Buffer[] = [];
  for (const chunk of chunks) reader.push(chunk, (body) => bodies.push(Buffer.from(body)));
  return bodies;
}

describe("rpc frame reader", () => {
  const bodies = [Buffer.from("a"), Buffer.from("hello world"), Buffer.alloc(300, 7), Buffer.from([0, 1, 2, 3])];
  const stream = Buffer.concat(bodies.map(frame));

  it("delivers a frame that lies inside one chunk as a view of that chunk, without copying", () => {
    const reader = new FrameReader();
    const chunk = frame(Buffer.from("zero-copy"));
    let seen: Buffer | undefined;
    reader.push(chunk, (body) => (seen = body));
    assert.equal(seen!.toString(), "zero-copy");
    assert.equal(seen!.buffer, chunk.buffer);
  });

  it("reassembles the same frames whatever byte the stream is split at", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const got = collect(new FrameReader(), [stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(got, bodies, `split at ${cut}`);
    }
  });

  it("reassembles frames fed one byte at a time, holding only the incomplete frame", () => {
    const reader = new FrameReader();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      reader.push(stream.subarray(i, i + 1), (body) => got.push(Buffer.from(body)));
      assert.ok(reader.bufferedBytes <= 300);
    }
    assert.deepEqual(got, bodies);
    assert.equal(reader.bufferedBytes, 0);
  });

  it("rejects a length prefix above maxFrameBytes with RpcFrameError before buffering any body", () => {
    const reader = new FrameReader(64 * 1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(64 * 1024 + 1);
    assert.throws(() => reader.push(head, () => {}), (error: unknown) => error instanceof RpcFrameError && error.code === "RPC_FRAME");
    assert.equal(reader.bufferedBytes, 0);
  });

  it("rejects a zero-length frame with RpcFrameError", () => {
    assert.throws(() => new FrameReader().push(Buffer.alloc(4), () => {}), RpcFrameError);
  });
});

describe("rpc frame writer", () => {
  it("packs every frame queued in one turn into one contiguous chunk", () => {
    const writer = new FrameWriter();
    for (let i = 0; i < 100; i++) {
      writer.beginFrame(1, 0)[writer.headOffset] = i;
    }
    const chunks = writer.take();
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.length, 100 * 5);
    assert.deepEqual(collect(new FrameReader(), [Buffer.from(chunks[0]!)]).map((body) => body[0]), [...Array(100).keys()]);
  });

  it("queues a payload above 16 KiB by reference instead of copying it", () => {
    const writer = new FrameWriter();
    const payload = Buffer.alloc(100 * 1024, 1);
    writer.beginFrame(1, payload.length)[writer.headOffset] = 9;
    writer.append(payload);
    const chunks = writer.take();
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1], payload);
    assert.equal(writer.queuedBytes, 0);
  });

  it("refuses an outgoing frame above maxFrameBytes with RpcFrameError and queues nothing", () => {
    const writer = new FrameWriter(64 * 1024);
    assert.throws(() => writer.beginFrame(10, 64 * 1024), RpcFrameError);
    assert.equal(writer.queuedBytes, 0);
  });

  it("never writes into bytes it has already handed out", () => {
    const writer = new FrameWriter();
    writer.beginFrame(1, 0)[writer.headOffset] = 1;
    const [first] = writer.take();
    const snapshot = Buffer.from(first!);
    for (let i = 0; i < 20_000; i++) writer.beginFrame(1, 0)[writer.headOffset] = 2;
    writer.take();
    assert.deepEqual(Buffer.from(first!), snapshot);
  });
});
