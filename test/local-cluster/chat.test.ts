/** The local cluster of `npm start` runs the chat lobby, and its arena reaches it through `ctx.rpc`. */
import assert from "node:assert/strict";
import type { PomonaClient } from "../../services/src/client";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";

describe("local cluster: the arena talks to the chat server", function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let player: PomonaClient | undefined;

  before(async () => {
    cluster = await startTestCluster({ mode: "direct", connectors: 1, games: 1 });
  });
  after(async () => {
    player?.close();
    await cluster?.dispose();
  });

  it("runs chat-1, and a player's join and words reach it through the arena", async () => {
    assert.ok(cluster.servers.has("chat-1"), "chat-1 is one of the cluster's processes");
    player = cluster.client("ann");
    await player.connect();
    await player.request("arena.room.join", {});
    const said = await player.request<{ code: number; chatServer: string }>("arena.room.say", { text: "hello from the local cluster" });
    assert.deepEqual(said.code, 200);
    assert.equal(said.chatServer, "chat-1");
    const log = await player.request<{ messages: Array<{ from: string; text: string }> }>("arena.room.chatLog", {});
    assert.deepEqual(log.messages.slice(-2).map((message) => `${message.from}: ${message.text}`), ["arena-1: ann joined room", "ann: hello from the local cluster"]);
  });
});
