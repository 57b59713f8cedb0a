/**
 * `/metrics` on a port of its own (METRICS_PORT): in a cluster the public port of a gate or a
 * load-balanced connector is reachable from the internet, and the metrics must not be — only the
 * scraper's namespace may reach this one (NetworkPolicy).
 */
import type { Registry } from "prom-client";
import type { us_listen_socket } from "uWebSockets.js";
import { loadUws } from "../transport";
import { serveMetrics } from "./http";

export class MetricsServer {
  private readonly uws = loadUws();
  private readonly app;
  private listenSocket: us_listen_socket | undefined;

  constructor(
    registry: Registry,
    private readonly host: string,
    private readonly port: number,
  ) {
    this.app = this.uws.App();
    serveMetrics(this.app, registry);
    this.app.any("/*", (res) => {
      res.writeStatus("404 Not Found").end();
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(this.host, this.port, (socket) => {
        if (socket === false) {
          reject(new Error(`metricsPort: cannot listen on ${this.host}:${this.port} (taken?)`));
          return;
        }
        this.listenSocket = socket;
        resolve(this.uws.us_socket_local_port(socket as never));
      });
    });
  }

  close(): void {
    if (this.listenSocket !== undefined) this.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }
}
