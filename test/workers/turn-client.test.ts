/**
 * A game calling workers whose answers are hostile (a bot that took over its worker process):
 * oversized, endless, malformed or off-schema answers stop that worker for the game with a short
 * reason; an endless answer is cut at the turn's deadline; the well-behaved worker beside them
 * plays on. Real HTTP servers on loopback.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { GridWorld, MAX_REASON_CHARS } from "../../services/games/grid/world";
import { MAX_RESPONSE_BYTES, TurnClient } from "../../services/src/workers/turn-client";

type Handler = (res: http.ServerResponse) => void;

const honest: Handler = (res) => res.end(JSON.stringify({ status: "ok", action: { move: "up" }, ms: 1 }));
// Made once: building 8 MB takes this busy machine's event loop a third of a second.
const EIGHT_MB = Buffer.from(JSON.stringify({ status: "stopped", reason: "r".repeat(8 * 1024 * 1024), ms: 0 }));
const WORKERS: Record<string, Handler> = {
  honest,
  "8 MB declared": (res) => (res.writeHead(200, { "Content-Length": 8 * 1024 * 1024 }), res.write("x".repeat(1024))),
  "8 MB streamed": (res) => (res.writeHead(200), res.end(EIGHT_MB)),
  "a long reason": (res) => res.end(JSON.stringify({ status: "stopped", reason: "r".repeat(1_000), ms: 0 })),
  "an unknown status": (res) => res.end(JSON.stringify({ status: "escaped", ms: 0 })),
  "not JSON": (res) => res.end("<html>"),
  "an endless dribble": (res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write(" "), 5);
    res.on("close", () => clearInterval(timer));
  },
};

describe("turn client: a worker's answer is hostile input (real HTTP)", function () {
  this.timeout(30_000);
  const servers: http.Server[] = [];
  const urls = new Map<string, string>();

  before(async function () {
    for (const [name, handler] of Object.entries(WORKERS)) {
      const server = http.createServer((req, res) => req.resume().on("end", () => handler(res)));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      urls.set(name, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });

  after(function () {
    for (const server of servers) (server.closeAllConnections(), server.close());
  });

  it("stops each misbehaving worker with a short reason, cuts an endless answer at the deadline, and keeps calling the honest one", async function () {
    // About hostile answers, not speed: a generous 1 s per turn on a machine at load average 40; the endless answer is cut there.
    const client = new TurnClient(1_000);
    const world = new GridWorld();
    for (const name of urls.keys()) world.join(name);
    let honestActions = 0;
    for (let turn = 1; turn <= 5; turn++) {
      client.send(turn, [...urls].map(([name, url]) => [name, url, JSON.stringify({ tick: turn })] as const));
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      for (const [player, outcome] of client.take()) {
        if (outcome.status !== "ok") continue;
        world.act(player, outcome.action, outcome.turn);
        if (player === "honest") honestActions++;
      }
      for (const [player, outcome] of client.last) if (outcome.status === "stopped") world.stop(player, outcome.reason ?? "stopped");
    }
    const stopped = Object.fromEntries([...world.avatars.values()].filter((a) => a.status === "stopped").map((a) => [a.player, a.reason]));
    assert.deepEqual(Object.keys(stopped).sort(), ["8 MB declared", "8 MB streamed", "a long reason", "an unknown status", "not JSON"].sort());
    assert.match(stopped["8 MB declared"]!, new RegExp(`^its worker sent an answer of 8388608 bytes \\(at most ${MAX_RESPONSE_BYTES}\\): stopped$`));
    assert.match(stopped["8 MB streamed"]!, /^its worker sent an answer of over 16384 bytes: stopped$/);
    assert.match(stopped["a long reason"]!, /^its worker sent an answer outside the schema \(reason: too_big\): stopped$/);
    assert.match(stopped["an unknown status"]!, /^its worker sent an answer outside the schema \(status: invalid_value\): stopped$/);
    assert.ok(Object.values(stopped).every((reason) => reason!.length <= MAX_REASON_CHARS));
    assert.equal(honestActions, 5);
    assert.equal(world.avatars.get("honest")!.turn, 5, "the server holds the honest bot's last answered turn as applied");
    assert.equal(world.avatars.get("honest")!.status, "playing");
    assert.equal(world.avatars.get("an endless dribble")!.status, "playing", "a slow worker is a timed-out turn, not a stop");
    assert.ok(client.counters.timedOut >= 4, JSON.stringify(client.counters));
    client.close();
  });

  it("the grid world keeps at most MAX_REASON_CHARS of a reason, whoever hands it one", function () {
    const world = new GridWorld();
    world.join("p");
    world.stop("p", "v".repeat(8 * 1024 * 1024));
    assert.equal(world.avatars.get("p")!.reason!.length, MAX_REASON_CHARS);
  });
});
