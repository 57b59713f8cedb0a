/**
 * The baseline the broadcast benchmark compares Pomona against: raw uWebSockets.js, one topic,
 * `app.publish` of one pre-encoded Pomelo push per tick — the least work any server can do to
 * deliver the same bytes. It answers the Pomelo handshake and heartbeats so the same load
 * generator drives both.
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { loadUws } from "../../services/src/transport";
import { MessageType, PackageType, encodeDataPackage, encodePackage } from "../../services/src/protocol";
import { benchStateBody } from "./payload";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" }, hz: { type: "string", default: "20" }, players: { type: "string", default: "0" } } });
const uws = loadUws();
const hz = Number(values.hz);
const handshakeReply = encodePackage(PackageType.Handshake, Buffer.from(JSON.stringify({ code: 200, sys: { heartbeat: 30, dict: {} } })));
const heartbeat = encodePackage(PackageType.Heartbeat);
let clients = 0;

const app = uws.App().ws("/*", {
  maxPayloadLength: 64 * 1024,
  maxBackpressure: 1024 * 1024,
  closeOnBackpressureLimit: true,
  idleTimeout: 0,
  open: (ws) => {
    clients++;
    ws.subscribe("all");
  },
  message: (ws, message) => {
    const type = new Uint8Array(message)[0];
    if (type === PackageType.Handshake) ws.send(handshakeReply, true);
    else if (type === PackageType.Heartbeat) ws.send(heartbeat, true);
  },
  close: () => void clients--,
});

let tick = 0;
const periodMs = 1000 / hz;
const started = performance.now();
function runTick(): void {
  const body = benchStateBody(tick, Number(values.players));
  app.publish("all", encodeDataPackage({ type: MessageType.Push, route: "onState", body }), true);
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
  if (message.kind === "stats") process.send?.({ kind: "stats", clients, ticks: tick });
});
process.on("disconnect", () => process.exit(0));
