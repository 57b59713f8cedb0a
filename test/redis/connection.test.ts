import assert from "node:assert/strict";
import { ConfigError } from "../../services/src/config/validate";
import { ServiceDiscovery } from "../../services/src/discovery";
import { toIoredisOptions } from "../../services/src/redis";

describe("redis connection settings", () => {
  it("fail fast by default: no offline queue, no retries, a timeout on every command", () => {
    const options = toIoredisOptions({});
    assert.equal(options.enableOfflineQueue, false);
    assert.equal(options.maxRetriesPerRequest, 0);
    assert.equal(options.commandTimeout, 500);
    assert.equal(options.lazyConnect, true);
  });

  it("take user, password, db and TLS from a rediss:// URL", () => {
    const options = toIoredisOptions({ url: "rediss://pomona:p%40ss@redis.internal:6380/2" });
    assert.equal(options.host, "redis.internal");
    assert.equal(options.port, 6380);
    assert.equal(options.username, "pomona");
    assert.equal(options.password, "p@ss");
    assert.equal(options.db, 2);
    assert.deepEqual(options.tls, {});
  });

  it("keep the TLS settings from `tls` (a private CA) when a rediss:// URL switches TLS on", () => {
    assert.deepEqual(toIoredisOptions({ url: "rediss://redis.internal:6380", tls: { ca: "PEM" } }).tls, { ca: "PEM" });
    assert.deepEqual(toIoredisOptions({ url: "redis://redis.internal:6380", tls: { ca: "PEM" } }).tls, { ca: "PEM" });
    assert.equal(toIoredisOptions({ url: "redis://redis.internal:6380" }).tls, undefined);
  });

  it("pass Sentinel endpoints, the master name and TLS for sentinels through", () => {
    const options = toIoredisOptions({
      sentinels: [{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }],
      sentinelMasterName: "pomona",
      sentinelPassword: "x",
      tls: { rejectUnauthorized: true },
    });
    assert.deepEqual(options.sentinels, [{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }]);
    assert.equal(options.name, "pomona");
    assert.equal(options.sentinelPassword, "x");
    assert.equal(options.enableTLSForSentinelMode, true);
  });

  it("reject Sentinel without a master name, naming the key and the fix", () => {
    assert.throws(
      () => toIoredisOptions({ sentinels: [{ host: "s1", port: 26379 }] }),
      (error: unknown) => error instanceof ConfigError && /redis\.sentinelMasterName: is required when sentinels are set/.test(error.message),
    );
  });

  it("reject unknown keys and wrong types with the key path", () => {
    assert.throws(() => toIoredisOptions({ prot: 1 } as never), /redis/);
    assert.throws(() => toIoredisOptions({ port: 70000 }), /redis\.port/);
    assert.throws(() => toIoredisOptions({ url: "http://x" }), /redis\.url: must start with redis:\/\//);
  });

  it("reject a discovery config whose command timeout could outlive the lease", () => {
    assert.throws(
      () => new ServiceDiscovery({ ttlMs: 1200, redis: { commandTimeoutMs: 500 } }),
      /discovery\.redis\.commandTimeoutMs: must be at most ttlMs\/6 \(200 ms\)/,
    );
  });

  it("reject a bad server identity before touching Redis", () => {
    assert.throws(() => new ServiceDiscovery({}, { id: "bad id!", type: "arena", host: "h", port: 1 }), /invalid server identity: id/);
  });
});
