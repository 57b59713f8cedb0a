import assert from "node:assert/strict";
import type Redis from "ioredis";
import { createRedisClient } from "../../services/src/redis";
import { BindingStore } from "../../services/src/session/binding-store";
import { Session } from "../../services/src/session";
import { RedisServer } from "../helpers/redis-server";
import { waitUntil } from "../helpers/wait";

describe("sticky bindings kept in Redis for resume", () => {
  let redis: RedisServer;
  let client: Redis;
  before(async () => {
    redis = await RedisServer.start();
    client = createRedisClient({ port: redis.port, commandTimeoutMs: 250 });
    await client.connect();
  });
  after(async () => {
    client.disconnect();
    await redis.dispose();
  });

  it("saves a uid's bindings per server type and loads them back, with an expiry", async () => {
    const store = new BindingStore(client, { namespace: "b1", ttlMs: 60_000 });
    const session = new Session("s1", "connector-0");
    session.bind("alice");
    session.backends.set("arena", { serverId: "arena-2", incarnation: "inc-7" });
    session.backends.set("chat", { serverId: "chat-1", incarnation: "inc|with|bars" });
    store.save(session);
    await waitUntil(() => store.stats.saved === 1, 1000, "saved");
    const loaded = await store.load({ uid: "alice", id: "another-session" });
    assert.deepEqual(Object.fromEntries(loaded), {
      arena: { serverId: "arena-2", incarnation: "inc-7" },
      chat: { serverId: "chat-1", incarnation: "inc|with|bars" },
    });
    const ttl = Number((await redis.command("PTTL", "{b1}:bindings:uid:alice")).replace(":", ""));
    assert.ok(ttl > 50_000 && ttl <= 60_000, `ttl ${ttl}`);
  });

  it("replaces stale bindings on save instead of merging them", async () => {
    const store = new BindingStore(client, { namespace: "b2" });
    const session = new Session("s1", "connector-0");
    session.backends.set("arena", { serverId: "arena-1", incarnation: "a" });
    session.backends.set("chat", { serverId: "chat-1", incarnation: "c" });
    store.save(session);
    session.backends.delete("chat");
    store.save(session);
    await waitUntil(() => store.stats.saved === 2, 1000, "saved twice");
    assert.deepEqual([...(await store.load(session)).keys()], ["arena"]);
  });

  it("loads nothing, quickly, while Redis is down, and counts the failure", async () => {
    const store = new BindingStore(client, { namespace: "b3" });
    await redis.kill();
    try {
      assert.equal((await store.load({ uid: "x", id: "s" })).size, 0);
      assert.equal(store.stats.failed, 1);
    } finally {
      await redis.launch();
      await waitUntil(() => client.status === "ready", 3000, "client reconnected");
    }
  });
});
