import assert from "node:assert/strict";
import { z } from "zod";
import { ConnectorMethod, directEntries, type ForwardedRequest, type SessionSnapshot } from "../../services/src/cluster/contract";
import { defineGame, GameError, GameRuntime, gameRoutes, type GameDefinition } from "../../services/src/game";
import { decodeMessage, decodePackages } from "../../services/src/protocol";
import { arena } from "../../services/games/arena/game";

const session = (id: string, connectorId = "connector-0", uid: string | null = null): SessionSnapshot => ({ id, connectorId, uid, settings: {} });
const request = (snapshot: SessionSnapshot, route: string, body: unknown): ForwardedRequest => ({
  session: snapshot,
  route,
  body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
});

function runtimeFor<S>(game: GameDefinition<S>) {
  const calls: Array<[string, string, unknown]> = [];
  const runtime = new GameRuntime(game, {
    serverId: "game-1",
    tickHz: 20,
    connectors: { call: async (connectorId, method, payload) => void calls.push([connectorId, method, payload]) },
  });
  return { runtime, calls };
}

async function rejection(promise: Promise<unknown>): Promise<GameError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GameError, `expected a GameError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a rejection");
}

const pushesIn = (packages: Buffer) => decodePackages(packages).map((pkg) => decodeMessage(pkg.body)).map((m) => ("route" in m ? m.route : "?"));

describe("game runtime: handlers, input validation and the tick's batch", () => {
  it("routes <serverType>.<group>.<method> to the handler and answers with its JSON result", async () => {
    const { runtime } = runtimeFor(arena);
    const response = await runtime.request(request(session("s1"), "arena.room.join", { name: "ann" }));
    const body = JSON.parse(response.body.toString("utf8"));
    assert.equal(body.code, 200);
    assert.equal(body.id, "s1");
    assert.equal(runtime.sessionCount, 1);
    assert.deepEqual(gameRoutes(arena), ["arena.room.join", "arena.room.move", "arena.room.state", "arena.room.say", "arena.room.chatLog", "arena.room.leave", "onState", "onAck"]);
  });

  it("answers ctx.rpc calls NO_SERVER on a server without discovery (it knows no other server), and a join does not wait for the chat", async () => {
    const { runtime } = runtimeFor(arena);
    const joined = JSON.parse((await runtime.request(request(session("s1"), "arena.room.join", { name: "ann" }))).body.toString("utf8"));
    assert.equal(joined.code, 200);
    const error = await rejection(runtime.request(request(session("s1"), "arena.room.say", { text: "hi" })));
    assert.equal(error.code, "NO_SERVER");
  });

  it("refuses input that fails the handler's schema with BAD_INPUT and a message naming the field, without running the handler", async () => {
    const { runtime } = runtimeFor(arena);
    await runtime.request(request(session("s1"), "arena.room.join", {}));
    const error = await rejection(runtime.request(request(session("s1"), "arena.room.move", { seq: 1, x: "left", y: 3 })));
    assert.equal(error.code, "BAD_INPUT");
    assert.match(error.message, /^invalid input for arena\.room\.move: /);
    assert.equal(error.message, "invalid input for arena.room.move: x: Invalid input: expected number, received string");
    assert.equal(runtime.counters.badInput, 1);
    assert.equal(runtime.state.players.get("s1")!.seq, 0, "the move was not applied");
  });

  it("refuses a body that is not JSON with BAD_INPUT", async () => {
    const { runtime } = runtimeFor(arena);
    const error = await rejection(runtime.request(request(session("s1"), "arena.room.join", "{not json")));
    assert.equal(error.code, "BAD_INPUT");
    assert.equal(error.message, "the body of arena.room.join is not JSON");
  });

  it("answers an unknown route with UNKNOWN_ROUTE", async () => {
    const { runtime } = runtimeFor(arena);
    const error = await rejection(runtime.request(request(session("s1"), "arena.room.fly", {})));
    assert.equal(error.code, "UNKNOWN_ROUTE");
    assert.equal(runtime.counters.unknownRoutes, 1);
  });

  it("passes a GameError thrown by a handler to the client as is, and hides any other error behind INTERNAL", async () => {
    const game = defineGame({
      serverType: "t",
      handlers: {
        h: {
          refuse: { handle: () => { throw new GameError("NOT_YOUR_TURN", "wait for your turn"); } },
          crash: { handle: () => { throw new Error("secret stack detail"); } },
        },
      },
    });
    const { runtime } = runtimeFor(game);
    const refused = await rejection(runtime.request(request(session("s1"), "t.h.refuse", {})));
    assert.deepEqual([refused.code, refused.message], ["NOT_YOUR_TURN", "wait for your turn"]);
    const originalError = console.error;
    console.error = () => undefined;
    try {
      const crashed = await rejection(runtime.request(request(session("s1"), "t.h.crash", {})));
      assert.deepEqual([crashed.code, crashed.message], ["INTERNAL", "t.h.crash failed"]);
    } finally {
      console.error = originalError;
    }
    assert.equal(runtime.counters.handlerErrors, 1);
  });

  it("sends pushes made by handlers between ticks with the next tick's batch, and gives handlers that tick's number", async () => {
    const seen: number[] = [];
    const game = defineGame({
      serverType: "t",
      handlers: { h: { hello: { handle(ctx) { seen.push(ctx.tick); ctx.push("onHello", { hi: 1 }); } } } },
    });
    const { runtime } = runtimeFor(game);
    runtime.runTick(1, 50);
    await runtime.request(request(session("s1", "connector-3"), "t.h.hello", {}));
    assert.deepEqual(seen, [2]);
    const batches = runtime.runTick(2, 50);
    assert.deepEqual([...batches.keys()], ["connector-3"]);
    assert.equal(batches.get("connector-3")!.tick, 2);
    assert.deepEqual(pushesIn(directEntries(batches.get("connector-3")!)[0]![1]), ["onHello"]);
  });

  it("asks the session's connector to bind, set settings and kick, and remembers the uid it bound", async () => {
    const game = defineGame({
      serverType: "t",
      handlers: {
        h: {
          login: {
            input: z.object({ uid: z.string() }),
            async handle(ctx, input) {
              await ctx.bind(input.uid);
              await ctx.setSettings({ team: "red" });
              await ctx.kick("bye");
            },
          },
        },
      },
    });
    const { runtime, calls } = runtimeFor(game);
    await runtime.request(request(session("s1", "connector-1"), "t.h.login", { uid: "alice" }));
    assert.deepEqual(calls, [
      ["connector-1", ConnectorMethod.bind, { sessionId: "s1", uid: "alice" }],
      ["connector-1", ConnectorMethod.setSettings, { sessionId: "s1", settings: { team: "red" } }],
      ["connector-1", ConnectorMethod.kick, { sessionId: "s1", reason: "bye" }],
    ]);
    assert.equal(runtime.session("s1")!.uid, "alice");
  });

  it("on a closed session: leaves every channel, forgets the session and calls onSessionClosed once", async () => {
    const { runtime } = runtimeFor(arena);
    await runtime.request(request(session("s1"), "arena.room.join", {}));
    await runtime.request(request(session("s2", "connector-1"), "arena.room.join", {}));
    runtime.runTick(1, 50);
    runtime.sessionClosed({ sessionId: "s1", uid: null, reason: "client closed" });
    assert.equal(runtime.sessionCount, 1);
    assert.equal(runtime.state.players.has("s1"), false);
    const batches = runtime.runTick(2, 50);
    assert.deepEqual([...batches.keys()], ["connector-1"], "nothing more for s1's connector");
  });

  it("answers remotes with input validation, namespaced remote.<serverType>.<group>.<method>", async () => {
    const game = defineGame({
      serverType: "t",
      handlers: {},
      remotes: { match: { reserve: { input: z.object({ seats: z.number().int().positive() }), handle: (ctx, input) => ({ by: ctx.callerId, seats: input.seats }) } } },
    });
    const { runtime } = runtimeFor(game);
    assert.deepEqual(runtime.remoteMethods(), ["remote.t.match.reserve"]);
    assert.deepEqual(await runtime.remote("remote.t.match.reserve", { seats: 2 }, "lobby-1"), { by: "lobby-1", seats: 2 });
    assert.equal((await rejection(runtime.remote("remote.t.match.reserve", { seats: -1 }, "lobby-1"))).code, "BAD_INPUT");
  });
});

describe("game runtime: a player's session moving to another connector (resume)", () => {
  it("moves the uid's player, channels and per-player pushes to the resumed session, and the old session's close is a no-op", async () => {
    const { runtime } = runtimeFor(arena);
    const old = session("connector-0.a.1", "connector-0", "uma");
    await runtime.request(request(old, "arena.room.join", {}));
    await runtime.request(request(old, "arena.room.move", { seq: 3, x: 40, y: 60 }));
    runtime.runTick(1, 50);

    const resumed = session("connector-1.b.1", "connector-1", "uma");
    runtime.sessionResumed(resumed);
    assert.equal(runtime.counters.sessionsMoved, 1);
    assert.equal(runtime.sessionCount, 1);
    const player = runtime.state.players.get(resumed.id);
    assert.ok(player, "the arena re-keyed its player (onSessionMoved)");
    assert.deepEqual([player.x, player.y, player.seq, player.session.connectorId], [40, 60, 3, "connector-1"]);

    const batches = runtime.runTick(2, 50);
    const next = batches.get("connector-1")!;
    assert.deepEqual(next.subscribe, [["game-1/room", resumed.id]], "the new connector subscribes the resumed socket");
    assert.deepEqual(directEntries(next).map(([id]) => id), [resumed.id]);
    assert.deepEqual(batches.get("connector-0")?.unsubscribe ?? [], [["game-1/room", old.id]]);
    assert.equal(batches.get("connector-0")?.broadcasts.length ?? 0, 0, "nothing is broadcast to the lost connector any more");

    runtime.sessionClosed({ sessionId: old.id, uid: "uma", reason: "connector died" });
    assert.equal(runtime.sessionCount, 1, "the old session's late close does not touch the player");
    assert.ok(runtime.state.players.has(resumed.id));
  });

  it("closes the sessions of a connector that left once the grace period ends, unless they resumed", async () => {
    const { runtime } = runtimeFor(arena);
    const gone = ["a", "b", "c"].map((uid, i) => session(`connector-0.x.${i}`, "connector-0", uid));
    const kept = session("connector-1.y.1", "connector-1", "d");
    for (const s of [...gone, kept]) await runtime.request(request(s, "arena.room.join", {}));
    runtime.connectorGone("connector-0", 1_000);
    runtime.sessionResumed(session("connector-1.y.2", "connector-1", "a"));
    assert.equal(runtime.closeOrphans(1_000 + 29_999), 0, "nothing closes inside the grace period");
    assert.equal(runtime.closeOrphans(1_000 + 30_000), 2);
    assert.equal(runtime.counters.sessionsOrphaned, 2);
    assert.deepEqual([...runtime.state.players.values()].map((p) => p.session.uid).sort(), ["a", "d"]);
    assert.equal(runtime.closeOrphans(1_000 + 60_000), 0);
  });

  it("keeps a player whose socket dropped (a resumable close) for the grace period: its resume gets the same record, a no-show is dropped", async () => {
    const { runtime } = runtimeFor(arena);
    const dropped = ["e", "f"].map((uid, i) => session(`connector-0.z.${i}`, "connector-0", uid));
    for (const s of dropped) await runtime.request(request(s, "arena.room.join", {}));
    const record = runtime.state.players.get(dropped[0]!.id)!.record;
    for (const s of dropped) runtime.sessionClosed({ sessionId: s.id, uid: s.uid, reason: "client closed (1006)", resumable: true }, 5_000);
    assert.equal(runtime.state.players.size, 2, "nothing dropped at the close");
    runtime.sessionResumed(session("connector-1.z.9", "connector-1", "e"));
    assert.equal(runtime.state.players.get("connector-1.z.9")?.record, record, "the resumed player keeps its record");
    assert.equal(runtime.closeOrphans(5_000 + 29_999), 0);
    assert.equal(runtime.closeOrphans(5_000 + 30_000), 1);
    assert.deepEqual([...runtime.state.players.values()].map((p) => p.session.uid), ["e"]);
  });

  it("keeps the players of a connector that left and came back (starved past its lease, sockets open)", async () => {
    const { runtime } = runtimeFor(arena);
    const players = ["h", "i"].map((uid, i) => session(`connector-0.v.${i}`, "connector-0", uid));
    for (const s of players) await runtime.request(request(s, "arena.room.join", {}));
    runtime.connectorGone("connector-0", 1_000);
    runtime.connectorBack("connector-0");
    assert.equal(runtime.closeOrphans(1_000 + 60_000), 0);
    assert.equal(runtime.state.players.size, 2);
  });

  it("drops a player at once on a close that is not resumable", async () => {
    const { runtime } = runtimeFor(arena);
    const s = session("connector-0.w.1", "connector-0", "g");
    await runtime.request(request(s, "arena.room.join", {}));
    runtime.sessionClosed({ sessionId: s.id, uid: "g", reason: "client closed (1000)" });
    assert.equal(runtime.state.players.size, 0);
  });

  it("a uid bound later by a handler also takes its older session's place", async () => {
    const { runtime } = runtimeFor(arena);
    await runtime.request(request(session("s1", "connector-0", "vic"), "arena.room.join", {}));
    await runtime.request(request(session("s2", "connector-1"), "arena.room.join", { uid: "vic" }));
    assert.equal(runtime.counters.sessionsMoved, 1);
    assert.equal(runtime.sessionCount, 1);
    assert.ok(runtime.state.players.has("s2"));
  });
});
