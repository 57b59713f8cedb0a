"use strict";
/**
 * A worker: one player's bot behind HTTP. `POST /turn` with the JSON view → `{status, action?,
 * reason?, ms}` (always 200 when the request was well formed: a stopped or slow bot is a game
 * fact, not an HTTP failure); `GET /healthz` → `{ok, player, sandbox, reason?}`. Nothing else.
 * It serves on a socket it is given (`{fd}`: the supervisor's, worker-main.ts) or one it opens.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { SandboxState, TurnResult } from "./sandbox/sandbox";

/** What answers the turns: the bot's sandbox, or the supervisor's record of why it is gone. */
export interface TurnEngine {
  readonly state: SandboxState;
  readonly reason: string | undefined;
  readonly counters: Readonly<Record<string, number>>;
  start(): Promise<void>;
  turn(view: string): Promise<TurnResult>;
  stop(reason: string): void;
}

export interface WorkerServerOptions {
  readonly player: string;
  readonly engine: TurnEngine;
  readonly maxViewBytes: number;
  readonly listen: { readonly fd: number } | { readonly host: string; readonly port: number };
}

export class WorkerServer {
  readonly sandbox: TurnEngine;
  private readonly server: http.Server;

  constructor(private readonly options: WorkerServerOptions) {
    this.sandbox = options.engine;
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 5_000;
    this.server.requestTimeout = 5_000;
  }

  /** Loads the bot (a bot refused at load still serves: its turns answer with the reason), then listens. */
  async start(): Promise<number> {
    await this.sandbox.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      const listen = this.options.listen;
      if ("fd" in listen) this.server.listen({ fd: listen.fd }, resolve);
      else this.server.listen(listen.port, listen.host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.sandbox.stop("the worker was stopped");
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === "GET" && req.url === "/healthz") {
      return reply(res, 200, { ok: true, player: this.options.player, sandbox: this.sandbox.state, ...(this.sandbox.reason === undefined ? {} : { reason: this.sandbox.reason }), turns: this.sandbox.counters });
    }
    if (req.method !== "POST" || req.url !== "/turn") return reply(res, 404, { error: "NOT_FOUND", reason: "POST /turn or GET /healthz" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.options.maxViewBytes) {
        reply(res, 413, { error: "TOO_LARGE", reason: `views are at most ${this.options.maxViewBytes} bytes` });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      const view = Buffer.concat(chunks).toString("utf8");
      try {
        JSON.parse(view);
      } catch {
        return reply(res, 400, { error: "BAD_REQUEST", reason: "the view is not JSON" });
      }
      this.sandbox.turn(view).then(
        (result) => reply(res, 200, result),
        (error: unknown) => reply(res, 500, { error: "INTERNAL", reason: String(error) }),
      );
    });
  }
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
