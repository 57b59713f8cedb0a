/**
 * `npm start`: the whole Pomona topology on this machine — a private redis-server, arena game
 * servers, connectors, the gate (serving the browser demo) and nginx as the subdomain proxy on the
 * generated config. Prints every URL, then one machine-readable line `READY {json}`; Ctrl-C (or
 * SIGTERM) stops everything it started.
 *
 *   npm start -- --connectors 2 --games 2 --mode subdomain --gate-port 3000 --proxy-port 8080
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseCommandLine } from "../services/src/cli";
import { ConfigError } from "../services/src/config/validate";
import { buildDemoSite } from "./build-demo";
import { startLocalCluster, type LocalCluster } from "./local-cluster/cluster";
import { hasNginx, NGINX_BIN } from "./local-cluster/nginx";
import { LOCAL_AUTH_MODE, localClusterSchema, planLocalCluster, type LocalClusterInput } from "./local-cluster/plan";
import { killQuietly } from "./local-cluster/processes";
import { findBinary, MissingBinaryError } from "./local-cluster/redis";

/** A plan key's default, read from the plan's schema (the one place defaults are set). */
function planDefault(key: keyof typeof localClusterSchema.shape): string {
  return String((localClusterSchema.shape[key] as unknown as { def: { defaultValue: unknown } }).def.defaultValue);
}

const CLI = {
  command: "npm start --",
  summary: "The local cluster: a private redis-server, arena servers, connectors, the gate with the browser demo, nginx as the subdomain proxy and the game-creator. Prints every URL, then `READY {json}`; Ctrl-C stops everything it started (docs/local-cluster.md).",
  flags: {
    connectors: { type: "string", value: "N", help: `connectors (default ${planDefault("connectors")})` },
    games: { type: "string", value: "N", help: `arena game servers (default ${planDefault("games")})` },
    mode: { type: "string", value: "subdomain|direct", help: `subdomain: clients reach connector-N.localhost through nginx; direct: each connector's own port (default ${planDefault("mode")})` },
    "gate-port": { type: "string", value: "P", help: `the gate and demo (default ${planDefault("gatePort")})` },
    "connector-port": { type: "string", value: "P", help: `the first connector; the others follow (default ${planDefault("connectorPort")})` },
    "game-port": { type: "string", value: "P", help: `the first arena server's RPC port (default ${planDefault("gamePort")})` },
    "game-http-port": { type: "string", value: "P", help: `the first arena server's probes and viewer port (default ${planDefault("gameHttpPort")})` },
    "chat-port": { type: "string", value: "P", help: `the chat lobby server chat-1's RPC port (default ${planDefault("chatPort")})` },
    "chat-http-port": { type: "string", value: "P", help: `chat-1's probes and /metrics port (default ${planDefault("chatHttpPort")})` },
    "proxy-port": { type: "string", value: "P", help: `nginx (default ${planDefault("proxyPort")})` },
    "redis-port": { type: "string", value: "P", help: `the private redis-server (default ${planDefault("redisPort")})` },
    "tick-hz": { type: "string", value: "HZ", help: `the arena's tick rate (default ${planDefault("tickHz")})` },
    quiet: { type: "boolean", help: "no server logs" },
    duo: { type: "boolean", help: "also start duo, an arena game of two replicas, through the game-creator: its viewer shows both replicas (its replicas join the arena pool, so players spread over them)" },
  },
  examples: ["npm start", "npm start -- --connectors 3 --games 2 --gate-port 3100", "npm start -- --duo"],
} as const;
const { values } = parseCommandLine(CLI);

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A game of two replicas, so the demo's viewer shows the whole of a replicated game (docs/game-creator.md, "Viewer stream"). */
const TWO_REPLICA_GAME = { id: "duo", type: "arena", replicas: 2 };

/** A flag as a number, or a clear error naming it. */
function numberFlag(name: keyof typeof values): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === "boolean") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError("npm start", [`--${name}: must be a number, got "${raw}"`]);
  return value;
}

async function main(): Promise<void> {
  if (findBinary("redis-server") === undefined) throw new MissingBinaryError("redis-server", "redis-server");
  let mode = values.mode ?? "subdomain";
  if (mode === "subdomain" && !hasNginx()) {
    say(`nginx is not installed (looked for ${NGINX_BIN}): falling back to --mode direct. Install it with \`sudo apt-get install -y nginx\` for connector-N.localhost routing.`);
    mode = "direct";
  }
  const workDir = mkdtempSync(path.join(os.tmpdir(), "pomona-local-"));
  const input: LocalClusterInput = {
    mode: mode as LocalClusterInput["mode"],
    tokenSecret: randomBytes(48).toString("base64url"),
    redisPassword: randomBytes(24).toString("base64url"),
    gameCreator: true,
    creatorToken: randomBytes(24).toString("base64url"),
    startGames: values.duo ? [TWO_REPLICA_GAME] : [],
    workDir,
    siteDir: path.join(workDir, "site"),
  };
  const flags: Array<[keyof typeof values, keyof LocalClusterInput]> = [
    ["connectors", "connectors"],
    ["games", "games"],
    ["gate-port", "gatePort"],
    ["connector-port", "connectorPort"],
    ["game-port", "gamePort"],
    ["game-http-port", "gameHttpPort"],
    ["chat-port", "chatPort"],
    ["chat-http-port", "chatHttpPort"],
    ["proxy-port", "proxyPort"],
    ["redis-port", "redisPort"],
    ["tick-hz", "tickHz"],
  ];
  for (const [flag, key] of flags) {
    const value = numberFlag(flag);
    if (value !== undefined) (input as Record<string, unknown>)[key] = value;
  }
  const plan = planLocalCluster(input);
  await buildDemoSite(plan.options.siteDir);

  let cluster: LocalCluster | undefined;
  let stoppingSinceMs: number | undefined;
  const stop = async (signal: string) => {
    if (stoppingSinceMs !== undefined) {
      // Ctrl-C reaches every process of the group, and npm/tsx relay it once more: only a second
      // Ctrl-C, a moment later, means "stop waiting".
      if (Date.now() - stoppingSinceMs < 1_500) return;
      if (cluster) for (const pid of cluster.pids()) killQuietly(pid);
      process.exit(130);
    }
    stoppingSinceMs = Date.now();
    say(`\n${signal}: stopping the local cluster…`);
    await cluster?.stop();
    rmSync(workDir, { recursive: true, force: true });
    say("stopped; nothing left running.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  say(`Pomona local cluster: ${plan.options.connectors} connector(s), ${plan.options.games} arena server(s) and a chat server, ${plan.options.mode} mode${values.duo ? `; the game-creator starts game ${TWO_REPLICA_GAME.id} (${TWO_REPLICA_GAME.replicas} arena replicas)` : ""}`);
  cluster = await startLocalCluster(plan, {
    ...(values.quiet ? { log: null } : {}),
    onProgress: (what) => say(`  up: ${what}`),
  });
  for (const [name, server] of cluster.servers) {
    void server.exit.then((exit) => {
      if (stoppingSinceMs === undefined) say(`${name} exited unexpectedly (code ${exit.code}, signal ${exit.signal}); the rest keeps running. Ctrl-C stops everything.`);
    });
  }

  const ready = {
    mode: plan.options.mode,
    gate: plan.urls.gate,
    demo: plan.urls.demo,
    entry: `${plan.urls.gate}/entry?uid=<player>`,
    authMode: LOCAL_AUTH_MODE,
    connectors: plan.processes.filter((p) => p.role === "connector").map((p, i) => ({ id: p.name, url: plan.urls.connectors[i], port: p.port })),
    games: plan.processes.filter((p) => p.role === "game").map((p) => ({ id: p.name, rpcPort: p.port, httpPort: Number(p.env.HTTP_PORT) })),
    nginx: plan.urls.proxy ?? null,
    gameCreator: plan.urls.gameCreator ?? null,
    creatorToken: plan.options.creatorToken ?? null,
    startedGames: plan.options.startGames.map((game) => ({ ...game, viewer: `${plan.urls.demo}?view=${game.id}` })),
    redis: `redis://127.0.0.1:${plan.redis.port}`,
    workDir,
    pids: cluster.pids(),
  };
  say("");
  say(`  demo (open in a browser)   ${ready.demo}`);
  say(`  gate entry (HTTP)          ${ready.entry}`);
  say(`  player identity            AUTH_MODE=${LOCAL_AUTH_MODE}: the gate believes any uid a client claims (development only; jwt, webhook or anonymous in a real stack: docs/gate.md#player-identity)`);
  for (const connector of ready.connectors) say(`  ${connector.id.padEnd(26)} ${connector.url}`);
  if (ready.nginx) say(`  nginx subdomain proxy      ${ready.nginx}  (Host connector-N.localhost)`);
  if (ready.gameCreator) {
    say(`  game-creator API           ${ready.gameCreator}/games  (Authorization: Bearer ${ready.creatorToken})`);
    say(`  viewer of a created game   ${ready.demo}?view=<id>  (WebSocket ${plan.urls.proxy ?? "<game HTTP port>"}/game-<id>)`);
    for (const game of ready.startedGames) say(`  ${`game ${game.id} (${game.replicas} replicas)`.padEnd(26)} ${game.viewer}  (its viewer sees every replica's rooms; its servers are arena servers too, so players land on them as well)`);
  }
  say(`  redis                      ${ready.redis}  (each role its own ACL user: pomona-gate, -connector, -game, -creator; REDIS_URL is in each process's environment)`);
  say(`  bots                       npm run bots -- --gate ${plan.urls.gate} --clients 100 --seconds 30`);
  say("");
  say("Ctrl-C stops everything.");
  say(`READY ${JSON.stringify(ready)}`);
}

/** Plan keys as the flags that set them, so an error names what the user typed. */
const FLAG_OF_KEY: Readonly<Record<string, string>> = {
  connectors: "--connectors",
  games: "--games",
  mode: "--mode",
  gatePort: "--gate-port",
  connectorPort: "--connector-port",
  gamePort: "--game-port",
  gameHttpPort: "--game-http-port",
  chatPort: "--chat-port",
  chatHttpPort: "--chat-http-port",
  proxyPort: "--proxy-port",
  redisPort: "--redis-port",
  tickHz: "--tick-hz",
};

main().catch((error: unknown) => {
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof ConfigError) message = message.replace(/localCluster\.(\w+)/g, (whole, key: string) => FLAG_OF_KEY[key] ?? whole);
  console.error(error instanceof ConfigError || error instanceof MissingBinaryError ? message : `npm start failed: ${message}`);
  process.exit(1);
});
