import fc from "fast-check";
import {
  decodeMessage,
  decodePackages,
  encodeHandshakeResponse,
  encodeKickPackage,
  encodeMessage,
  encodePackages,
  HandshakeCode,
  jsonBodyCodec,
  PackageType,
  parseClientHandshake,
  parseHandshakeResponse,
  parseKick,
  RouteDictionary,
  type ProtocolErrorCode,
} from "../../services/src/protocol";
import { anyBytes, decodesOrRejects, dictionary, FUZZ_RUNS, messages, mutationsOf, packages, PROPERTY_RUNS, ROUTES, utf8 } from "./generators";

/**
 * Every decoder of client or server input, fed arbitrary bytes and damaged valid encodings
 * (truncated, bit-flipped, byte-replaced, garbage appended): it returns or throws a ProtocolError
 * with one of the codes it documents — never another exception. Decoders only loop over their
 * input, so they cannot hang; the suite's timeout would catch one that did. The JSON-shape
 * properties at the end go deeper into the parsers' validation with fewer, costlier runs.
 */
function fuzz(name: string, inputs: fc.Arbitrary<Uint8Array>, decode: (bytes: Uint8Array) => unknown, codes: readonly ProtocolErrorCode[]): void {
  it(`${name}: arbitrary bytes decode or throw ${codes.join(" / ")}`, () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => decodesOrRejects(() => decode(bytes), codes)),
      { numRuns: FUZZ_RUNS },
    );
  });
  it(`${name}: damaged valid input decodes or throws ${codes.join(" / ")}`, () => {
    fc.assert(
      fc.property(mutationsOf(inputs), (bytes) => decodesOrRejects(() => decode(bytes), codes)),
      { numRuns: FUZZ_RUNS },
    );
  });
}

function json(value: unknown): Buffer {
  return utf8(JSON.stringify(value));
}

const validPackages = fc.array(packages, { minLength: 1, maxLength: 4 }).map((list) => encodePackages(list));
const validMessages = messages().map((message) => encodeMessage(message, dictionary));
/** Small, cheap JSON values: the decoders' edge cases are in the bytes and shapes, not in deep documents. */
const jsonScalars = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const smallJson = fc.oneof(
  jsonScalars,
  fc.array(jsonScalars, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), jsonScalars, { maxKeys: 4 }),
);
const smallObject = fc.dictionary(fc.string({ maxLength: 8 }), smallJson, { maxKeys: 3 });
const validJson = smallJson.map(json);
const validClientHandshakes = fc
  .record({
    sys: fc.record({ type: fc.string({ maxLength: 16 }), version: fc.string({ maxLength: 8 }), rsa: fc.constant({}) }, { requiredKeys: [] }),
    user: smallObject,
  })
  .map(json);
const validHandshakeResponses = fc
  .oneof(
    fc.record({ code: fc.constant(HandshakeCode.Ok), heartbeatSeconds: fc.integer({ min: 1, max: 60 }), dictionary: fc.constant(dictionary) }),
    fc.record({ code: fc.constantFrom(HandshakeCode.Fail, HandshakeCode.OldClient) }),
  )
  .map((response) => encodeHandshakeResponse(response).subarray(4));
const validKicks = fc.string({ unit: "binary" }).map((reason) => encodeKickPackage(reason).subarray(4));

const MESSAGE_ERRORS: ProtocolErrorCode[] = ["TRUNCATED", "BAD_MESSAGE_FLAG", "BAD_VARINT", "UNKNOWN_ROUTE_CODE", "BAD_ROUTE"];

describe("protocol: fuzzing every decoder", function () {
  fuzz("package splitter", validPackages, (bytes) => decodePackages(bytes), ["TRUNCATED", "OVERSIZED", "UNKNOWN_PACKAGE_TYPE"]);
  fuzz("package splitter with a 16-byte limit", validPackages, (bytes) => decodePackages(bytes, 16), [
    "TRUNCATED",
    "OVERSIZED",
    "UNKNOWN_PACKAGE_TYPE",
  ]);
  fuzz("message decoder with a dictionary", validMessages, (bytes) => decodeMessage(bytes, dictionary), MESSAGE_ERRORS);
  fuzz("message decoder without a dictionary", validMessages, (bytes) => decodeMessage(bytes), MESSAGE_ERRORS);
  fuzz("JSON body codec", validJson, (bytes) => jsonBodyCodec.decode("onChat", bytes), ["BAD_BODY"]);
  fuzz("client handshake parser", validClientHandshakes, parseClientHandshake, ["BAD_HANDSHAKE"]);
  fuzz("handshake response parser", validHandshakeResponses, parseHandshakeResponse, ["BAD_HANDSHAKE", "BAD_DICTIONARY"]);
  fuzz("kick parser", validKicks, parseKick, ["BAD_BODY"]);

  it("client handshake parser: any JSON value, and any {sys, user} of JSON values, parses or is BAD_HANDSHAKE", () => {
    const shapes = fc.oneof(smallJson, fc.record({ sys: smallJson, user: smallJson }, { requiredKeys: [] }));
    fc.assert(
      fc.property(shapes, (value) => decodesOrRejects(() => parseClientHandshake(json(value)), ["BAD_HANDSHAKE"])),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("handshake response parser: any {code, sys, user} of JSON values parses or is BAD_HANDSHAKE / BAD_DICTIONARY", () => {
    const sys = fc.record({ heartbeat: smallJson, dict: smallJson, protos: smallJson, serializer: smallJson }, { requiredKeys: [] });
    const shapes = fc.record(
      { code: fc.oneof(fc.constantFrom(200, 500, 501), smallJson), sys: fc.oneof(sys, smallJson), user: smallJson },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(shapes, (value) => decodesOrRejects(() => parseHandshakeResponse(json(value)), ["BAD_HANDSHAKE", "BAD_DICTIONARY"])),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("route dictionary from a handshake: any JSON object of route → anything builds or is BAD_DICTIONARY", () => {
    const dicts = fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom(...ROUTES), fc.string({ unit: "binary", maxLength: 300 })),
        fc.oneof(fc.integer({ min: -2, max: 70_000 }), smallJson),
      ),
      smallJson,
    );
    fc.assert(
      fc.property(dicts, (dict) => decodesOrRejects(() => RouteDictionary.fromHandshakeDict(dict as Record<string, number>), ["BAD_DICTIONARY"])),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("a connector's whole receive path — split, then handshake or message and body — never throws anything else", () => {
    const clientMessages = fc
      .array(
        fc.oneof(
          validClientHandshakes.map((body) => ({ type: PackageType.Handshake, body })),
          fc.constant({ type: PackageType.HandshakeAck, body: new Uint8Array(0) }),
          fc.constant({ type: PackageType.Heartbeat, body: new Uint8Array(0) }),
          messages().map((message) => ({ type: PackageType.Data, body: encodeMessage(message, dictionary) })),
        ),
        { minLength: 1, maxLength: 3 },
      )
      .map((list) => encodePackages(list));
    const receive = (bytes: Uint8Array): void => {
      for (const { type, body } of decodePackages(bytes)) {
        if (type === PackageType.Handshake) {
          parseClientHandshake(body);
        } else if (type === PackageType.Data) {
          const message = decodeMessage(body, dictionary);
          jsonBodyCodec.decode("route" in message ? message.route : "", message.body);
        }
      }
    };
    fc.assert(
      fc.property(fc.oneof(anyBytes, mutationsOf(clientMessages)), (bytes) => decodesOrRejects(() => receive(bytes))),
      { numRuns: FUZZ_RUNS },
    );
  });
});
