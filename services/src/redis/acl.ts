/**
 * Redis ACL users, one per role, each allowed only the commands and the keys and channels its code
 * uses. One pure function feeds the cluster (the users in the Redis Secret, rendered by infra) and
 * the local cluster (`npm start`'s private redis-server), so what is tested here is what ships.
 *
 * What each role touches (the modules named are the only Redis users of that role):
 *   gate, connector, game  discovery (lease + watch scripts, the "changed" channel): `{ns}:discovery:*`
 *   connector              one session per uid and kick orders (session/uid-directory): `{ns}:uid:*`, `{ns}:kick:*`;
 *                          resumable bindings (session/binding-store): `{ns}:bindings:*`
 *   game                   its ready-worker table, read only (workers/worker-directory): `pomona:{ns}:workers:*`;
 *                          the viewer parts its game's replicas share (game/viewer-relay): channel `{ns}:viewer:*`
 *   creator                desired games and players (game-creator/desired-store): `pomona:{ns}:creator:*`;
 *                          the ready-worker tables it publishes: `pomona:{ns}:workers:*`
 * Scripts (EVAL) run with their caller's rights: every command and key inside them is checked too.
 */
import { createHash } from "node:crypto";
import { discoveryKeys } from "../discovery/keys";
import { viewerChannel } from "../game/viewer-channel";
import { workerKeys } from "../workers/keys";

export const REDIS_ROLES = ["gate", "connector", "game", "creator"] as const;
export type RedisRole = (typeof REDIS_ROLES)[number];

export interface RoleAccess {
  readonly username: string;
  readonly commands: readonly string[];
  /** Key patterns the role may read and write. */
  readonly keys: readonly string[];
  /** Key patterns the role may only read (`%R~`). */
  readonly readKeys: readonly string[];
  readonly channels: readonly string[];
}

/** What every ioredis connection sends: its name (CLIENT SETNAME), the ready check (INFO), keep-alive PING. */
const CONNECTION = ["ping", "info", "client|setname"];
const DISCOVERY = ["eval", "time", "get", "set", "del", "zadd", "zrem", "zrange", "zremrangebyscore", "publish", "subscribe", "unsubscribe"];

export const redisUsername = (role: RedisRole): string => `pomona-${role}`;

/** Redis glob characters in a namespace are matched literally. */
const literal = (text: string): string => text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);

export function roleAccess(role: RedisRole, namespace: string): RoleAccess {
  const ns = literal(namespace);
  const discovery = discoveryKeys(ns);
  const workers = workerKeys(ns, "*");
  const tag = `{${ns}}`;
  const discoveryKeysPattern = `${tag}:discovery:*`;
  const base = { username: redisUsername(role), readKeys: [] as string[] };
  switch (role) {
    case "gate":
      return { ...base, commands: [...CONNECTION, ...DISCOVERY], keys: [discoveryKeysPattern], channels: [discovery.changedChannel] };
    case "connector":
      return {
        ...base,
        commands: [...CONNECTION, ...DISCOVERY, "multi", "exec", "hset", "hgetall", "pexpire"],
        keys: [discoveryKeysPattern, `${tag}:uid:*`, `${tag}:bindings:*`],
        channels: [discovery.changedChannel, `${tag}:kick:*`],
      };
    case "game":
      return { ...base, commands: [...CONNECTION, ...DISCOVERY, "hgetall"], keys: [discoveryKeysPattern], readKeys: [workers.endpoints], channels: [discovery.changedChannel, workers.changed, viewerChannel(ns, "*")] };
    case "creator":
      return {
        ...base,
        commands: [...CONNECTION, "eval", "multi", "exec", "hexists", "hlen", "hkeys", "hget", "hgetall", "hset", "hdel", "del", "publish"],
        keys: [`pomona:${tag}:creator:*`, workers.endpoints],
        channels: [workers.changed],
      };
  }
}

/** Redis stores only this digest (`#<sha256>`), so the rule never holds the password. */
export function passwordDigest(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("hex");
}

/** One `user …` line (redis.conf / ACL SETUSER syntax): everything reset first, then only what the role needs. */
export function aclUserRule(role: RedisRole, namespace: string, password: string): string {
  const access = roleAccess(role, namespace);
  return [
    "user",
    access.username,
    "reset",
    "on",
    `#${passwordDigest(password)}`,
    "-@all",
    ...access.commands.map((command) => `+${command}`),
    ...access.keys.map((pattern) => `~${pattern}`),
    ...access.readKeys.map((pattern) => `%R~${pattern}`),
    ...access.channels.map((pattern) => `&${pattern}`),
  ].join(" ");
}

/** The whole users section: the `default` user keeps every right (operators, probes) with its own password, and one user per role. */
export function aclUsersConf(namespace: string, adminPassword: string, passwords: Readonly<Record<RedisRole, string>>): string {
  const lines = [`user default reset on #${passwordDigest(adminPassword)} ~* &* +@all`, ...REDIS_ROLES.map((role) => aclUserRule(role, namespace, passwords[role]))];
  return `${lines.join("\n")}\n`;
}

/** `redis://user:password@host:port` for a role (passwords are URL-escaped). */
export function roleRedisUrl(role: RedisRole, password: string, hostPort: string): string {
  return `redis://${redisUsername(role)}:${encodeURIComponent(password)}@${hostPort}`;
}
