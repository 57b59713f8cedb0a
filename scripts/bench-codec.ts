/**
 * Why the RPC payload codec is MessagePack (msgpackr) and not JSON: encode + decode cost and
 * bytes on the wire for the two payloads that dominate internal traffic, measured in-process.
 *
 *   npx tsx scripts/bench-codec.ts        (~10 s)
 *
 * JSON cannot carry bytes, so its Buffers travel as base64 strings (what a JSON RPC would
 * have to do); MessagePack carries them as binary.
 */
import { Packr } from "msgpackr";

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
console.log(
  JSON.stringify({
    forward_json_time_ratio: ratio("forwarded request", "JSON", "nsPerRoundTrip"),
    forward_json_size_ratio: ratio("forwarded request", "JSON", "bytes"),
    batch_json_base64_time_ratio: ratio("tick batch (100)", "JSON + base64", "nsPerRoundTrip"),
    batch_json_base64_size_ratio: ratio("tick batch (100)", "JSON + base64", "bytes"),
  }),
);
