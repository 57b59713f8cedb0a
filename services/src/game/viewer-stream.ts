/**
 * The read-only viewer WebSocket of a game (AI:MMO's "watch the game"): `/game-<id>` on the game
 * server's HTTP port. Every channel broadcast the game makes during a tick is collected as it is made
 * (its JSON body is already encoded) and, at the end of the tick, every viewer gets one text message
 * with this replica's part and the latest part of every other live replica of the game (the relay,
 * viewer-relay.ts; format in viewer-frame.ts):
 *
 *   {"tick":41,"server":"game-a-1","replicas":[{"server":"game-a-1","tick":41,"at":…},…],"broadcasts":[{"server":"game-a-1","channel":"world","route":"onWorld","body":{…}},…]}
 *
 * one uWS publish to the `viewers` topic, so the cost does not grow with the number of viewers. The
 * part is built once per tick, and only when this replica has viewers or a peer wants it (broadcasts
 * are collected while it has viewers or peers). A plain GET
 * on the same path answers `{game, server, viewers, tick, replicas, relay}` (probes, the route check of
 * the local proxy). Viewers cannot send anything the game sees; a viewer that stops reading is dropped
 * at `maxBackpressureBytes`.
 */
import type { TemplatedApp, WebSocket } from "uWebSockets.js";
import { composeViewerMessage, encodeEntry, encodeReplicaFrame, entryHead, type ReplicaFrame } from "./viewer-frame";
import type { ViewerRelay } from "./viewer-relay";

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
  private relay: ViewerRelay | undefined;

  constructor(private readonly options: ViewerStreamOptions) {
    this.head = entryHead(options.serverId);
  }

  /** From now on parts are shared with the game's other replicas (call once discovery runs). */
  relayThrough(relay: ViewerRelay): void {
    relay.start();
    this.relay = relay;
    relay.setWatching(this.counters.viewers > 0);
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
        if (this.counters.viewers === 1) this.relay?.setWatching(true);
      },
      // Read-only: whatever a viewer sends is ignored.
      message: () => undefined,
      close: (ws) => {
        this.counters.viewers--;
        this.sockets.delete(ws);
        if (this.counters.viewers === 0) this.relay?.setWatching(false);
      },
    });
    app.get(path, (res) => {
      res.cork(() => {
        res
          .writeHeader("Content-Type", "application/json")
          .writeHeader("Cache-Control", "no-store")
          .end(
            JSON.stringify({
              game: this.options.gameId,
              server: this.options.serverId,
              viewers: this.counters.viewers,
              tick: currentTick(),
              replicas: [this.options.serverId, ...(this.relay?.peerIds() ?? [])],
              ...(this.relay === undefined ? {} : { relay: this.relay.counters }),
            }),
          );
      });
    });
  }

  /** A channel broadcast of this tick; `body` is its JSON text, already encoded for the players. */
  collect(channel: string, route: string, body: string): void {
    if (this.counters.viewers > 0 || this.relay?.hasPeers === true) this.pending.push(encodeEntry(this.head, channel, route, body));
  }

  /** End of tick `tick`: this replica's part to the peers that want it, and one message to every viewer here (also when the tick broadcast nothing: viewers see the clock). */
  flush(tick: number): void {
    const nowMs = Date.now();
    const toViewers = this.counters.viewers > 0 && this.app !== undefined;
    const toPeers = this.relay?.wanted(nowMs) ?? false;
    if (toViewers || toPeers) {
      const own: ReplicaFrame = { server: this.options.serverId, tick, at: nowMs, entries: this.pending.join(",") };
      if (toPeers) this.relay!.publish(encodeReplicaFrame(own), nowMs);
      if (toViewers) {
        this.app!.publish(TOPIC, composeViewerMessage(own, this.relay?.peerFrames(nowMs) ?? []), false);
        this.counters.framesPublished++;
      }
    }
    this.pending = [];
  }

  /** Closes every viewer and stops sharing parts (the server is stopping). */
  closeAll(): void {
    this.relay?.stop();
    for (const ws of [...this.sockets]) ws.end(1001, "game server stopping");
  }
}
