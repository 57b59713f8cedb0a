import assert from "node:assert/strict";
import net from "node:net";
import { BackendMethod, channelTopic, ConnectorMethod, type ForwardedRequest, type TickBatch } from "../../services/src/cluster/contract";
import { defineGame, GameServer, type SessionRef } from "../../services/src/game";
import { TickBacklog } from "../../services/src/game/tick-backlog";
import { UnsentMembership } from "../../services/src/game/unsent-membership";
import { decodeMessage, FrameReader, FrameWriter, MessageKind } from "../../services/src/rpc";
import { writeHello, writeNotify, writeRequest } from "../../services/src/rpc/codec";
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

  it("refuses a limit that is not a positive integer; a limit of 1 lets one batch wait", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) assert.throws(() => new TickBacklog(limit), /positive integer/);
    const one = new TickBacklog(1);
    assert.equal(one.admits(0), true);
    one.queued(10);
    assert.equal(one.admits(9), false);
  });
});

describe("unsent membership: the channel changes of dropped tick batches", () => {
  const batch = (subscribe: Array<[string, string]>, unsubscribe: Array<[string, string]> = []) => ({ subscribe, unsubscribe, tick: 7 });
  const all = () => true;

  it("hands the changes of dropped batches to the next batch of the same connector, once", () => {
    const unsent = new UnsentMembership();
    unsent.dropped("c0", batch([["room", "a"]]));
    unsent.dropped("c0", batch([["room", "b"]], [["lobby", "a"]]));
    unsent.dropped("c1", batch([["room", "z"]]));
    assert.deepEqual([...unsent.connectors()].sort(), ["c0", "c1"]);
    const merged = unsent.merge("c0", batch([["room", "c"]]), all);
    assert.deepEqual(merged.subscribe, [["room", "a"], ["room", "b"], ["room", "c"]]);
    assert.deepEqual(merged.unsubscribe, [["lobby", "a"]]);
    assert.equal(merged.tick, 7, "the rest of the batch is kept");
    assert.deepEqual(unsent.merge("c0", batch([["room", "d"]]), all).subscribe, [["room", "d"]], "handed over once");
    assert.deepEqual(unsent.merge("c1", batch([]), all).subscribe, [["room", "z"]], "another connector's changes are its own");
    assert.equal(unsent.isEmpty, true);
  });

  it("keeps the last change of a (topic, session) pair, the batch being sent over the waiting ones", () => {
    const unsent = new UnsentMembership();
    unsent.dropped("c0", batch([["room", "a"]]));
    unsent.dropped("c0", batch([], [["room", "a"]]));
    let merged = unsent.merge("c0", batch([]), all);
    assert.deepEqual([merged.subscribe, merged.unsubscribe], [[], [["room", "a"]]], "subscribed, then left: only the leave");
    unsent.dropped("c0", batch([], [["room", "b"]]));
    merged = unsent.merge("c0", batch([["room", "b"]]), all);
    assert.deepEqual([merged.subscribe, merged.unsubscribe], [[["room", "b"]], []], "left in a dropped tick, joined again in this one: joined");
    unsent.dropped("c0", batch([["room", "c"]]));
    merged = unsent.merge("c0", batch([], [["lobby", "c"]]), all);
    assert.deepEqual([merged.subscribe, merged.unsubscribe], [[["room", "c"]], [["lobby", "c"]]], "the batch's own leave stays a leave");
  });

  it("leaves out waiting changes of sessions the connector no longer holds (closed or moved), never the batch's own", () => {
    const unsent = new UnsentMembership();
    unsent.dropped("c0", batch([["room", "gone"], ["room", "here"]], [["lobby", "moved"]]));
    const merged = unsent.merge("c0", batch([["lobby", "new"]]), (sessionId) => sessionId === "here");
    assert.deepEqual([merged.subscribe, merged.unsubscribe], [[["room", "here"], ["lobby", "new"]], []]);
  });

  it("forgets a connector whose link closed, and keeps nothing for a batch without changes", () => {
    const unsent = new UnsentMembership();
    unsent.dropped("c0", batch([]));
    assert.deepEqual([...unsent.connectors()], []);
    unsent.dropped("c0", batch([["room", "a"]]));
    unsent.forget("c0");
    const untouched = batch([["room", "b"]]);
    assert.equal(unsent.merge("c0", untouched, all), untouched);
  });
});

/** A connector that speaks RPC by hand, so the test decides when it reads. */
class HandConnector {
  readonly ticks: number[] = [];
  /** Membership changes received, in order: "resync" (start over), "+topic session" or "-topic session". */
  readonly memberships: string[] = [];
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

  /** Resolves with the handler's answer (the forwarded response's JSON body). */
  request(id: number, payload: ForwardedRequest): Promise<unknown> {
    const answered = new Promise<unknown>((resolve) => this.answers.set(id, (response) => resolve(JSON.parse(Buffer.from((response as { body: Uint8Array }).body).toString("utf8")))));
    this.write((writer) => writeRequest(writer, id, BackendMethod.request, payload));
    return answered;
  }

  notify(method: string, payload: unknown): void {
    this.write((writer) => writeNotify(writer, method, payload));
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
    else if (message.kind === MessageKind.Notify && message.method === ConnectorMethod.batch) {
      const batch = message.payload as TickBatch;
      this.ticks.push(batch.tick);
      if (batch.resync === true) this.memberships.push("resync");
      for (const [topic, session] of batch.unsubscribe) this.memberships.push(`-${topic} ${session}`);
      for (const [topic, session] of batch.subscribe) this.memberships.push(`+${topic} ${session}`);
    }
  }
}

describe("game server: a connector that stops reading", function () {
  this.timeout(20_000);
  const BODY_CHARS = 256 * 1024;

  /** Every tick, each player gets a 256 KiB message of their own: batches big enough to fill the kernel's buffers in a second. */
  const heavy = defineGame({
    serverType: "heavy",
    state: () => ({ players: new Map<string, SessionRef>(), quiet: false, big: false }),
    pushRoutes: ["onBig"],
    handlers: {
      room: {
        join: {
          handle(ctx) {
            ctx.state.players.set(ctx.session.id, ctx.session);
            ctx.channel("room").add(ctx.session);
            return { code: 200 };
          },
        },
        /** From now on each tick's message is 256 KiB: two of them fill the link's backlog. */
        big: {
          handle(ctx) {
            ctx.state.big = true;
            return { code: 200 };
          },
        },
        /** The first player who joined leaves the channel: the game's own decision, no request from that player. */
        evictFirst: {
          handle(ctx) {
            const [first] = ctx.state.players.keys();
            if (first !== undefined) ctx.channel("room").remove(first);
            return { code: 200 };
          },
        },
        /** From now on the game sends nothing: a batch goes out only if something else is owed. */
        quiet: {
          handle(ctx) {
            ctx.state.quiet = true;
            return { code: 200 };
          },
        },
        leave: {
          handle(ctx) {
            ctx.state.players.delete(ctx.session.id);
            ctx.channel("room").remove(ctx.session);
            return { code: 200 };
          },
        },
      },
    },
    onTick(ctx) {
      if (ctx.state.quiet) return;
      const body = "x".repeat(ctx.state.big ? BODY_CHARS : 16);
      for (const session of [...ctx.state.players.values()].slice(0, 1)) ctx.pushTo(session, "onBig", body);
    },
  });

  it("holds at most maxQueuedTicks batches for it and drops the rest, then sends it recent ticks, in order, and every membership change, once it reads again", async () => {
    const maxQueuedTicks = 2;
    const server = new GameServer(heavy, { id: "heavy-1", host: "127.0.0.1", tickHz: 50, maxQueuedTicks });
    await server.start();
    const connector = await HandConnector.connect("connector-stall", server.address!.port);
    try {
      await connector.ready;
      const forward = (session: string, route: string): ForwardedRequest => ({ session: { id: session, connectorId: connector.id, uid: null, settings: {} }, route, body: Buffer.from("{}") });
      const topic = channelTopic("heavy-1", "room");
      assert.deepEqual(await connector.request(1, forward("s1", "heavy.room.join")), { code: 200 });

      // Reading: every tick arrives, none is dropped.
      await waitUntil(() => connector.ticks.length >= 10, 5_000, "ten batches read");
      assert.equal(server.stats().batchesDropped[connector.id] ?? 0, 0, "nothing dropped while the connector reads");
      const read = connector.ticks.slice();
      for (let i = 1; i < read.length; i++) assert.equal(read[i], read[i - 1]! + 1, `consecutive ticks while reading: ${read.join(",")}`);

      assert.deepEqual(await connector.request(5, forward("s1", "heavy.room.big")), { code: 200 });
      connector.pause();
      await waitUntil(() => (server.stats().batchesDropped[connector.id] ?? 0) >= 10, 10_000, "ten batches dropped once the kernel's buffers are full");
      const batchBytes = BODY_CHARS + 1024;
      for (let sample = 0; sample < 10; sample++) {
        const queued = server.stats().linkQueuedBytes[connector.id]!;
        // The link's own limit (maxQueuedBytes, 8 MiB) would let 32 of these wait.
        assert.ok(queued <= maxQueuedTicks * batchBytes, `${queued} bytes wait on the link: more than ${maxQueuedTicks} batches of ~${batchBytes}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      // While it cannot read, s2 joins the channel and s1 leaves it: their batches are dropped, the changes must not be.
      const droppedBeforeChanges = server.stats().batchesDropped[connector.id]!;
      void connector.request(2, forward("s2", "heavy.room.join"));
      void connector.request(3, forward("s1", "heavy.room.leave"));
      // s3 joins and its socket closes: its join must not be replayed for a session that is gone.
      void connector.request(6, forward("s3", "heavy.room.join"));
      connector.notify(BackendMethod.sessionClosed, { sessionId: "s3", uid: null, reason: "closed by client" });
      const room = server.runtime.gameChannel("room");
      await waitUntil(() => room.has("s2") && !room.has("s1") && server.runtime.session("s3") === undefined && server.stats().batchesDropped[connector.id]! >= droppedBeforeChanges + 5, 5_000, "the changes made and their batches dropped");
      // Then the game goes quiet: the changes owed must go out in a batch of their own.
      void connector.request(4, forward("s2", "heavy.room.quiet"));
      await waitUntil(() => server.runtime.state.quiet, 5_000, "the game quiet");

      const tickAtResume = server.runtime.tick;
      const readBeforeResume = connector.ticks.length;
      connector.resume();
      // runtime.tick is the number of the next tick to run.
      await waitUntil(() => connector.ticks.some((tick) => tick >= tickAtResume), 5_000, "a batch made after the connector resumed");
      const after = connector.ticks.slice(readBeforeResume);
      for (let i = 1; i < after.length; i++) assert.ok(after[i]! > after[i - 1]!, `ticks in order after resuming: ${after.join(",")}`);
      assert.ok(after.some((tick, i) => i > 0 && tick > after[i - 1]! + 1), `the dropped ticks are a gap: ${after.join(",")}`);
      await waitUntil(() => connector.memberships.length >= 3, 3_000, "the dropped membership changes");
      assert.deepEqual(connector.memberships, ["resync", `+${topic} s1`, `-${topic} s1`, `+${topic} s2`], "the link's first batch starts over; the dropped changes follow on resume");
    } finally {
      connector.close();
      await server.stop();
    }
  });

  it("starts a connector's new link with every membership held through it, whatever changed while it had none", async () => {
    const server = new GameServer(heavy, { id: "heavy-2", host: "127.0.0.1", tickHz: 50 });
    await server.start();
    const port = server.address!.port;
    const topic = channelTopic("heavy-2", "room");
    const forward = (connectorId: string, session: string, route: string): ForwardedRequest => ({ session: { id: session, connectorId, uid: null, settings: {} }, route, body: Buffer.from("{}") });
    let first = await HandConnector.connect("connector-re", port);
    const other = await HandConnector.connect("connector-other", port);
    let second: HandConnector | undefined;
    try {
      await Promise.all([first.ready, other.ready]);
      assert.deepEqual(await first.request(1, forward("connector-re", "s1", "heavy.room.join")), { code: 200 });
      assert.deepEqual(await first.request(2, forward("connector-re", "s2", "heavy.room.join")), { code: 200 });
      await waitUntil(() => first.memberships.length >= 3, 3_000, "both joins");
      assert.deepEqual(first.memberships, ["resync", `+${topic} s1`, `+${topic} s2`]);

      // Its link drops; meanwhile the game takes s1 out of the channel (the unsubscribe has no link to go on).
      first.close();
      await waitUntil(() => server.stats().batchesDropped["connector-re"]! >= 3, 3_000, "ticks dropped while it has no link");
      assert.deepEqual(await other.request(1, forward("connector-other", "s9", "heavy.room.join")), { code: 200 });
      assert.deepEqual(await other.request(2, forward("connector-other", "s9", "heavy.room.evictFirst")), { code: 200 });
      assert.equal(server.runtime.gameChannel("room").has("s1"), false);

      second = await HandConnector.connect("connector-re", port);
      await second.ready;
      await waitUntil(() => second!.memberships.length >= 1, 3_000, "the new link's first batch");
      assert.deepEqual(second.memberships.slice(0, 2), ["resync", `+${topic} s2`], "s1 is not listed: a connector that applies the resync drops it");
      assert.equal(second.memberships.length, 2);
    } finally {
      first.close();
      second?.close();
      other.close();
      await server.stop();
    }
  });
});
