/**
 * Load generator process: holds many Pomelo WebSocket clients and counts what they receive.
 * Lean on purpose — the generator shares this 2-core machine with the servers it measures, so
 * the hot path parses package headers by hand and reads the tick number and send time from a
 * fixed body layout (`{"k":<tick>,"t":<ms>,…}`) without JSON.parse, and the WebSocket layer is
 * scripts/bench/raw-websocket.ts (hand-written over node:net, frames parsed in place) rather than
 * the `ws` package, which cost more CPU than the servers being measured.
 *
 * Run by scripts/bench/broadcast.ts with IPC; sends {kind:"progress"} every second and a
 * {kind:"report"} with a latency histogram when told to stop. The measured window is the
 * generator's own: from the "reset" message arriving to the "report" message arriving
 * (`windowS`), so the IPC round trip of the report is not counted as delivery time.
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { RawWebSocket, ReadyState } from "./raw-websocket";
import { MessageType, PackageType, encodeDataPackage, encodePackage } from "../../services/src/protocol";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    clients: { type: "string" },
    first: { type: "string", default: "0" },
    join: { type: "string", default: "" },
    connectPerSecond: { type: "string", default: "2000" },
    /** Clients opened at first; {kind:"open", count} raises it (the RSS sample at 1,000 clients). */
    open: { type: "string" },
  },
});
const url = values.url!;
const clientCount = Number(values.clients);
const firstIndex = Number(values.first);
const joinRoute = values.join ?? "";
let openLimit = Math.min(clientCount, Number(values.open ?? clientCount));

/** 0.05 ms buckets up to 500 ms. */
const BUCKET_MS = 0.05;
const histogram = new Uint32Array(10_000);
/** Client-ticks: a tick counted once per client, however many messages carried it. */
let delivered = 0;
/** WebSocket messages holding at least one push, the pushes in them, and those holding both a state and an own push. */
let messages = 0;
let packages = 0;
let withBoth = 0;
let gaps = 0;
let connected = 0;
let closed = 0;
let errors = 0;
let sampleCounter = 0;
const closeReasons = new Map<string, number>();

const handshake = encodePackage(PackageType.Handshake, Buffer.from(JSON.stringify({ sys: { type: "pomona-bench", version: "0.1.0" }, user: {} })));
const handshakeAck = encodePackage(PackageType.HandshakeAck);
const heartbeat = encodePackage(PackageType.Heartbeat);
const K_MARKER = Buffer.from('"k":');
const T_MARKER = Buffer.from('"t":');
/** The state broadcast's body has the player list, a player's own push names it. */
const STATE_MARKER = Buffer.from('"p":[');
const OWN_MARKER = Buffer.from('"you":');

/** The number after `marker` in data[from, limit), or NaN. */
function readNumber(data: Buffer, from: number, limit: number, marker: Buffer): number {
  const at = data.indexOf(marker, from);
  if (at < 0 || at + marker.length > limit) return NaN;
  let end = at + marker.length;
  while (end < limit && data[end] !== 0x2c && data[end] !== 0x7d) end++;
  return Number(data.toString("latin1", at + marker.length, end));
}

function contains(data: Buffer, marker: Buffer, from: number, limit: number): boolean {
  const at = data.indexOf(marker, from);
  return at >= 0 && at + marker.length <= limit;
}

function joinRequest(index: number): Buffer {
  return encodeDataPackage({ type: MessageType.Request, id: 1, route: joinRoute, body: JSON.stringify({ name: `bot-${index}` }) });
}

const allClients: Client[] = [];

class Client {
  private lastTick = -1;
  /** First and last tick seen since the last reset: the ticks this client should have received. */
  windowFirstTick = -1;
  windowLastTick = -1;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(private readonly index: number) {
    const socket: RawWebSocket = new RawWebSocket(url, {
      onOpen: () => socket.send(handshake),
      onMessage: (data, start, end) => this.receive(socket, data, start, end),
      onError: () => void errors++,
      onClose: (code, reason) => {
        clearInterval(this.heartbeatTimer);
        closed++;
        const key = `${code} ${reason}`.trim();
        closeReasons.set(key, (closeReasons.get(key) ?? 0) + 1);
      },
    });
  }

  /** One WebSocket message in data[start, end): one or more Pomelo packages. */
  private receive(socket: RawWebSocket, data: Buffer, start: number, end: number): void {
    let offset = start;
    let pushes = 0;
    let state = false;
    let own = false;
    while (offset + 4 <= end) {
      const type = data[offset]!;
      const length = (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!;
      const body = offset + 4;
      offset = body + length;
      if (offset > end) {
        errors++;
        return;
      }
      if (type === PackageType.Data) {
        if (!this.onData(data, body, offset, pushes === 0)) continue;
        pushes++;
        if (!state && contains(data, STATE_MARKER, body, offset)) state = true;
        else if (!own && contains(data, OWN_MARKER, body, offset)) own = true;
      } else if (type === PackageType.Handshake) {
        const reply = JSON.parse(data.toString("utf8", body, offset)) as { code: number; sys?: { heartbeat?: number } };
        if (reply.code !== 200) {
          errors++;
          socket.close();
          return;
        }
        socket.send(handshakeAck);
        connected++;
        const seconds = reply.sys?.heartbeat ?? 0;
        if (seconds > 0) this.heartbeatTimer = setInterval(() => socket.readyState === ReadyState.Open && socket.send(heartbeat), seconds * 1000);
        if (joinRoute) socket.send(joinRequest(this.index));
      }
    }
    if (pushes === 0) return;
    messages++;
    packages += pushes;
    if (state && own) withBoth++;
  }

  /** A push with a tick number: counts the client-tick (once) and samples latency on a message's first push. */
  private onData(data: Buffer, body: number, end: number, firstInMessage: boolean): boolean {
    if (data[body]! >> 1 !== 3) return false; // only pushes are counted (type 3)
    const tick = readNumber(data, body, end, K_MARKER);
    if (!(tick >= 0)) return false;
    if (tick === this.lastTick) return true;
    delivered++;
    if (this.lastTick >= 0 && tick > this.lastTick + 1) gaps += tick - this.lastTick - 1;
    if (tick > this.lastTick) this.lastTick = tick;
    if (this.windowFirstTick < 0) this.windowFirstTick = tick;
    if (tick > this.windowLastTick) this.windowLastTick = tick;
    if (firstInMessage && (++sampleCounter & 7) === 0) {
      const sentAt = readNumber(data, body, end, T_MARKER);
      const latencyMs = performance.timeOrigin + performance.now() - sentAt;
      histogram[Math.min(histogram.length - 1, Math.max(0, Math.floor(latencyMs / BUCKET_MS)))]!++;
    }
    return true;
  }
}

const send = (message: unknown) => process.send?.(message);
let created = 0;
const perBatch = Math.max(1, Math.round(Number(values.connectPerSecond) / 20));
const opener = setInterval(() => {
  for (let i = 0; i < perBatch && created < openLimit; i++, created++) allClients.push(new Client(firstIndex + created));
  if (created >= clientCount) clearInterval(opener);
}, 50);
setInterval(() => send({ kind: "progress", connected, closed, errors, delivered, gaps }), 1000).unref();
/** Start of the measured window (performance.now() when "reset" arrived). */
let windowStart = performance.now();
process.on("message", (message: { kind: string }) => {
  if (message.kind === "reset") {
    windowStart = performance.now();
    delivered = 0;
    messages = 0;
    packages = 0;
    withBoth = 0;
    gaps = 0;
    histogram.fill(0);
    for (const client of allClients) client.windowFirstTick = client.windowLastTick = -1;
  } else if (message.kind === "report") {
    const windowS = (performance.now() - windowStart) / 1000;
    let expected = 0;
    for (const client of allClients) if (client.windowFirstTick >= 0) expected += client.windowLastTick - client.windowFirstTick + 1;
    send({ kind: "report", windowS, expected, connected, closed, errors, delivered, messages, packages, withBoth, gaps, histogram: Array.from(histogram), bucketMs: BUCKET_MS, closeReasons: Object.fromEntries(closeReasons) });
  } else if (message.kind === "open") openLimit = clientCount;
  else if (message.kind === "exit") process.exit(0);
});
process.on("disconnect", () => process.exit(0));
