/**
 * Two codec questions, measured in-process:
 *
 * 1. Why the RPC payload codec is MessagePack (msgpackr) and not JSON: encode + decode cost and
 *    bytes on the wire for the two payloads that dominate internal traffic. JSON cannot carry
 *    bytes, so its Buffers travel as base64 strings (what a JSON RPC would have to do).
 * 2. What protobuf bodies (Pomelo's, for clients with useProtobuf) cost and save against JSON, per
 *    message of the arena's routes: bytes, encode and decode µs, and what the connector pays to
 *    translate a game server's JSON (once per broadcast per batch, once per request).
 *    pomelo-protobuf, NetEase's codec, is timed beside ours for reference.
 *
 *   npm run bench:codec        (~15 s)
 */
import { Packr } from "msgpackr";
import * as pomeloProtobuf from "pomelo-protobuf";
import { arenaProtos } from "../services/games/arena/protos";
import { declareProtos } from "../services/src/protocol/protobuf/declare-protos";

const packr = new Packr({ useRecords: false });
const RUN_MS = 1_200;

/** A client request as a connector forwards it to a game server. */
const forward = { sid: 4321, uid: "player-4321", route: "area.playerHandler.move", body: { x: 12.5, y: -3, dir: 2, seq: 991 } };

/** One tick's batch for one connector: a broadcast encoded once plus per-player packages. */
const tickBatch = {
  tick: 123_456,
  broadcast: Buffer.alloc(2_048, 7),
  players: Array.from({ length: 100 }, (_, i) => ({ uid: `player-${i}`, bytes: Buffer.alloc(64, i) })),
};

function jsonEncode(value: unknown): Buffer {
  return Buffer.from(
    JSON.stringify(value, function (this: Record<string, unknown>, key: string, replaced: unknown) {
      const raw = this[key];
      return Buffer.isBuffer(raw) ? { $b64: raw.toString("base64") } : replaced;
    }),
  );
}

function jsonDecode(bytes: Buffer): unknown {
  return JSON.parse(bytes.toString("utf8"), (_key, value: unknown) =>
    typeof value === "object" && value !== null && typeof (value as { $b64?: unknown }).$b64 === "string" ? Buffer.from((value as { $b64: string }).$b64, "base64") : value,
  );
}

interface Codec {
  name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Buffer): unknown;
}

const msgpack: Codec = { name: "msgpackr", encode: (v) => packr.pack(v), decode: (b) => packr.unpack(b) };
/** Plain JSON cannot round-trip a Buffer at all; shown only where the payload has none. */
const json: Codec = { name: "JSON", encode: (v) => Buffer.from(JSON.stringify(v)), decode: (b) => JSON.parse(b.toString("utf8")) };
const jsonBase64: Codec = { name: "JSON + base64", encode: jsonEncode, decode: jsonDecode };

const cases: [label: string, value: unknown, codecs: Codec[]][] = [
  ["forwarded request", forward, [msgpack, json, jsonBase64]],
  ["tick batch (100)", tickBatch, [msgpack, jsonBase64]],
];

function measure(codec: Codec, value: unknown): { nsPerRoundTrip: number; bytes: number } {
  const bytes = Buffer.from(codec.encode(value));
  for (let i = 0; i < 2_000; i++) codec.decode(Buffer.from(codec.encode(value)));
  let n = 0;
  let sink = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < RUN_MS) {
    for (let i = 0; i < 200; i++) {
      const encoded = codec.encode(value);
      sink += encoded.length;
      if (codec.decode(encoded as Buffer) === sink) sink++;
    }
    n += 200;
    elapsed = performance.now() - started;
  }
  return { nsPerRoundTrip: (elapsed * 1e6) / n, bytes: bytes.length };
}

const results: Record<string, Record<string, { nsPerRoundTrip: number; bytes: number }>> = {};
console.log(`node ${process.version}; encode + decode per message, ${RUN_MS} ms per cell`);
console.log("payload            codec            µs/round trip   bytes");
for (const [label, value, codecs] of cases) {
  for (const codec of codecs) {
    const r = measure(codec, value);
    (results[label] ??= {})[codec.name] = r;
    console.log(`${label.padEnd(18)} ${codec.name.padEnd(16)} ${(r.nsPerRoundTrip / 1000).toFixed(2).padStart(13)} ${String(r.bytes).padStart(7)}`);
  }
}
/** How many times JSON's figure is msgpackr's (above 1: msgpackr is faster / smaller). */
const ratio = (label: string, against: string, key: "nsPerRoundTrip" | "bytes") => Number((results[label]![against]![key] / results[label]!["msgpackr"]![key]).toFixed(2));

/** Mean ns of one call of `work`, run for `ms` after a warm-up. */
function nsPerCall(work: () => unknown, ms = 200): number {
  for (let i = 0; i < 2_000; i++) work();
  let n = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100; i++) work();
    n += 100;
    elapsed = performance.now() - started;
  }
  return (elapsed * 1e6) / n;
}

const protos = declareProtos(arenaProtos, "arenaProtos");
const players = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `connector-0.m9x2k1a3f00d.${(i + 1).toString(36)}`, name: `player-${i + 1}`, x: (i * 7) % 101, y: (i * 13) % 101 }));
/** [route, direction, value]: what the arena sends and receives most. */
const bodies: Array<[route: string, direction: "server" | "client", value: Record<string, unknown>]> = [
  ["onState", "server", { tick: 123_456, room: "room", players: players(50) }],
  ["onState", "server", { tick: 123_456, room: "room", players: players(10) }],
  ["onAck", "server", { tick: 123_456, seq: 991 }],
  ["arena.room.move", "client", { seq: 991, dir: "right" }],
  ["arena.room.move", "server", { code: 200, seq: 991, server: "arena-1", record: "3f1c2a9e-5b7d-4c11-9a0e-6d2f8b4c7e15" }],
];
const bodyRows: Record<string, number | string>[] = [];
console.log("\nmessage bodies, per message (µs):");
console.log("route                        dir     JSON B  pb B  ratio  JSON enc  pb enc  JSON dec  pb dec  ref enc  ref dec  translate");
for (const [route, direction, value] of bodies) {
  const codec = direction === "server" ? protos.server : protos.client;
  const parsed = codec.parsed as Record<string, unknown>;
  pomeloProtobuf.init({ encoderProtos: parsed, decoderProtos: parsed });
  const json = Buffer.from(JSON.stringify(value));
  const pb = codec.encode(route, value);
  const row = {
    route: `${route}${route === "onState" ? ` (${(value.players as unknown[]).length})` : ""}`,
    direction,
    json_bytes: json.length,
    protobuf_bytes: pb.length,
    json_encode_us: nsPerCall(() => Buffer.from(JSON.stringify(value))) / 1000,
    protobuf_encode_us: nsPerCall(() => codec.encode(route, value)) / 1000,
    json_decode_us: nsPerCall(() => JSON.parse(json.toString("utf8"))) / 1000,
    protobuf_decode_us: nsPerCall(() => codec.decode(route, pb)) / 1000,
    reference_encode_us: nsPerCall(() => pomeloProtobuf.encode(route, value)) / 1000,
    reference_decode_us: nsPerCall(() => pomeloProtobuf.decode(route, pb)) / 1000,
    // What the connector does at the edge: JSON from the game → protobuf (server), protobuf from the client → JSON (client).
    translate_us: (direction === "server" ? nsPerCall(() => codec.encode(route, JSON.parse(json.toString("utf8")))) : nsPerCall(() => Buffer.from(JSON.stringify(codec.decode(route, pb))))) / 1000,
  };
  bodyRows.push(row);
  const us = (value: number) => value.toFixed(2).padStart(8);
  console.log(
    `${row.route.padEnd(28)} ${direction.padEnd(6)} ${String(row.json_bytes).padStart(7)} ${String(row.protobuf_bytes).padStart(5)} ${(row.protobuf_bytes / row.json_bytes).toFixed(2).padStart(6)} ${us(row.json_encode_us)} ${us(row.protobuf_encode_us)}  ${us(row.json_decode_us)} ${us(row.protobuf_decode_us)} ${us(row.reference_encode_us)} ${us(row.reference_decode_us)} ${us(row.translate_us)}`,
  );
}
console.log(
  JSON.stringify({
    forward_json_time_ratio: ratio("forwarded request", "JSON", "nsPerRoundTrip"),
    forward_json_size_ratio: ratio("forwarded request", "JSON", "bytes"),
    batch_json_base64_time_ratio: ratio("tick batch (100)", "JSON + base64", "nsPerRoundTrip"),
    batch_json_base64_size_ratio: ratio("tick batch (100)", "JSON + base64", "bytes"),
    bodies: bodyRows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === "number" ? Number(value.toFixed(3)) : value]))),
  }),
);
