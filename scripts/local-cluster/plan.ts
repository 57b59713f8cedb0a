/**
 * The local cluster as data, pure: which processes run, on which ports, with which environment, and
 * the URLs a player and a script use. `npm start`, the tests and the bots all start from this plan,
 * and the nginx config in it comes from the same generator as the cluster's ConfigMap.
 */
import { createHmac } from "node:crypto";
import { z } from "zod";
import { ConfigError, parseConfig } from "../../services/src/config/validate";
import { gameRoutes } from "../../services/src/game";
import { renderNginxConfig } from "../../services/src/proxy";
import { aclUsersConf, REDIS_ROLES, roleRedisUrl, type RedisRole } from "../../services/src/redis/acl";
import { arena } from "../../services/games/arena/game";
import { chat } from "../../services/games/chat/game";

export const LOCAL_DOMAIN = "localhost";
export const NAMESPACE = "local";
/** The local cluster's gate trusts client-claimed uids: development only, and `npm start` says so. */
export const LOCAL_AUTH_MODE = "trust-uid";

const port = z.number().int().min(1).max(65535);

export const localClusterSchema = z
  .object({
    /** `subdomain`: the gate hands out `connector-N.localhost:<proxyPort>` through nginx; `direct`: the connectors' own ports, no nginx. */
    mode: z.enum(["subdomain", "direct"], { error: 'must be "subdomain" (through nginx) or "direct" (no proxy)' }).default("subdomain"),
    connectors: z.number().int().min(1, "must be at least 1").max(64).default(2),
    /** Arena servers; players see the others of their room on their server, so the demo's default is one. */
    games: z.number().int().min(1, "must be at least 1").max(64).default(1),
    gatePort: port.default(3000),
    /** Connector i listens on connectorPort + i. */
    connectorPort: port.default(3010),
    /** Arena server i (from 1) listens for RPC on gamePort + i - 1. */
    gamePort: port.default(4100),
    /** Arena server i (from 1) serves HTTP (probes, /metrics) on gameHttpPort + i - 1. */
    gameHttpPort: port.default(8100),
    /** The chat lobby server (`chat-1`) the arenas call with `ctx.rpc`: its RPC and HTTP ports. */
    chatPort: port.default(4200),
    chatHttpPort: port.default(8200),
    proxyPort: port.default(8080),
    redisPort: port.default(6390),
    /** The game-creator (games created at runtime through its API, viewer routes in nginx); `npm start` turns it on. */
    gameCreator: z.boolean().default(false),
    creatorPort: port.default(8090),
    /** Games the game-creator starts once it is up, as if created through its API (`npm start`: `duo`, an arena of two replicas whose viewer sees both). */
    startGames: z
      .array(z.object({ id: z.string(), type: z.string(), replicas: z.number().int().min(1).max(16) }).strict())
      .max(8)
      .default([]),
    /** The game-creator API's bearer token; generated per run when absent. */
    creatorToken: z.string().min(16, "must be at least 16 characters").optional(),
    heartbeatSec: z.number().int().min(1).max(300).default(10),
    tickHz: z.number().positive().max(200).default(20),
    /** SIGTERM drain of connectors and game servers (Ctrl-C stops at once instead). */
    drainTimeoutMs: z.number().int().min(0).max(600_000).default(20_000),
    drainSpreadMs: z.number().int().min(0).max(600_000).default(3_000),
    /** Bytes a connector buffers for a client that stopped reading before dropping it; absent: the connector's default (1 MiB). */
    connectorMaxBackpressureBytes: z.number().int().min(16_384).optional(),
    /** Shared by the gate and the connectors (connect and resume tokens); generated per run when absent. */
    tokenSecret: z.string().min(32, "must be at least 32 characters"),
    redisPassword: z.string().min(16, "must be at least 16 characters"),
    /** Where redis, nginx and the demo build live for this run. */
    workDir: z.string().min(1),
    /** The demo's built files, served by the gate. */
    siteDir: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.startGames.length > 0 && !value.gameCreator) ctx.addIssue({ code: "custom", path: ["startGames"], message: "needs gameCreator: true (the game-creator starts them)" });
    const ranges: Array<[string, number, number]> = [
      ["gatePort", value.gatePort, 1],
      ["connectorPort", value.connectorPort, value.connectors],
      ["gamePort", value.gamePort, value.games],
      ["gameHttpPort", value.gameHttpPort, value.games],
      ["chatPort", value.chatPort, 1],
      ["chatHttpPort", value.chatHttpPort, 1],
      ["redisPort", value.redisPort, 1],
      ...(value.gameCreator ? ([["creatorPort", value.creatorPort, 1]] as Array<[string, number, number]>) : []),
      ...(value.mode === "subdomain" ? ([["proxyPort", value.proxyPort, 1]] as Array<[string, number, number]>) : []),
    ];
    for (const [key, start, count] of ranges) {
      if (start + count - 1 > 65535) ctx.addIssue({ code: "custom", path: [key], message: `${start} + ${count} ports runs past 65535` });
      for (const [other, otherStart, otherCount] of ranges) {
        if (other !== key && start < otherStart + otherCount && otherStart < start + count && key < other) {
          ctx.addIssue({ code: "custom", path: [key], message: `overlaps ${other} (${key} uses ${start}-${start + count - 1}, ${other} ${otherStart}-${otherStart + otherCount - 1}); pick another port` });
        }
      }
    }
  });

export type LocalClusterInput = z.input<typeof localClusterSchema>;
export type LocalClusterOptions = z.output<typeof localClusterSchema>;

/** One server process of the plan: what runs and with which environment. */
export interface PlannedProcess {
  readonly name: string;
  readonly role: "gate" | "connector" | "game" | "game-creator";
  /** Entry point, relative to the repository root. */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
}

export interface ClusterPlan {
  readonly options: LocalClusterOptions;
  /** `url` and `password` are the `default` user's (operators, tests); each role runs as its own ACL user (`users`, `roleUrls`). */
  readonly redis: { readonly port: number; readonly url: string; readonly password: string; readonly users: string; readonly roleUrls: Readonly<Record<RedisRole, string>> };
  readonly processes: readonly PlannedProcess[];
  /** nginx.conf (subdomain mode), rendered by the shared generator. */
  readonly nginxConfig: string | undefined;
  /** The game-creator (local backend), started after nginx; its nginx paths and worker bundle are added at start. */
  readonly gameCreator: PlannedProcess | undefined;
  readonly urls: {
    readonly gate: string;
    readonly demo: string;
    readonly proxy: string | undefined;
    /** What the gate hands out for connector i. */
    readonly connectors: readonly string[];
    /** The game-creator's API (`/games`), when it runs. */
    readonly gameCreator: string | undefined;
  };
}

export const CONNECTOR_MAIN = "services/src/roles/connector-main.ts";
export const GATE_MAIN = "services/src/gate/gate-main.ts";
export const ARENA_MAIN = "services/games/arena/main.ts";
export const CHAT_MAIN = "services/games/chat/main.ts";
export const GAME_CREATOR_MAIN = "services/src/roles/game-creator-main.ts";
/** The include of the games' viewer routes, next to nginx.conf in its prefix. */
export const GAME_ROUTES_FILE = "games.conf";

/** The one route dictionary of the cluster: connectors and game servers must agree on it. */
export function clusterRoutes(): string[] {
  return ["connector.session.ping", "connector.session.resume", ...gameRoutes(arena), ...gameRoutes(chat), "onRebind", "onResume"];
}

/** Validates the options (ConfigError naming the key) and lays the cluster out. */
export function planLocalCluster(input: LocalClusterInput): ClusterPlan {
  const options = parseConfig("localCluster", localClusterSchema, input);
  const redisUrl = `redis://:${encodeURIComponent(options.redisPassword)}@127.0.0.1:${options.redisPort}`;
  const rolePasswords = localRolePasswords(options.redisPassword);
  const roleUrls = Object.fromEntries(REDIS_ROLES.map((role) => [role, roleRedisUrl(role, rolePasswords[role], `127.0.0.1:${options.redisPort}`)])) as Record<RedisRole, string>;
  const gateUrl = `http://${LOCAL_DOMAIN}:${options.gatePort}`;
  // Browsers load the demo from either spelling of the gate's address.
  const origins = [gateUrl, `http://127.0.0.1:${options.gatePort}`].join(",");
  const common = {
    POMONA_NAMESPACE: NAMESPACE,
    HOST: "127.0.0.1",
    ADVERTISE_HOST: "127.0.0.1",
    HEARTBEAT_SEC: String(options.heartbeatSec),
  };
  // Only connectors and game servers encode routes; the gate never reads the dictionary.
  const routes = { POMONA_ROUTES: clusterRoutes().join(",") };
  const connectorPorts = Array.from({ length: options.connectors }, (_, i) => options.connectorPort + i);
  const connectors: PlannedProcess[] = connectorPorts.map((connectorPort, i) => ({
    name: `connector-${i}`,
    role: "connector",
    script: CONNECTOR_MAIN,
    port: connectorPort,
    env: {
      ...common,
      ...routes,
      REDIS_URL: roleUrls.connector,
      SERVER_ID: `connector-${i}`,
      PORT: String(connectorPort),
      // The arena's protobuf bodies, for clients that ask for them (JSON stays the default).
      POMONA_PROTOS: JSON.stringify(arena.protos),
      TOKEN_SECRETS: options.tokenSecret,
      ALLOWED_ORIGINS: origins,
      DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs),
      DRAIN_SPREAD_MS: String(options.drainSpreadMs),
      ...(options.connectorMaxBackpressureBytes === undefined ? {} : { MAX_BACKPRESSURE_BYTES: String(options.connectorMaxBackpressureBytes) }),
    },
  }));
  const games: PlannedProcess[] = Array.from({ length: options.games }, (_, i) => ({
    name: `arena-${i + 1}`,
    role: "game",
    script: ARENA_MAIN,
    port: options.gamePort + i,
    env: {
      ...common,
      ...routes,
      REDIS_URL: roleUrls.game,
      SERVER_ID: `arena-${i + 1}`,
      PORT: String(options.gamePort + i),
      HTTP_PORT: String(options.gameHttpPort + i),
      TICK_HZ: String(options.tickHz),
      DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs),
    },
  }));
  const chatServer: PlannedProcess = {
    name: "chat-1",
    role: "game",
    script: CHAT_MAIN,
    port: options.chatPort,
    env: {
      ...common,
      ...routes,
      REDIS_URL: roleUrls.game,
      SERVER_ID: "chat-1",
      PORT: String(options.chatPort),
      HTTP_PORT: String(options.chatHttpPort),
      DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs),
    },
  };
  const frontDoor: Record<string, string> =
    options.mode === "subdomain" ? { FRONT_DOOR: "subdomain", DOMAIN: LOCAL_DOMAIN, PUBLIC_PORT: String(options.proxyPort), PUBLIC_TLS: "false" } : { FRONT_DOOR: "direct" };
  const gate: PlannedProcess = {
    name: "gate",
    role: "gate",
    script: GATE_MAIN,
    port: options.gatePort,
    env: {
      ...common,
      REDIS_URL: roleUrls.gate,
      GATE_ID: "gate-0",
      PORT: String(options.gatePort),
      TOKEN_SECRETS: options.tokenSecret,
      // A development cluster: players name themselves (`?uid=`), as the demo and the bots do.
      AUTH_MODE: LOCAL_AUTH_MODE,
      // Every local player, bot and browser comes from 127.0.0.1: one address's limit must fit `npm run bots -- --clients 500` and the chaos suite's login storms.
      RATE_LIMIT_PER_SEC: "2000",
      RATE_LIMIT_BURST: "10000",
      ALLOWED_ORIGINS: origins,
      ...frontDoor,
      ...(options.siteDir === undefined ? {} : { SITE_DIR: options.siteDir }),
    },
  };
  const nginxConfig =
    options.mode === "subdomain"
      ? renderNginxConfig({
          mode: "local",
          domain: LOCAL_DOMAIN,
          connectors: options.connectors,
          connectorPorts,
          listenPort: options.proxyPort,
          heartbeatSec: options.heartbeatSec,
          paths: { pid: "nginx.pid", errorLog: "stderr", errorLogLevel: "warn", accessLog: "off", tempDir: "." },
          ...(options.gameCreator ? { gameRoutesInclude: GAME_ROUTES_FILE } : {}),
        })
      : undefined;
  if (options.gameCreator && options.creatorToken === undefined) throw new ConfigError("localCluster", ["localCluster.creatorToken: is required with gameCreator (the API's bearer token)"]);
  const gameCreator: PlannedProcess | undefined = options.gameCreator
    ? {
        name: "game-creator",
        role: "game-creator",
        script: GAME_CREATOR_MAIN,
        port: options.creatorPort,
        env: {
          REDIS_URL: roleUrls.creator,
          GAME_REDIS_URL: roleUrls.game,
          POMONA_NAMESPACE: NAMESPACE,
          POMONA_ROUTES: routes.POMONA_ROUTES,
          BACKEND: "local",
          HOST: "127.0.0.1",
          PORT: String(options.creatorPort),
          CREATOR_TOKEN: options.creatorToken!,
          ...(options.mode === "subdomain" ? { PROXY_URL: `http://127.0.0.1:${options.proxyPort}` } : {}),
        },
      }
    : undefined;
  const connectorUrls = connectorPorts.map((connectorPort, i) =>
    options.mode === "subdomain" ? `ws://connector-${i}.${LOCAL_DOMAIN}:${options.proxyPort}/` : `ws://127.0.0.1:${connectorPort}/`,
  );
  return {
    options,
    redis: { port: options.redisPort, url: redisUrl, password: options.redisPassword, users: aclUsersConf(NAMESPACE, options.redisPassword, rolePasswords), roleUrls },
    // Games first: connectors route to them, the gate hands out connectors.
    processes: [...games, chatServer, ...connectors, gate],
    nginxConfig,
    gameCreator,
    urls: {
      gate: gateUrl,
      demo: `${gateUrl}/`,
      proxy: options.mode === "subdomain" ? `http://127.0.0.1:${options.proxyPort}` : undefined,
      connectors: connectorUrls,
      gameCreator: gameCreator === undefined ? undefined : `http://127.0.0.1:${options.creatorPort}`,
    },
  };
}

/** Each role's password, derived from the run's Redis password (one secret to generate, one per role to hold). */
function localRolePasswords(redisPassword: string): Record<RedisRole, string> {
  return Object.fromEntries(REDIS_ROLES.map((role) => [role, createHmac("sha256", redisPassword).update(`redis-role:${role}`).digest("base64url")])) as Record<RedisRole, string>;
}
