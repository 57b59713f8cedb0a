/**
 * The game server's HTTP port (uWebSockets.js): the probes `GET /healthz` (the event loop answers;
 * never Redis) and `GET /readyz` (running, registered, not draining), `GET /metrics`, and the app
 * other features mount routes on (the browser viewer stream).
 */
import type { Registry } from "prom-client";
import type { TemplatedApp, us_listen_socket } from "uWebSockets.js";
import { serveMetrics } from "../metrics";
import { loadUws, serveProbes, type Uws } from "../transport";

export interface GameHttpOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly serverId: string;
  readonly isReady: () => boolean;
  readonly metrics?: Registry;
}

export class GameHttpServer {
  readonly app: TemplatedApp;
  private readonly uws: Uws = loadUws();
  private listenSocket: us_listen_socket | undefined;

  constructor(private readonly options: GameHttpOptions) {
    const app = this.uws.App();
    serveProbes(app, { server: options.serverId }, () => this.listenSocket !== undefined && options.isReady());
    if (options.metrics !== undefined) serveMetrics(app, options.metrics);
    this.app = app;
  }

  /** Call after mounting every route: uWS matches routes in registration order, and the 404 catch-all goes last. */
  listen(): Promise<number> {
    this.app.any("/*", (res) => {
      res.cork(() => {
        res.writeStatus("404 Not Found").writeHeader("Content-Type", "application/json").end('{"code":404,"message":"not found"}');
      });
    });
    return new Promise((resolve, reject) => {
      this.app.listen(this.options.host, this.options.port, (socket) => {
        if (socket === false) {
          reject(new Error(`game server ${this.options.serverId}: cannot listen for HTTP on ${this.options.host}:${this.options.port} (httpPort)`));
          return;
        }
        this.listenSocket = socket;
        resolve(this.uws.us_socket_local_port(socket as never));
      });
    });
  }

  get port(): number | undefined {
    return this.listenSocket === undefined ? undefined : this.uws.us_socket_local_port(this.listenSocket as never);
  }

  close(): void {
    if (this.listenSocket !== undefined) this.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }
}
