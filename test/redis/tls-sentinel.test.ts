import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { DiscoveryError, ServiceDiscovery, type DiscoveryOptionsInput } from "../../services/src/discovery";
import type { RedisConnectionInput } from "../../services/src/redis";
import { createTestCertificates, RedisServer } from "../helpers/redis-server";
import { sleep, waitUntil } from "../helpers/wait";

const TTL_MS = 1500;
const MASTER_NAME = "pomona-master";

/** Small TTLs as in test/discovery: a refresh every 500 ms, every Redis call bounded by 250 ms. */
const discoveryOptions = (namespace: string, redis: RedisConnectionInput, overrides: Partial<DiscoveryOptionsInput> = {}): DiscoveryOptionsInput => ({
  namespace,
  ttlMs: TTL_MS,
  resyncIntervalMs: 250,
  redis: { commandTimeoutMs: 250, connectTimeoutMs: 500, reconnectMaxDelayMs: 400, ...redis },
  ...overrides,
});

/** Starts members and stops every one of them after each test. */
function memberPool() {
  const running: ServiceDiscovery[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((discovery) => discovery.stop()));
  });
  return async (options: DiscoveryOptionsInput, id: string, type = "arena"): Promise<ServiceDiscovery> => {
    const discovery = new ServiceDiscovery(options, { id, type, host: "127.0.0.1", port: 4000 });
    await discovery.start();
    running.push(discovery);
    return discovery;
  };
}

const ids = (discovery: ServiceDiscovery) => discovery.members().map((server) => server.id).sort();

async function seeEachOther(a: ServiceDiscovery, b: ServiceDiscovery): Promise<void> {
  await waitUntil(() => ids(a).length === 2 && ids(b).length === 2, 2000, "both members see both");
  assert.deepEqual(ids(a), ids(b));
}

/** start() of a member that must fail: resolves with the error and how long start() took. */
async function failedStart(options: DiscoveryOptionsInput): Promise<{ error: DiscoveryError; elapsedMs: number }> {
  const discovery = new ServiceDiscovery(options, { id: "arena-x", type: "arena", host: "127.0.0.1", port: 1 });
  const started = performance.now();
  try {
    await discovery.start();
  } catch (error) {
    assert.ok(error instanceof DiscoveryError, `expected a DiscoveryError, got ${String(error)}`);
    return { error, elapsedMs: performance.now() - started };
  }
  await discovery.stop();
  assert.fail("start() succeeded but should have failed");
}

const memberKey = (namespace: string, id: string) => `{${namespace}}:discovery:member:${id}`;
const indexKey = (namespace: string) => `{${namespace}}:discovery:index`;

describe("discovery through a TLS-only redis-server", function () {
  this.timeout(10_000);
  let redis: RedisServer;
  let mutualRedis: RedisServer;
  let strangerDir: string;
  let strangerCa: string;
  let namespaceCounter = 0;
  let namespace: string;
  const startMember = memberPool();

  before(async () => {
    [redis, mutualRedis] = await Promise.all([
      RedisServer.start({ tls: true }),
      RedisServer.start({ tls: { requireClientCertificates: true } }),
    ]);
    strangerDir = mkdtempSync(path.join(os.tmpdir(), "pomona-stranger-ca-"));
    strangerCa = createTestCertificates(strangerDir).ca;
  });
  beforeEach(() => {
    namespace = `tls${++namespaceCounter}`;
  });
  after(async () => {
    await Promise.all([redis?.dispose(), mutualRedis?.dispose()]);
    if (strangerDir) rmSync(strangerDir, { recursive: true, force: true });
  });

  it("registers and sees a peer with `tls: { ca }`, verifying the server certificate", async () => {
    const ca = redis.certificates!.ca;
    const arena = await startMember(discoveryOptions(namespace, { port: redis.port, tls: { ca } }), "arena-1");
    const connector = await startMember(discoveryOptions(namespace, { port: redis.port, tls: { ca, rejectUnauthorized: true } }), "connector-0", "connector");
    await seeEachOther(arena, connector);
    assert.equal(connector.get("arena-1")?.incarnation, arena.incarnation);
    assert.match(await redis.command("EXISTS", memberKey(namespace, "arena-1")), /:1/, "the record is in the TLS server");
  });

  it("registers and sees a peer through a rediss:// URL, with the CA given in `tls`", async () => {
    const options = discoveryOptions(namespace, { url: redis.url, tls: { ca: redis.certificates!.ca } });
    assert.match(redis.url, /^rediss:\/\/127\.0\.0\.1:\d+$/);
    const arena = await startMember(options, "arena-1");
    const connector = await startMember(options, "connector-0", "connector");
    await seeEachOther(arena, connector);
  });

  it("registers with a client certificate where the server requires one (`tls-auth-clients yes`), and fails without", async () => {
    const { ca, clientCert, clientKey } = mutualRedis.certificates!;
    const arena = await startMember(discoveryOptions(namespace, { port: mutualRedis.port, tls: { ca, cert: clientCert, key: clientKey } }), "arena-1");
    assert.deepEqual(ids(arena), ["arena-1"]);
    const { error } = await failedStart(discoveryOptions(namespace, { port: mutualRedis.port, tls: { ca } }, { startTimeoutMs: 1000 }));
    assert.equal(error.code, "REDIS_UNAVAILABLE");
  });

  it("fails start() within 2 s with REDIS_UNAVAILABLE naming the certificate problem when the CA is not trusted", async () => {
    for (const tls of [{ ca: strangerCa }, true] as const) {
      const { error, elapsedMs } = await failedStart(discoveryOptions(namespace, { port: redis.port, tls }));
      assert.equal(error.code, "REDIS_UNAVAILABLE");
      assert.match(error.message, /unable to (verify the first certificate|get local issuer certificate)|self.signed certificate/i, error.message);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${redis.port}`), "names the Redis endpoint");
      // Fails on the TLS handshake, not a timeout: measured, 4–5 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 23–59 ms.
      assert.ok(elapsedMs < 2000, `start() took ${Math.round(elapsedMs)} ms to fail`);
    }
    // A second socket error after start() gave up (the server's TLS alert) would surface here as an uncaught exception.
    await sleep(300);
  });

  it("refuses a plaintext client on the TLS port: there is no plaintext listener", async () => {
    const { error, elapsedMs } = await failedStart(discoveryOptions(namespace, { port: redis.port }));
    assert.equal(error.code, "REDIS_UNAVAILABLE");
    // measured, 4–5 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 4–31 ms.
    assert.ok(elapsedMs < 2000, `start() took ${Math.round(elapsedMs)} ms to fail`);
  });
});

describe("discovery through Redis Sentinel", function () {
  this.timeout(20_000);
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  let namespaceCounter = 0;
  let namespace: string;
  const startMember = memberPool();
  const viaSentinel = (overrides: RedisConnectionInput = {}): RedisConnectionInput => ({
    sentinels: [{ host: sentinel.host, port: sentinel.port }],
    sentinelMasterName: MASTER_NAME,
    ...overrides,
  });

  before(async () => {
    master = await RedisServer.start();
    replica = await RedisServer.start({ replicaOf: master });
    sentinel = await RedisServer.start({ sentinel: { master, masterName: MASTER_NAME, downAfterMs: 1000, failoverTimeoutMs: 3000 } });
    await waitForReplica(sentinel, replica);
  });
  beforeEach(() => {
    namespace = `sentinel${++namespaceCounter}`;
  });
  after(async () => {
    await Promise.all([sentinel?.dispose(), replica?.dispose(), master?.dispose()]);
  });

  it("registers through Sentinel on the master it names, and peers see each other", async () => {
    assert.match(await sentinel.command("SENTINEL", "get-master-addr-by-name", MASTER_NAME), new RegExp(`\\r\\n${master.port}$`));
    const arena = await startMember(discoveryOptions(namespace, viaSentinel()), "arena-1");
    const connector = await startMember(discoveryOptions(namespace, viaSentinel()), "connector-0", "connector");
    await seeEachOther(arena, connector);
    assert.match(await master.command("EXISTS", memberKey(namespace, "arena-1")), /:1/, "written on the master");
    await waitUntil(async () => /:1/.test(await replica.command("EXISTS", memberKey(namespace, "arena-1"))), 1000, "replicated to the replica");
  });

  // ioredis keeps asking the sentinels, so start() gives up at startTimeoutMs with the sentinels' last answer.
  it("fails start() at startTimeoutMs with REDIS_UNAVAILABLE and Sentinel's answer when the master name is unknown", async () => {
    const { error, elapsedMs } = await failedStart(discoveryOptions(namespace, viaSentinel({ sentinelMasterName: "no-such-master" }), { startTimeoutMs: 800 }));
    assert.equal(error.code, "REDIS_UNAVAILABLE");
    assert.match(error.message, /All sentinels are unreachable.*No such master with that name/);
    // start() gives up at its own startTimeoutMs: measured, 4–5 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 802–900 ms.
    assert.ok(elapsedMs < 2000, `start() took ${Math.round(elapsedMs)} ms to fail`);
  });

  it("re-registers on the replica Sentinel promotes after the master is SIGKILLed, within 2 s of the promotion, keeping its incarnation and reporting no one removed", async () => {
    const arena = await startMember(discoveryOptions(namespace, viaSentinel()), "arena-1");
    const connector = await startMember(discoveryOptions(namespace, viaSentinel()), "connector-0", "connector");
    await seeEachOther(arena, connector);
    const incarnations = [arena.incarnation, connector.incarnation];
    const removals: string[] = [];
    arena.on("removed", (s) => removals.push(s.id));
    connector.on("removed", (s) => removals.push(s.id));

    const killedAtMs = Date.now();
    await master.kill();
    const promotedAfterMs = await waitUntil(
      async () => (await sentinel.command("SENTINEL", "get-master-addr-by-name", MASTER_NAME)).endsWith(String(replica.port)),
      10_000,
      "Sentinel promotes the replica",
      100,
    );
    assert.match(await replica.command("ROLE"), /master/);

    // Index scores are Redis' TIME + TTL at the write: above killedAt + TTL means written after the kill, so on the new master.
    const writtenSinceKill = async (id: string) => Number((await replica.command("ZSCORE", indexKey(namespace), id)).split("\r\n").pop()) > killedAtMs + TTL_MS;
    const reRegisteredAfterMs = await waitUntil(
      async () => (await writtenSinceKill("arena-1")) && (await writtenSinceKill("connector-0")),
      5000,
      "both members re-registered on the promoted replica",
      50,
    );
    // Sentinel notifies, ioredis reconnects, one refresh: measured, 4–5 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 181–1,061 ms, median 421.
    assert.ok(reRegisteredAfterMs < 2000, `re-registered ${Math.round(reRegisteredAfterMs)} ms after the promotion (promoted ${Math.round(promotedAfterMs)} ms after the kill)`);
    assert.match(await replica.command("EXISTS", memberKey(namespace, "arena-1")), /:1/);
    assert.match(await replica.command("EXISTS", memberKey(namespace, "connector-0")), /:1/);
    assert.deepEqual([arena.incarnation, connector.incarnation], incarnations, "a failover is not a reason to change identity");
    const both = ["arena-1", "connector-0"];
    await waitUntil(() => ids(arena).join() === both.join() && ids(connector).join() === both.join(), 1000, "both views list both members, read from the new master");
    assert.deepEqual(removals, [], "a failover must not report live members as removed");
  });
});

describe("discovery through Redis Sentinel with passwords", function () {
  this.timeout(10_000);
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  const startMember = memberPool();
  const viaSentinel = (overrides: RedisConnectionInput = {}): RedisConnectionInput => ({
    sentinels: [{ host: sentinel.host, port: sentinel.port }],
    sentinelMasterName: MASTER_NAME,
    password: "data-secret",
    sentinelPassword: "sentinel-secret",
    ...overrides,
  });

  before(async () => {
    master = await RedisServer.start({ password: "data-secret" });
    replica = await RedisServer.start({ password: "data-secret", replicaOf: master });
    sentinel = await RedisServer.start({ password: "sentinel-secret", sentinel: { master, masterName: MASTER_NAME } });
    await waitForReplica(sentinel, replica);
  });
  after(async () => {
    await Promise.all([sentinel?.dispose(), replica?.dispose(), master?.dispose()]);
  });

  it("registers with `password` for the data nodes and `sentinelPassword` for Sentinel", async () => {
    const arena = await startMember(discoveryOptions("auth", viaSentinel()), "arena-1");
    const connector = await startMember(discoveryOptions("auth", viaSentinel()), "connector-0", "connector");
    await seeEachOther(arena, connector);
    assert.match(await master.command("EXISTS", memberKey("auth", "arena-1")), /:1/);
  });

  it("fails start() with REDIS_UNAVAILABLE naming WRONGPASS when the Sentinel password is wrong", async () => {
    const { error } = await failedStart(discoveryOptions("auth", viaSentinel({ sentinelPassword: "wrong" }), { startTimeoutMs: 800 }));
    assert.equal(error.code, "REDIS_UNAVAILABLE");
    assert.match(error.message, /All sentinels are unreachable.*(WRONGPASS|invalid username-password)/i);
  });

  it("fails start() with REDIS_UNAVAILABLE naming WRONGPASS when the data password is wrong", async () => {
    const { error } = await failedStart(discoveryOptions("auth", viaSentinel({ password: "wrong" }), { startTimeoutMs: 800 }));
    assert.equal(error.code, "REDIS_UNAVAILABLE");
    assert.match(error.message, /WRONGPASS|invalid username-password/i);
  });
});

/** Sentinel finds replicas through the master's INFO; a failover needs one it has seen with a healthy link. */
async function waitForReplica(sentinel: RedisServer, replica: RedisServer): Promise<void> {
  await waitUntil(
    async () => {
      const reply = await sentinel.command("SENTINEL", "replicas", MASTER_NAME);
      return reply.includes(`127.0.0.1:${replica.port}`) && /master-link-status\r\n\$2\r\nok/.test(reply);
    },
    5000,
    "Sentinel knows the replica with its link to the master up",
    50,
  );
}
