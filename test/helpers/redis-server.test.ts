import assert from "node:assert/strict";
import { RedisServer } from "./redis-server";

describe("test harness: private redis-server", () => {
  let redis: RedisServer;
  afterEach(async () => redis?.dispose());

  it("starts on a free port with a password and answers commands", async () => {
    redis = await RedisServer.start({ password: "s3cret" });
    assert.ok(redis.port > 0);
    assert.match(await redis.command("SET", "k", "v"), /OK/);
    assert.match(await redis.command("GET", "k"), /v/);
    assert.match(redis.url, /^redis:\/\/:s3cret@127\.0\.0\.1:\d+$/);
  });

  it("loses its data across a kill and restart without persistence", async () => {
    redis = await RedisServer.start();
    await redis.command("SET", "k", "v");
    await redis.kill();
    assert.equal(redis.running, false);
    await redis.launch();
    assert.match(await redis.command("EXISTS", "k"), /:0/);
  });

  it("keeps its data across a restart when persistence is asked for", async () => {
    redis = await RedisServer.start({ persistence: true });
    await redis.command("SET", "k", "v");
    await redis.stop();
    await redis.launch();
    assert.match(await redis.command("GET", "k"), /v/);
  });

  it("reads a reply that arrives in several chunks whole", async () => {
    redis = await RedisServer.start();
    const value = "x".repeat(300_000);
    await redis.command("SET", "big", value);
    assert.equal(await redis.command("GET", "big"), `$${value.length}\r\n${value}`);
  });

  it("starts a TLS-only server with its own CA, answering over TLS at a rediss:// URL", async () => {
    redis = await RedisServer.start({ tls: true });
    assert.match(redis.certificates!.ca, /BEGIN CERTIFICATE/);
    assert.match(redis.url, /^rediss:\/\/127\.0\.0\.1:\d+$/);
    assert.match(await redis.command("PING"), /PONG/);
  });

  it("fails with the install command when redis-server is missing", async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await assert.rejects(RedisServer.start(), /apt-get install -y redis-server/);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
