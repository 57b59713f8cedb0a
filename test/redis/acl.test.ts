/**
 * The per-role Redis ACL users (services/src/redis/acl.ts) on a real redis-server started from the
 * same config lines the local cluster writes: each role's real code does its job as its user, and
 * each user is refused what an attacker holding that role's password would try next.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type Redis from "ioredis";
import { ServiceDiscovery } from "../../services/src/discovery";
import { DesiredStore } from "../../services/src/game-creator/desired-store";
import { playerSpec } from "../../services/src/game-creator/game-spec";
import { createRedisClient } from "../../services/src/redis";
import { aclUserRule, aclUsersConf, REDIS_ROLES, roleRedisUrl, type RedisRole } from "../../services/src/redis/acl";
import { viewerChannel } from "../../services/src/game/viewer-channel";
import { Session } from "../../services/src/session";
import { BindingStore } from "../../services/src/session/binding-store";
import { UidDirectory } from "../../services/src/session/uid-directory";
import { WorkerDirectory } from "../../services/src/workers/worker-directory";
import type { ManagedProcess } from "../../scripts/local-cluster/processes";
import { startRedis } from "../../scripts/local-cluster/redis";
import { freePort } from "../helpers/ports";
import { waitUntil } from "../helpers/wait";

const NS = "acl";
const ADMIN = "admin-password-of-the-test-run";
const PASSWORDS: Record<RedisRole, string> = { gate: "gate-pw-0123456789", connector: "connector-pw-0123456789", game: "game-pw-0123456789", creator: "creator-pw-0123456789" };

describe("Redis ACL users per role (real redis-server)", function () {
  this.timeout(30_000);
  let server: ManagedProcess;
  let port: number;
  let workDir: string;
  const clients: Redis[] = [];
  const discoveries: ServiceDiscovery[] = [];

  const url = (role: RedisRole) => roleRedisUrl(role, PASSWORDS[role], `127.0.0.1:${port}`);
  async function client(role: RedisRole | "admin"): Promise<Redis> {
    const redis = createRedisClient({ url: role === "admin" ? `redis://:${ADMIN}@127.0.0.1:${port}` : url(role), connectionName: `acl-test-${role}`, commandTimeoutMs: 2_000 });
    clients.push(redis);
    await redis.connect();
    return redis;
  }
  /** The error Redis answers, or "ok". */
  const attempt = (run: () => Promise<unknown>): Promise<string> => run().then(() => "ok", (error: Error) => error.message);
  /** Refused by ACL: directly (NOPERM) or inside a script (the script's error says the user may not). */
  const NOPERM = /NOPERM|user executing the script can't/;

  before(async function () {
    port = await freePort();
    workDir = mkdtempSync(path.join(os.tmpdir(), "pomona-acl-"));
    server = await startRedis({ port, password: ADMIN, workDir, users: aclUsersConf(NS, ADMIN, PASSWORDS), log: null });
  });

  after(async function () {
    await Promise.all(discoveries.map((discovery) => discovery.stop().catch(() => undefined)));
    for (const redis of clients) redis.disconnect();
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("loads every role's user from the config file, with only a digest of its password", async function () {
    const admin = await client("admin");
    const users = (await admin.call("ACL", "USERS")) as string[];
    assert.deepEqual(users.sort(), ["default", "pomona-connector", "pomona-creator", "pomona-game", "pomona-gate"]);
    for (const role of REDIS_ROLES) assert.doesNotMatch(aclUserRule(role, NS, PASSWORDS[role]), new RegExp(PASSWORDS[role]), `${role}'s rule holds no password`);
    const errors: string[] = [];
    const wrong = createRedisClient({ url: roleRedisUrl("gate", "not-the-password", `127.0.0.1:${port}`), commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 }, (error) => errors.push(error.message));
    clients.push(wrong);
    void wrong.connect().catch(() => undefined);
    await waitUntil(() => errors.some((message) => /WRONGPASS/.test(message)), 5_000, "WRONGPASS for a wrong password");
  });

  it("gate, connector and game register and watch discovery as their users; the game reads its worker table, the creator writes it; a game's replicas share viewer parts", async function () {
    for (const [role, type] of [
      ["gate", "gate"],
      ["connector", "connector"],
      ["game", "arena"],
    ] as const) {
      const discovery = new ServiceDiscovery({ redis: { url: url(role) }, namespace: NS, resyncIntervalMs: 100 }, { id: `${role}-1`, type, host: "127.0.0.1", port: 4000 });
      discoveries.push(discovery);
      await discovery.start();
    }
    await waitUntil(() => discoveries.every((discovery) => discovery.members().length === 3), 5_000, "every role sees the three members");
    await discoveries[0].stop();
    await waitUntil(() => discoveries[1].members().length === 2, 5_000, "the gate's deregistration reaches the connector");

    const creator = new DesiredStore(await client("creator"), NS, { maxGames: 4, maxPlayersPerGame: 2, maxWorkers: 4 });
    assert.equal(await creator.createGame({ id: "g1", type: "grid", replicas: 1, settings: {}, createdAtMs: 1 }), "created");
    assert.equal(await creator.putPlayer("g1", playerSpec("ann", "function turn(){}", 2)), "stored");
    assert.deepEqual((await creator.listPlayers("g1")).map((player) => player.player), ["ann"]);
    const directory = new WorkerDirectory({ redis: await client("game"), subscriber: await client("game"), namespace: NS, gameId: "g1", refreshMs: 60_000 });
    await directory.start();
    await creator.publishWorkers("g1", new Map([["ann", "http://10.0.0.9:8080"]]));
    await waitUntil(() => directory.current.get("ann") === "http://10.0.0.9:8080", 5_000, "the game got the table through the change hint");
    directory.stop();
    assert.equal(await creator.deleteGame("g1"), true);

    // The replicas of a game share viewer parts on its channel (game/viewer-relay).
    const parts: string[] = [];
    const replica = await client("game");
    replica.on("message", (_channel: string, part: string) => parts.push(part));
    await replica.subscribe(viewerChannel(NS, "g1"));
    assert.equal(await (await client("game")).publish(viewerChannel(NS, "g1"), '{"server":"g1-2"}'), 1);
    await waitUntil(() => parts.length === 1, 5_000, "the part reached the other replica");
  });

  it("the connector claims uids (the previous holder is kicked on its channel) and saves and loads bindings", async function () {
    const redis = await client("connector");
    const kicks: string[] = [];
    const first = new UidDirectory(redis, await client("connector"), { namespace: NS, connectorId: "connector-0" }, (order) => kicks.push(order.sessionId));
    const second = new UidDirectory(redis, await client("connector"), { namespace: NS, connectorId: "connector-1" }, () => undefined);
    await first.start();
    await second.start();
    assert.deepEqual(await first.claim("alice", "s1"), {});
    assert.equal((await second.claim("alice", "s2")).previous?.sessionId, "s1");
    await waitUntil(() => kicks.includes("s1"), 5_000, "the kick order reached connector-0");
    const store = new BindingStore(redis, { namespace: NS, ttlMs: 60_000 });
    const session = new Session("s2", "connector-1");
    session.bind("alice");
    session.backends.set("arena", { serverId: "arena-1", incarnation: "i1" });
    store.save(session);
    await waitUntil(() => store.stats.saved === 1, 5_000, "saved");
    assert.deepEqual(Object.fromEntries(await store.load({ uid: "alice", id: "s3" })), { arena: { serverId: "arena-1", incarnation: "i1" } });
    await first.stop();
    await second.stop();
  });

  it("the gate cannot flush, reconfigure, read sessions, write the creator's or the workers' keys, or forge viewer parts", async function () {
    const gate = await client("gate");
    for (const [what, run] of [
      ["FLUSHALL", () => gate.flushall()],
      ["CONFIG SET", () => gate.config("SET", "requirepass", "")],
      ["ACL SETUSER", () => gate.call("ACL", "SETUSER", "pomona-gate", "+@all")],
      ["KEYS *", () => gate.keys("*")],
      ["write the creator's games", () => gate.call("HSET", `pomona:{${NS}}:creator:games`, "evil", "{}")],
      ["SET on the creator's key", () => gate.set(`pomona:{${NS}}:creator:games`, "x")],
      ["read a uid claim", () => gate.get(`{${NS}}:uid:alice`)],
      ["publish a kick order", () => gate.publish(`{${NS}}:kick:connector-0`, "{}")],
      ["forge a game's viewer part", () => gate.publish(viewerChannel(NS, "g1"), "{}")],
      ["a script that flushes", () => gate.eval("return redis.call('FLUSHALL')", 0)],
      ["a script that writes outside its keys", () => gate.eval("return redis.call('SET', KEYS[1], 'x')", 1, `pomona:{${NS}}:workers:g1`)],
      ["another namespace's discovery", () => gate.set("{other}:discovery:member:x", "{}")],
    ] as const) {
      assert.match(await attempt(run), NOPERM, what);
    }
  });

  it("the connector cannot touch the creator's or workers' keys; the game cannot write its worker table or read sessions; the creator cannot forge a discovery member; only the game role publishes on viewer channels, and only those", async function () {
    const connector = await client("connector");
    const game = await client("game");
    const creator = await client("creator");
    const refusals: Array<[string, () => Promise<unknown>]> = [
      ["connector: FLUSHDB", () => connector.flushdb()],
      ["connector: write the creator's games", () => connector.hset(`pomona:{${NS}}:creator:games`, "evil", "{}")],
      ["connector: point a worker at itself", () => connector.hset(`pomona:{${NS}}:workers:g1`, "ann", '{"url":"http://evil"}')],
      ["game: write its worker table", () => game.hset(`pomona:{${NS}}:workers:g1`, "ann", '{"url":"http://evil"}')],
      ["game: read a uid claim", () => game.get(`{${NS}}:uid:alice`)],
      ["game: read the creator's desired state", () => game.hgetall(`pomona:{${NS}}:creator:games`)],
      ["game: publish a kick order", () => game.publish(`{${NS}}:kick:connector-0`, "{}")],
      ["game: SHUTDOWN", () => game.call("SHUTDOWN", "NOSAVE")],
      ["game: publish on a channel next to the viewer parts", () => game.publish(`{${NS}}:viewer`, "{}")],
      ["game: publish viewer parts of another namespace", () => game.publish("{other}:viewer:g1", "{}")],
      ["game: subscribe to every channel by pattern", () => game.psubscribe(`{${NS}}:*`)],
      ["connector: forge a game's viewer part", () => connector.publish(viewerChannel(NS, "g1"), "{}")],
      ["creator: forge a game's viewer part", () => creator.publish(viewerChannel(NS, "g1"), "{}")],
      ["creator: forge a connector in discovery", () => creator.set(`{${NS}}:discovery:member:connector-9`, "{}")],
      ["creator: add itself to the discovery index", () => creator.eval("return redis.call('ZADD', KEYS[1], 1, 'x')", 1, `{${NS}}:discovery:index`)],
      ["creator: read bindings", () => creator.hgetall(`{${NS}}:bindings:uid:alice`)],
      ["creator: FLUSHALL", () => creator.flushall()],
      ["creator: list every connection", () => creator.call("CLIENT", "LIST")],
    ];
    for (const [what, run] of refusals) assert.match(await attempt(run), NOPERM, what);
    const admin = await client("admin");
    assert.equal(await admin.exists(`{${NS}}:discovery:member:connector-9`), 0, "no forged member was written");
  });
});
