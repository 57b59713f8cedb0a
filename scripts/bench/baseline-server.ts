/**
 * The baselines the broadcast benchmark compares Pomona against: raw uWebSockets.js doing the
 * least work any server can do to deliver the same bytes, per workload:
 * - `broadcast`: one topic, one `app.publish` of one pre-encoded Pomelo push per tick;
 * - `per-player`: each socket its own push each tick (JSON body naming the socket), `ws.send`
 *   inside `ws.cork`;
 * - `mixed`: one `ws.send` per socket per tick carrying the state push (encoded once) followed by
 *   the socket's own push, assembled in one reused buffer;
 * - `state-sends`: `broadcast`'s bytes, but `ws.send` inside `ws.cork` to each socket instead of one
 *   publish: against `broadcast`, the price of a per-socket write (`--merge-cost`).
 * It answers the Pomelo handshake and heartbeats so the same load generator drives every target.
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import type { WebSocket } from "uWebSockets.js";
import { loadUws } from "../../services/src/transport";
import { MessageType, PackageType, encodeDataPackage, encodePackage } from "../../services/src/protocol";
import { benchStateBody } from "./payload";

const { values } = parseArgs({
  options: { port: { type: "string", default: "0" }, hz: { type: "string", default: "20" }, players: { type: "string", default: "0" }, workload: { type: "string", default: "broadcast" } },
});
const uws = loadUws();
const hz = Number(values.hz);
const workload = values.workload!;
const handshakeReply = encodePackage(PackageType.Handshake, Buffer.from(JSON.stringify({ code: 200, sys: { heartbeat: 30, dict: {} } })));
const heartbeat = encodePackage(PackageType.Heartbeat);
interface Socket {
  /** A session-id-sized name, so per-player bodies weigh what Pomona's do. */
  readonly id: string;
}
const sockets = new Set<WebSocket<Socket>>();
const incarnation = `${Date.now().toString(36)}00000000`;
let opened = 0;

const app = uws.App().ws<Socket>("/*", {
  maxPayloadLength: 64 * 1024,
  maxBackpressure: 1024 * 1024,
  closeOnBackpressureLimit: true,
  idleTimeout: 0,
  upgrade: (res, req, context) => {
    res.upgrade<Socket>({ id: `connector-0.${incarnation}.${(++opened).toString(36)}` }, req.getHeader("sec-websocket-key"), req.getHeader("sec-websocket-protocol"), req.getHeader("sec-websocket-extensions"), context);
  },
  open: (ws) => {
    sockets.add(ws);
    if (workload === "broadcast") ws.subscribe("all");
  },
  message: (ws, message) => {
    const type = new Uint8Array(message)[0];
    if (type === PackageType.Handshake) ws.send(handshakeReply, true);
    else if (type === PackageType.Heartbeat) ws.send(heartbeat, true);
  },
  close: (ws) => void sockets.delete(ws),
});

let scratch = Buffer.allocUnsafeSlow(4096);
function ownPush(tick: number, sentAt: number, id: string): Buffer {
  return encodeDataPackage({ type: MessageType.Push, route: "onMine", body: JSON.stringify({ k: tick, t: sentAt, you: id }) });
}

let tick = 0;
const periodMs = 1000 / hz;
const started = performance.now();
function runTick(): void {
  const sentAt = Number((performance.timeOrigin + performance.now()).toFixed(3));
  if (workload === "broadcast") {
    app.publish("all", encodeDataPackage({ type: MessageType.Push, route: "onState", body: benchStateBody(tick, Number(values.players)) }), true);
  } else if (workload === "state-sends") {
    const state = encodeDataPackage({ type: MessageType.Push, route: "onState", body: benchStateBody(tick, Number(values.players)) });
    for (const ws of sockets) ws.cork(() => ws.send(state, true));
  } else if (workload === "per-player") {
    for (const ws of sockets) {
      const message = ownPush(tick, sentAt, ws.getUserData().id);
      ws.cork(() => ws.send(message, true));
    }
  } else {
    const state = encodeDataPackage({ type: MessageType.Push, route: "onState", body: benchStateBody(tick, Number(values.players)) });
    for (const ws of sockets) {
      const own = ownPush(tick, sentAt, ws.getUserData().id);
      const bytes = state.length + own.length;
      if (scratch.length < bytes) scratch = Buffer.allocUnsafeSlow(bytes * 2);
      state.copy(scratch, 0);
      own.copy(scratch, state.length);
      const message = scratch.subarray(0, bytes);
      ws.cork(() => ws.send(message, true));
    }
  }
  tick++;
  setTimeout(runTick, Math.max(0, started + tick * periodMs - performance.now()));
}

app.listen("127.0.0.1", Number(values.port), (socket) => {
  if (!socket) {
    console.error("baseline: listen failed");
    process.exit(1);
  }
  process.send?.({ kind: "listening", port: uws.us_socket_local_port(socket) });
  runTick();
});
process.on("message", (message: { kind: string }) => {
  if (message.kind === "stats") process.send?.({ kind: "stats", clients: sockets.size, ticks: tick });
});
process.on("disconnect", () => process.exit(0));
