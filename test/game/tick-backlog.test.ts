import assert from "node:assert/strict";
import net from "node:net";
import { BackendMethod, ConnectorMethod, type ForwardedRequest, type TickBatch } from "../../services/src/cluster/contract";
import { defineGame, GameServer, type SessionRef } from "../../services/src/game";
import { TickBacklog } from "../../services/src/game/tick-backlog";
import { decodeMessage, FrameReader, FrameWriter, MessageKind } from "../../services/src/rpc";
import { writeHello, writeRequest } from "../../services/src/rpc/codec";
import { waitUntil } from "../helpers/wait";

describe("tick backlog: how many tick batches wait in one connector's link", () => {
  it("admits batches until `limit` wait, and one more once the link's sent bytes pass the oldest one's end", () => {
    const backlog = new TickBacklog(2);
    assert.equal(backlog.admits(0), true);
    backlog.queued(100);
    assert.equal(backlog.admits(0), true);
    backlog.queued(250);
    assert.equal(backlog.admits(99), false, "two batches wait: the third is refused");
    assert.equal(backlog.waiting(99), 2);
    assert.equal(backlog.admits(100), true, "the first batch has left at exactly its end");
    assert.equal(backlog.waiting(100), 1);
    backlog.queued(400);
    assert.equal(backlog.admits(249), false, "the second and third wait");
    assert.equal(backlog.admits(250), true);
    assert.equal(backlog.waiting(400), 0, "both left");
  });

  it("refuses a limit that is not a positive integer", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) assert.throws(() => new TickBacklog(limit), /positive integer/);
  });
});

/** A connector that speaks RPC by hand, so the test decides when it reads. */
class HandConnector {
  readonly ticks: number[] = [];
  private readonly reader = new FrameReader();
  private readonly answers = new Map<number, (payload: unknown) => void>();
  private welcomed!: () => void;
  readonly ready = new Promise<void>((resolve) => (this.welcomed = resolve));

  constructor(
    readonly id: string,
    private readonly socket: net.Socket,
  ) {
    socket.on("data", (chunk) => this.reader.push(chunk, (body) => this.onFrame(body)));
    socket.on("error", () => {});
    this.write((writer) => writeHello(writer, id));
  }

  static connect(id: string, port: number): Promise<HandConnector> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(new HandConnector(id, socket)));
      socket.once("error", reject);
    });
  }

  request(id: number, payload: ForwardedRequest): Promise<unknown> {
    const answered = new Promise<unknown>((resolve) => this.answers.set(id, resolve));
    this.write((writer) => writeRequest(writer, id, BackendMethod.request, payload));
    return answered;
  }

  /** Stops reading: the kernel's buffers fill, then the game's link queue. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  private write(encode: (writer: FrameWriter) => void): void {
    const writer = new FrameWriter();
    encode(writer);
    for (const chunk of writer.take()) this.socket.write(chunk);
  }

  private onFrame(body: Buffer): void {
    const message = decodeMessage(body);
    if (message.kind === MessageKind.Welcome) this.welcomed();
    else if (message.kind === MessageKind.Response) this.answers.get(message.id)?.(message.payload);
    else if (message.kind === MessageKind.Notify && message.method === ConnectorMethod.batch) this.ticks.push((message.payload as TickBatch).tick);
  }
}

describe("game server: a connector that stops reading", function () {
  this.timeout(20_000);
  const BODY_CHARS = 256 * 1024;

  /** Every tick, each player gets a 256 KiB message of their own: batches big enough to fill the kernel's buffers in a second. */
  const heavy = defineGame({
    serverType: "heavy",
    state: () => ({ players: new Map<string, SessionRef>() }),
    pushRoutes: ["onBig"],
    handlers: {
      room: {
        join: {
          handle(ctx) {
            ctx.state.players.set(ctx.session.id, ctx.session);
            return { code: 200 };
          },
        },
      },
    },
    onTick(ctx) {
      const body = "x".repeat(BODY_CHARS);
      for (const session of ctx.state.players.values()) ctx.pushTo(session, "onBig", body);
    },
  });

  it("holds at most maxQueuedTicks batches for it and drops the rest, then sends it recent ticks, in order, once it reads again", async () => {
    const maxQueuedTicks = 2;
    const server = new GameServer(heavy, { id: "heavy-1", host: "127.0.0.1", tickHz: 50, maxQueuedTicks });
    await server.start();
    const connector = await HandConnector.connect("connector-stall", server.address!.port);
    try {
      await connector.ready;
      const joined = await connector.request(1, { session: { id: "s1", connectorId: connector.id, uid: null, settings: {} }, route: "heavy.room.join", body: Buffer.from("{}") });
      assert.ok(joined !== undefined);

      // Reading: every tick arrives, none is dropped.
      await waitUntil(() => connector.ticks.length >= 10, 5_000, "ten batches read");
      assert.equal(server.stats().batchesDropped[connector.id] ?? 0, 0, "nothing dropped while the connector reads");
      const read = connector.ticks.slice();
      for (let i = 1; i < read.length; i++) assert.equal(read[i], read[i - 1]! + 1, `consecutive ticks while reading: ${read.join(",")}`);

      connector.pause();
      await waitUntil(() => (server.stats().batchesDropped[connector.id] ?? 0) >= 10, 10_000, "ten batches dropped once the kernel's buffers are full");
      const batchBytes = BODY_CHARS + 1024;
      for (let sample = 0; sample < 10; sample++) {
        const queued = server.stats().linkQueuedBytes[connector.id]!;
        // The link's own limit (maxQueuedBytes, 8 MiB) would let 32 of these wait.
        assert.ok(queued <= maxQueuedTicks * batchBytes, `${queued} bytes wait on the link: more than ${maxQueuedTicks} batches of ~${batchBytes}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      const tickAtResume = server.runtime.tick;
      const readBeforeResume = connector.ticks.length;
      connector.resume();
      await waitUntil(() => connector.ticks.some((tick) => tick > tickAtResume), 5_000, "a batch made after the connector resumed");
      const after = connector.ticks.slice(readBeforeResume);
      for (let i = 1; i < after.length; i++) assert.ok(after[i]! > after[i - 1]!, `ticks in order after resuming: ${after.join(",")}`);
      assert.ok(after.some((tick, i) => i > 0 && tick > after[i - 1]! + 1), `the dropped ticks are a gap: ${after.join(",")}`);
    } finally {
      connector.close();
      await server.stop();
    }
  });
});
