import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MAX_MESSAGE_ID,
  MessageType,
  PackageType,
  ProtocolError,
  RouteDictionary,
  type DecodedMessage,
  type Message,
  type Package,
  type ProtocolErrorCode,
} from "../../services/src/protocol";

/** Runs per fuzz property: every decoder meets at least 10,000 of each kind of hostile input. */
export const FUZZ_RUNS = 10_000;
/** Runs per round-trip and cross-check property. */
export const PROPERTY_RUNS = 2_000;

/** The documented, stable set of error codes (docs/protocol.md). */
export const ERROR_CODES: readonly ProtocolErrorCode[] = [
  "TRUNCATED",
  "OVERSIZED",
  "UNKNOWN_PACKAGE_TYPE",
  "BAD_MESSAGE_FLAG",
  "BAD_VARINT",
  "ROUTE_TOO_LONG",
  "UNKNOWN_ROUTE_CODE",
  "BAD_ROUTE",
  "BAD_BODY",
  "BAD_HANDSHAKE",
  "BAD_DICTIONARY",
  "BAD_PROTOS",
];

export function assertRejects(action: () => unknown, code: ProtocolErrorCode): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/**
 * The robustness contract: a decoder returns, or throws a ProtocolError with one of `codes`
 * (default: any documented code) — never another exception.
 */
export function decodesOrRejects(decode: () => unknown, codes: readonly ProtocolErrorCode[] = ERROR_CODES): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof ProtocolError)) {
      throw error;
    }
    assert.ok(codes.includes(error.code), `unexpected error code ${error.code}: ${error.message}`);
  }
}

export const ROUTES = [
  "connector.entryHandler.entry",
  "area.playerHandler.move",
  "chat.chatHandler.send",
  "onChat",
  "onMove",
  "onKick",
  "área.jögador.mover",
];
export const dictionary = RouteDictionary.fromRoutes(ROUTES);

/** Ids biased to the varint group boundaries, up to the 2^53 - 1 maximum. */
export const messageIds = (max: number = MAX_MESSAGE_ID): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(...[0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28, 2 ** 31 - 1, 2 ** 35, MAX_MESSAGE_ID].filter((id) => id <= max)),
    fc.integer({ min: 0, max: Math.min(max, 2 ** 21) }),
    fc.integer({ min: 0, max }),
  );

/** Any Unicode route that fits the 255-byte limit (60 code points ≤ 240 bytes), or a dictionary route. */
export const routes: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...ROUTES), fc.string({ unit: "binary", maxLength: 60 }));

export const bodies: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 64 });

export function messages(maxId: number = MAX_MESSAGE_ID): fc.Arbitrary<Message<Uint8Array>> {
  const id = messageIds(maxId);
  return fc.oneof(
    fc.record({ type: fc.constant(MessageType.Request), id, route: routes, body: bodies }),
    fc.record({ type: fc.constant(MessageType.Notify), route: routes, body: bodies }),
    fc.record({ type: fc.constant(MessageType.Response), id, body: bodies }),
    fc.record({ type: fc.constant(MessageType.Push), route: routes, body: bodies }),
  );
}

export const packageTypes: fc.Arbitrary<Package["type"]> = fc.constantFrom(
  PackageType.Handshake,
  PackageType.HandshakeAck,
  PackageType.Heartbeat,
  PackageType.Data,
  PackageType.Kick,
);

export const packages: fc.Arbitrary<Package> = fc.record({ type: packageTypes, body: bodies });

type Damage = "truncate" | "flip-bit" | "replace-byte" | "append-garbage";

/** Valid bytes damaged the ways a network or an attacker damages them. */
export function mutationsOf(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const damages = fc.constantFrom<Damage>("truncate", "flip-bit", "replace-byte", "append-garbage");
  return fc
    .tuple(valid, damages, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([bytes, damage, where, garbage]) => damaged(Buffer.from(bytes), damage, where, garbage));
}

function damaged(bytes: Buffer, damage: Damage, where: number, garbage: Uint8Array): Buffer {
  if (damage === "append-garbage" || bytes.length === 0) {
    return Buffer.concat([bytes, garbage]);
  }
  if (damage === "truncate") {
    return bytes.subarray(0, where % bytes.length);
  }
  if (damage === "flip-bit") {
    bytes[(where >> 3) % bytes.length] ^= 1 << (where & 7);
  } else {
    bytes[where % bytes.length] = garbage[0];
  }
  return bytes;
}

/** Arbitrary bytes, short enough for 10,000 runs to stay fast. */
export const anyBytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 96 });

export function utf8(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/** A message without how its route travelled and with a Buffer body, for deepEqual against what was sent. */
export function comparable(message: Message | DecodedMessage): Record<string, unknown> {
  const { routeCompressed: _howTheRouteTravelled, ...fields } = message as Message & { routeCompressed?: boolean };
  return { ...fields, body: typeof fields.body === "string" ? utf8(fields.body) : Buffer.from(fields.body) };
}
