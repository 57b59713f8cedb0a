import assert from "node:assert/strict";
import type { ServerInfo } from "../../services/src/discovery";
import { consistentHash, eligible, leastLoaded, rendezvousScore, type RouteContext } from "../../services/src/routing";
import { outranks } from "../../services/src/routing/choose-server";

const server = (id: string, load = 0, draining = false, type = "arena"): ServerInfo => ({
  id, type, host: "10.0.0.1", port: 4000, incarnation: "i", load, draining, metadata: {},
});
const context = (sessionId: string, uid?: string): RouteContext => ({ serverType: "arena", route: "arena.room.join", sessionId, ...(uid ? { uid } : {}) });

describe("routing: choosing a backend server", () => {
  it("offers only live servers of the type that are not draining", () => {
    const servers = [server("a1"), server("a2", 0, true), server("c1", 0, false, "connector")];
    assert.deepEqual(eligible(servers, "arena").map((s) => s.id), ["a1"]);
  });

  it("least-loaded picks the lowest load", () => {
    const chosen = leastLoaded([server("a1", 30), server("a2", 10), server("a3", 20)], context("s1"));
    assert.equal(chosen?.id, "a2");
  });

  it("least-loaded spreads sessions across servers of equal load", () => {
    const servers = [server("a1"), server("a2"), server("a3")];
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const id = leastLoaded(servers, context(`session-${i}`))!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const id of ["a1", "a2", "a3"]) assert.ok((counts.get(id) ?? 0) > 800, `${id}: ${counts.get(id)}`);
  });

  it("least-loaded never prefers a busier server, whatever the session's hash says", () => {
    const servers = [server("a1", 1), server("a2", 9), server("a3", 5)];
    for (let i = 0; i < 200; i++) assert.equal(leastLoaded(servers, context(`session-${i}`))?.id, "a1");
  });

  it("least-loaded breaks a tie of loads by the session's highest rendezvous score", () => {
    const servers = [server("b1", 7), server("a1", 3), server("a2", 3), server("a3", 3)];
    for (let i = 0; i < 200; i++) {
      const sessionId = `session-${i}`;
      const best = ["a1", "a2", "a3"].sort((x, y) => rendezvousScore(sessionId, y) - rendezvousScore(sessionId, x))[0];
      assert.equal(leastLoaded(servers, context(sessionId))?.id, best);
    }
  });

  it("both choosers answer the same whatever order the candidates come in", () => {
    const servers = ["a1", "a2", "a3", "a4", "a5"].map((id) => server(id));
    const orders = [servers, [...servers].reverse(), [servers[2]!, servers[4]!, servers[0]!, servers[3]!, servers[1]!]];
    for (let i = 0; i < 300; i++) {
      const ctx = context(`s${i}`, `uid-${i}`);
      assert.equal(new Set(orders.map((order) => consistentHash(order, ctx)!.id)).size, 1);
      assert.equal(new Set(orders.map((order) => leastLoaded(order, ctx)!.id)).size, 1);
    }
  });

  it("the rendezvous score separates key from server id, so (\"ab\", \"c\") and (\"a\", \"bc\") differ", () => {
    assert.notEqual(rendezvousScore("ab", "c"), rendezvousScore("a", "bc"));
    assert.equal(rendezvousScore("ab", "c"), rendezvousScore("ab", "c"));
  });

  it("returns undefined when there is no candidate", () => {
    assert.equal(leastLoaded([], context("s")), undefined);
    assert.equal(consistentHash([], context("s")), undefined);
  });

  it("consistent hashing is stable for a uid and moves only the removed server's uids", () => {
    const four = ["a1", "a2", "a3", "a4"].map((id) => server(id));
    const three = four.filter((s) => s.id !== "a4");
    let moved = 0;
    let onA4 = 0;
    for (let i = 0; i < 4000; i++) {
      const before = consistentHash(four, context(`s${i}`, `uid-${i}`))!.id;
      const after = consistentHash(three, context(`other-session`, `uid-${i}`))!.id;
      if (before === "a4") onA4++;
      else if (before !== after) moved++;
    }
    assert.equal(moved, 0, "uids on surviving servers keep their server");
    assert.ok(onA4 > 800 && onA4 < 1200, `a4 held ${onA4} of 4000`);
  });

  it("ranking: the first candidate always ranks, even at score 0; then the higher score; a collision of scores goes to the lower id, whichever comes first", () => {
    assert.equal(outranks(0, "z", 0, undefined), true, "nothing chosen yet");
    assert.equal(outranks(7, "b", 6, "a"), true);
    assert.equal(outranks(6, "a", 7, "b"), false);
    assert.equal(outranks(7, "a", 7, "b"), true, "equal scores: the lower id");
    assert.equal(outranks(7, "b", 7, "a"), false, "equal scores: the higher id does not displace the lower");
    assert.equal(outranks(7, "a", 7, "a"), false, "the same server is not a better one");
  });
});
