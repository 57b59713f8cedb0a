/**
 * A private redis-server for one test suite: free loopback port, its own temp dir,
 * no persistence unless asked. Every suite that needs Redis starts its own and stops it.
 * The same class runs a TLS-only server, a replica, or a Sentinel (`redis-server <conf> --sentinel`).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { findBinary } from "../../scripts/local-cluster/redis";
import { freePort } from "./ports";

export interface RedisServerOptions {
  /** Require this password (`requirepass`). */
  password?: string;
  /** Keep an append-only file in the temp dir so a restart keeps the data. */
  persistence?: boolean;
  /** Fixed port; a free one is chosen otherwise. */
  port?: number;
  /** How long to wait for "ready" before failing. */
  startTimeoutMs?: number;
  /** TLS only (`--port 0 --tls-port`), with a throwaway CA and server certificate made by openssl in the temp dir. */
  tls?: boolean | { requireClientCertificates?: boolean };
  /** Start as a replica of this (plaintext) server, with `masterauth` if it has a password. */
  replicaOf?: RedisServer;
  /** Run as a Sentinel monitoring a master; `password` then becomes the Sentinel's own `requirepass`. */
  sentinel?: SentinelOptions;
}

export interface SentinelOptions {
  master: RedisServer;
  /** The name clients ask for (`sentinel monitor <masterName> …`). */
  masterName: string;
  /** `down-after-milliseconds`: how long the master may be silent before it is considered down. */
  downAfterMs?: number;
  /** `failover-timeout`, in ms. */
  failoverTimeoutMs?: number;
}

/** PEM contents and file paths of a throwaway PKI: one CA, a server certificate for 127.0.0.1/localhost, a client certificate. */
export interface TestCertificates {
  ca: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCert: string;
  clientKey: string;
}

export class RedisServerMissingError extends Error {
  constructor() {
    super(
      "redis-server is not installed or not on PATH. Install it with: " +
        "`sudo apt-get update && sudo apt-get install -y redis-server` (or run `bash .ci/run`, which installs it).",
    );
    this.name = "RedisServerMissingError";
  }
}

/** Finds an executable on PATH (or the usual system directories), as the local cluster does. */
export const findOnPath = findBinary;

export class OpensslMissingError extends Error {
  constructor() {
    super("openssl is not installed or not on PATH; TLS tests need it to make certificates. Install it with: `sudo apt-get install -y openssl`.");
    this.name = "OpensslMissingError";
  }
}

/** Makes a CA and CA-signed server (SAN 127.0.0.1, localhost) and client certificates in `dir`, valid for a day. */
export function createTestCertificates(dir: string): TestCertificates {
  const openssl = findOnPath("openssl");
  if (!openssl) throw new OpensslMissingError();
  const file = (name: string) => path.join(dir, name);
  const run = (...args: string[]) => execFileSync(openssl, args, { stdio: ["ignore", "ignore", "pipe"] });
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ecKey, "-keyout", file("ca.key"), "-out", file("ca.crt"), "-days", "1", "-subj", "/CN=Pomona test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  const issue = (name: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    run("req", "-new", ...ecKey, "-keyout", file(`${name}.key`), "-out", file(`${name}.csr`), "-subj", `/CN=pomona-test-${name}`);
    run("x509", "-req", "-in", file(`${name}.csr`), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial",
      "-out", file(`${name}.crt`), "-days", "1", "-extfile", file(`${name}.ext`));
  };
  issue("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  issue("client", "extendedKeyUsage=clientAuth\n");
  return {
    ca: readFileSync(file("ca.crt"), "utf8"),
    caFile: file("ca.crt"),
    certFile: file("server.crt"),
    keyFile: file("server.key"),
    clientCert: readFileSync(file("client.crt"), "utf8"),
    clientKey: readFileSync(file("client.key"), "utf8"),
  };
}

export function redisServerBinary(): string {
  const binary = findOnPath("redis-server");
  if (!binary) throw new RedisServerMissingError();
  return binary;
}

/** Where the RESP2 reply starting at `start` ends, or -1 while it has not fully arrived (large replies come in several chunks). */
function respReplyEnd(buffer: Buffer, start: number): number {
  const lineEnd = buffer.indexOf("\r\n", start);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buffer[start]!);
  const count = Number(buffer.toString("latin1", start + 1, lineEnd));
  let end = lineEnd + 2;
  if (type === "$") return count < 0 ? end : end + count + 2 <= buffer.length ? end + count + 2 : -1;
  if (type === "*") {
    for (let i = 0; i < count && end >= 0; i++) end = respReplyEnd(buffer, end);
  }
  return end;
}

export class RedisServer {
  readonly host = "127.0.0.1";
  private child: ChildProcess | undefined;
  private readonly dir: string;
  /** Set for a TLS server: the CA to trust and a client certificate it accepts. */
  readonly certificates: TestCertificates | undefined;

  private constructor(
    /** The TLS port for a TLS server, the Sentinel port for a Sentinel. */
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    if (options.tls && (options.replicaOf || options.sentinel)) throw new Error("this harness runs TLS only on a standalone master");
    this.dir = mkdtempSync(path.join(os.tmpdir(), "pomona-redis-"));
    try {
      this.certificates = options.tls ? createTestCertificates(this.dir) : undefined;
    } catch (error) {
      rmSync(this.dir, { recursive: true, force: true });
      throw error;
    }
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    try {
      await server.launch();
    } catch (error) {
      await server.dispose();
      throw error;
    }
    return server;
  }

  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : "";
    return `${this.options.tls ? "rediss" : "redis"}://${auth}${this.host}:${this.port}`;
  }

  get password(): string | undefined {
    return this.options.password;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts redis-server again on the same port (after `stop()` or `kill()`). Data is gone unless `persistence`. */
  async launch(): Promise<void> {
    if (this.child) throw new Error(`redis-server already running on port ${this.port}`);
    const args = this.options.sentinel ? [this.sentinelConfigFile(this.options.sentinel), "--sentinel"] : this.serverArgs();
    const child = spawn(redisServerBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    this.child = child;
    child.once("exit", () => {
      if (this.child === child) this.child = undefined;
    });
    try {
      await this.waitUntilReady(this.options.startTimeoutMs ?? 5000);
    } catch (error) {
      this.child = undefined;
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${this.port} did not become ready: ${(error as Error).message}\n${output}`);
    }
  }

  /** Graceful stop (SIGTERM) and wait for exit. */
  async stop(): Promise<void> {
    await this.signalAndWait("SIGTERM");
  }

  /** Hard kill, as a crashed pod: no shutdown, no save. */
  async kill(): Promise<void> {
    await this.signalAndWait("SIGKILL");
  }

  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  /**
   * Sends one command over a raw RESP connection (no client library), so tests can poke Redis independently of the code under test.
   * A TLS server is reached over TLS, trusting its CA and presenting the client certificate.
   */
  async command(...args: string[]): Promise<string> {
    const full = this.options.password ? [["AUTH", this.options.password], args] : [args];
    const payload = full
      .map((cmd) => `*${cmd.length}\r\n` + cmd.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(""))
      .join("");
    return new Promise((resolve, reject) => {
      const certificates = this.certificates;
      const socket = certificates
        ? tls.connect({ host: this.host, port: this.port, ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey })
        : net.connect(this.port, this.host);
      let received = Buffer.alloc(0);
      socket.setTimeout(2000, () => socket.destroy(new Error("redis command timed out")));
      socket.on("error", reject);
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const ends: number[] = [];
        while (ends.length < full.length) {
          const end = respReplyEnd(received, ends.at(-1) ?? 0);
          if (end < 0) return;
          ends.push(end);
        }
        socket.end();
        // The raw reply text of the command, without the AUTH reply before it.
        resolve(received.toString("utf8", ends.at(-2) ?? 0, ends.at(-1)).trim());
      });
      socket.write(payload);
    });
  }

  /** Stops the server (if running) and removes its temp dir. */
  async dispose(): Promise<void> {
    if (this.child) {
      this.resume();
      await this.kill();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serverArgs(): string[] {
    const args = [
      ...(this.certificates ? ["--port", "0", "--tls-port", String(this.port)] : ["--port", String(this.port)]),
      "--bind", this.host,
      "--dir", this.dir,
      "--save", "",
      "--appendonly", this.options.persistence ? "yes" : "no",
      "--daemonize", "no",
      "--loglevel", "warning",
      "--protected-mode", "no",
      // Redis 7 waits 5 s before a diskless full sync to batch replicas; a test replica should sync at once.
      "--repl-diskless-sync-delay", "0",
    ];
    if (this.options.password) args.push("--requirepass", this.options.password);
    if (this.certificates) {
      const { tls: tlsOption } = this.options;
      const clientCertificates = typeof tlsOption === "object" && tlsOption.requireClientCertificates === true;
      args.push(
        "--tls-cert-file", this.certificates.certFile,
        "--tls-key-file", this.certificates.keyFile,
        "--tls-ca-cert-file", this.certificates.caFile,
        "--tls-auth-clients", clientCertificates ? "yes" : "no",
      );
    }
    const master = this.options.replicaOf;
    if (master) {
      args.push("--replicaof", master.host, String(master.port));
      if (master.password) args.push("--masterauth", master.password);
    }
    return args;
  }

  /** Written once: Sentinel rewrites its own config (known replicas, current master), and a relaunch keeps that state. */
  private sentinelConfigFile(sentinel: SentinelOptions): string {
    const file = path.join(this.dir, "sentinel.conf");
    if (existsSync(file)) return file;
    const { master, masterName } = sentinel;
    const lines = [
      `port ${this.port}`,
      `bind ${this.host}`,
      `dir ${this.dir}`,
      "daemonize no",
      "loglevel warning",
      "protected-mode no",
      ...(this.options.password ? [`requirepass ${this.options.password}`] : []),
      `sentinel monitor ${masterName} ${master.host} ${master.port} 1`,
      `sentinel down-after-milliseconds ${masterName} ${sentinel.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${masterName} ${sentinel.failoverTimeoutMs ?? 5000}`,
      ...(master.password ? [`sentinel auth-pass ${masterName} ${master.password}`] : []),
    ];
    writeFileSync(file, lines.join("\n") + "\n");
    return file;
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (signal !== "SIGKILL") child.kill("SIGCONT");
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.child) throw new Error("redis-server exited during start-up");
      try {
        const pong = await this.command("PING");
        if (pong.includes("PONG")) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`timeout after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
