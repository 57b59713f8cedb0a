/**
 * The local cluster's private redis-server: loopback only, no persistence, its files in the run's
 * work directory. Its config file (mode 0600, never a command line) holds the `default` user's
 * password and, when given, the per-role ACL users (services/src/redis/acl.ts, as in Kubernetes).
 * Missing binary → one line that says how to install it.
 */
import { accessSync, constants, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { ManagedProcess } from "./processes";

/** The sbin directories a non-root PATH often lacks (nginx lives in /usr/sbin). */
const SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

export class MissingBinaryError extends Error {
  constructor(binary: string, debianPackage: string) {
    super(`${binary} is not installed: install it with \`sudo apt-get update && sudo apt-get install -y ${debianPackage}\` (or run \`node scripts/ensure-deps.mjs\` as root)`);
    this.name = "MissingBinaryError";
  }
}

/** The binary's path on PATH (read now, not at load) or in the sbin directories, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), ...SBIN]) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface LocalRedisOptions {
  readonly port: number;
  /** The `default` user's password (operators, readiness pings). */
  readonly password: string;
  readonly workDir: string;
  /** `user …` lines (aclUsersConf) replacing the plain `requirepass`. */
  readonly users?: string;
  readonly log?: ((line: string) => void) | null | undefined;
}

export async function startRedis(options: LocalRedisOptions): Promise<ManagedProcess> {
  const binary = findBinary("redis-server");
  if (binary === undefined) throw new MissingBinaryError("redis-server", "redis-server");
  const conf = path.join(options.workDir, "redis.conf");
  const lines = [`port ${options.port}`, "bind 127.0.0.1", 'save ""', "appendonly no", `dir ${JSON.stringify(options.workDir)}`, "protected-mode yes", "loglevel warning"];
  writeFileSync(conf, `${[...lines, options.users ?? `requirepass ${options.password}`].join("\n")}\n`, { mode: 0o600 });
  const redis = ManagedProcess.start({ name: "redis", command: binary, args: [conf], log: options.log });
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(options.port, options.password))) {
    if (redis.exited || Date.now() > deadline) {
      await redis.kill();
      throw new Error(`redis-server did not start on 127.0.0.1:${options.port} (is the port taken? use --redis-port):\n${redis.recentOutput}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return redis;
}

/** AUTH + PING over a raw socket: true once the server answers PONG. */
function answersPing(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write(`AUTH ${JSON.stringify(password)}\r\nPING\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("+PONG")) done(true);
      else if (reply.startsWith("-")) done(false);
    });
  });
}
