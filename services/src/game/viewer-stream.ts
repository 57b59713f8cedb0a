/**
 * The read-only viewer WebSocket of a game (AI:MMO's "watch the game"): `/game-<id>` on the game
 * server's HTTP port. Every channel broadcast the game makes during a tick is collected as it is made
 * (its JSON body is already encoded) and, at the end of the tick, every viewer gets one text message:
 *
 *   {"tick":41,"server":"game-a-1","broadcasts":[{"channel":"world","route":"onWorld","body":{…}}]}
 *
 * one uWS publish to the `viewers` topic, so the cost does not grow with the number of viewers. A
 * plain GET on the same path answers `{game, server, viewers, tick}` (probes, the route check of the
 * local proxy). Viewers cannot send anything the game sees; a viewer that stops reading is dropped at
 * `maxBackpressureBytes`.
 */
import type { TemplatedApp, WebSocket } from "uWebSockets.js";

const TOPIC = "viewers";

export interface ViewerStreamOptions {
  readonly gameId: string;
  readonly serverId: string;
  readonly maxViewers: number;
  readonly maxBackpressureBytes: number;
}

export interface ViewerCounters {
  viewers: number;
  viewersOpened: number;
  viewersRefused: number;
  framesPublished: number;
}

export const viewerPath = (gameId: string): string => `/game-${gameId}`;

export class ViewerStream {
  readonly counters: ViewerCounters = { viewers: 0, viewersOpened: 0, viewersRefused: 0, framesPublished: 0 };
  private pending: string[] = [];
  private app: TemplatedApp | undefined;
  private readonly sockets = new Set<WebSocket<unknown>>();
  private readonly head: string;

  constructor(private readonly options: ViewerStreamOptions) {
    this.head = `,"server":${JSON.stringify(options.serverId)},"broadcasts":[`;
  }

  /** Mounts `/game-<id>` (WebSocket and GET) on the game server's HTTP app, before it listens. */
  mount(app: TemplatedApp, currentTick: () => number): void {
    this.app = app;
    const path = viewerPath(this.options.gameId);
    app.ws(path, {
      maxPayloadLength: 1024,
      maxBackpressure: this.options.maxBackpressureBytes,
      closeOnBackpressureLimit: true,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        if (this.counters.viewers >= this.options.maxViewers) {
          this.counters.viewersRefused++;
          res.cork(() => res.writeStatus("503 Service Unavailable").end(`at most ${this.options.maxViewers} viewers`));
          return;
        }
        res.upgrade({}, req.getHeader("sec-websocket-key"), req.getHeader("sec-websocket-protocol"), req.getHeader("sec-websocket-extensions"), context);
      },
      open: (ws) => {
        this.counters.viewers++;
        this.counters.viewersOpened++;
        this.sockets.add(ws);
        ws.subscribe(TOPIC);
      },
      // Read-only: whatever a viewer sends is ignored.
      message: () => undefined,
      close: (ws) => {
        this.counters.viewers--;
        this.sockets.delete(ws);
      },
    });
    app.get(path, (res) => {
      res.cork(() => {
        res
          .writeHeader("Content-Type", "application/json")
          .writeHeader("Cache-Control", "no-store")
          .end(JSON.stringify({ game: this.options.gameId, server: this.options.serverId, viewers: this.counters.viewers, tick: currentTick() }));
      });
    });
  }

  /** A channel broadcast of this tick; `body` is its JSON text, already encoded for the players. */
  collect(channel: string, route: string, body: string): void {
    if (this.counters.viewers === 0) return;
    this.pending.push(`{"channel":${JSON.stringify(channel)},"route":${JSON.stringify(route)},"body":${body}}`);
  }

  /** End of tick `tick`: one message to every viewer (also when the tick broadcast nothing: viewers see the clock). */
  flush(tick: number): void {
    if (this.counters.viewers === 0 || this.app === undefined) {
      this.pending = [];
      return;
    }
    const frame = `{"tick":${tick}${this.head}${this.pending.join(",")}]}`;
    this.pending = [];
    this.app.publish(TOPIC, frame, false);
    this.counters.framesPublished++;
  }

  /** Closes every viewer (the server is stopping). */
  closeAll(): void {
    for (const ws of [...this.sockets]) ws.end(1001, "game server stopping");
  }
}
