import assert from "node:assert/strict";
import { ConfigError } from "../../services/src/config/validate";
import { redisFromEnv } from "../../services/src/redis";

describe("Redis connection from a server's environment", () => {
  const url = "redis://:secret@10.0.0.5:6379";

  it("is the URL alone without REDIS_SENTINELS", () => {
    assert.deepEqual(redisFromEnv(url, {}), { url });
  });

  it("adds the Sentinels and the master name", () => {
    assert.deepEqual(redisFromEnv(url, { REDIS_SENTINELS: "s-0:26379, s-1:26380", REDIS_SENTINEL_MASTER: "pomona" }), {
      url,
      sentinels: [{ host: "s-0", port: 26379 }, { host: "s-1", port: 26380 }],
      sentinelMasterName: "pomona",
    });
  });

  it("names the key and the fix for a malformed list or a missing master", () => {
    assert.throws(() => redisFromEnv(url, { REDIS_SENTINELS: "s-0", REDIS_SENTINEL_MASTER: "m" }), (e: unknown) => e instanceof ConfigError && /REDIS_SENTINELS: "s-0" is not host:port/.test(e.message));
    assert.throws(() => redisFromEnv(url, { REDIS_SENTINELS: "s-0:99999", REDIS_SENTINEL_MASTER: "m" }), ConfigError);
    assert.throws(() => redisFromEnv(url, { REDIS_SENTINELS: "s-0:26379" }), (e: unknown) => e instanceof ConfigError && /REDIS_SENTINEL_MASTER: is required/.test(e.message));
  });
});
