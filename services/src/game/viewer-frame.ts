/**
 * The viewer frames, pure. A replica's part of a tick — what it publishes for its peers and what its
 * own viewers get first — is one JSON object, built once per tick from entries already encoded:
 *
 *   {"server":"game-duo-1-…","tick":41,"at":1733500000000,"broadcasts":[{"server":"game-duo-1-…","channel":"room","route":"onState","body":{…}}]}
 *
 * A viewer gets every live replica's latest part merged into one message per tick of the replica it
 * reached (`tick` and `server` are that replica's; `at` is each part's wall-clock time at its tick):
 *
 *   {"tick":41,"server":"game-duo-1-…","replicas":[{"server":"…","tick":41,"at":…},{"server":"game-duo-2-…","tick":812,"at":…}],"broadcasts":[…every replica's…]}
 *
 * A peer's part comes off Redis: it is input, checked (size, shape, every entry its sender's) before
 * it reaches a viewer, and re-encoded from the parsed value so the merged message is always JSON.
 */
import { SERVER_ID_PATTERN } from "../discovery/member";

/** One replica's latest part, ready to merge: `entries` is the JSON text of its broadcasts without the brackets. */
export interface ReplicaFrame {
  readonly server: string;
  readonly tick: number;
  /** Wall-clock ms of the replica's tick end (viewers can show how fresh each part is). */
  readonly at: number;
  readonly entries: string;
}

export type DecodedFrame = { readonly frame: ReplicaFrame } | { readonly dropped: "oversized" | "malformed"; readonly detail: string };

export interface FrameLimits {
  /** Largest part accepted from a peer, bytes. */
  readonly maxFrameBytes: number;
  /** Most broadcasts in one part. */
  readonly maxBroadcasts: number;
}

/** Deepest nesting of objects and lists accepted in a part (the part, its list, an entry, then the game's body). */
const MAX_DEPTH = 64;

/** The limit on a channel name or route in a part (routes are at most 255 bytes on the wire). */
const MAX_NAME_CHARS = 1024;

/** The JSON head of every entry this server collects: `{"server":"<id>","channel":` — encoded once. */
export const entryHead = (serverId: string): string => `{"server":${JSON.stringify(serverId)},"channel":`;

/** One broadcast of this tick as an entry; `body` is its JSON text, already encoded for the players. */
export const encodeEntry = (head: string, channel: string, route: string, body: string): string => `${head}${JSON.stringify(channel)},"route":${JSON.stringify(route)},"body":${body}}`;

/** The part a replica publishes: `frame.entries` spliced in as is (it was built from encoded JSON). */
export function encodeReplicaFrame(frame: ReplicaFrame): string {
  return `{"server":${JSON.stringify(frame.server)},"tick":${frame.tick},"at":${frame.at},"broadcasts":[${frame.entries}]}`;
}

/** The message a viewer gets: `own` first, then each peer's latest part. */
export function composeViewerMessage(own: ReplicaFrame, peers: readonly ReplicaFrame[]): string {
  const parts = [own, ...peers];
  const replicas = parts.map((part) => `{"server":${JSON.stringify(part.server)},"tick":${part.tick},"at":${part.at}}`).join(",");
  const entries = parts
    .map((part) => part.entries)
    .filter((text) => text.length > 0)
    .join(",");
  return `{"tick":${own.tick},"server":${JSON.stringify(own.server)},"replicas":[${replicas}],"broadcasts":[${entries}]}`;
}

/** A peer's part from Redis, or why it was dropped. Never throws. */
export function decodeReplicaFrame(raw: Buffer, limits: FrameLimits): DecodedFrame {
  if (raw.byteLength > limits.maxFrameBytes) return { dropped: "oversized", detail: `${raw.byteLength} bytes, over ${limits.maxFrameBytes}` };
  // JSON.parse takes ~0.9 s over 400 KB of nested brackets (and JSON.stringify then overflows the stack): refused before parsing.
  if (nestingDepth(raw) > MAX_DEPTH) return { dropped: "malformed", detail: `nested deeper than ${MAX_DEPTH}` };
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    return { dropped: "malformed", detail: "not JSON" };
  }
  const part = value as { server?: unknown; tick?: unknown; at?: unknown; broadcasts?: unknown } | null;
  if (typeof part !== "object" || part === null || Array.isArray(part)) return { dropped: "malformed", detail: "not an object" };
  const { server, tick, at, broadcasts } = part;
  if (typeof server !== "string" || !SERVER_ID_PATTERN.test(server)) return { dropped: "malformed", detail: "server is not a server id" };
  if (typeof tick !== "number" || !Number.isSafeInteger(tick) || tick < 0) return { dropped: "malformed", detail: "tick is not a tick number" };
  if (typeof at !== "number" || !Number.isFinite(at) || at < 0) return { dropped: "malformed", detail: "at is not a time" };
  if (!Array.isArray(broadcasts)) return { dropped: "malformed", detail: "broadcasts is not a list" };
  if (broadcasts.length > limits.maxBroadcasts) return { dropped: "malformed", detail: `${broadcasts.length} broadcasts, over ${limits.maxBroadcasts}` };
  const head = entryHead(server);
  const entries: string[] = [];
  for (const entry of broadcasts as unknown[]) {
    const checked = checkEntry(entry, server, head);
    if (checked === undefined) return { dropped: "malformed", detail: "a broadcast is not {server (the sender), channel, route, body}" };
    entries.push(checked);
  }
  return { frame: { server, tick, at, entries: entries.join(",") } };
}

/** The entry re-encoded with exactly its four fields, or undefined if it is not one of the sender's broadcasts. */
function checkEntry(value: unknown, sender: string, head: string): string | undefined {
  const entry = value as { server?: unknown; channel?: unknown; route?: unknown; body?: unknown } | null;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return undefined;
  const { server, channel, route, body } = entry;
  if (server !== sender || typeof channel !== "string" || typeof route !== "string" || channel.length > MAX_NAME_CHARS || route.length > MAX_NAME_CHARS || body === undefined) return undefined;
  return encodeEntry(head, channel, route, JSON.stringify(body));
}

/** `"` and `\`, then `{` `[` and `}` `]`, as bytes. */
const [QUOTE, BACKSLASH] = [0x22, 0x5c];
const [OPEN_BRACE, OPEN_BRACKET, CLOSE_BRACE, CLOSE_BRACKET] = [0x7b, 0x5b, 0x7d, 0x5d];

/** The deepest nesting of `{`/`[` outside strings, scanning the bytes once (stops early past MAX_DEPTH). */
function nestingDepth(raw: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < raw.length; index++) {
    const byte = raw[index];
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > MAX_DEPTH) return deepest;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return deepest;
}
