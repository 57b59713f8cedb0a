import assert from "node:assert/strict";
import fc from "fast-check";
import { assertMessageId, MAX_MESSAGE_ID, readVarint, varintLength, writeVarint } from "../../services/src/protocol/varint";
import { assertRejects, decodesOrRejects, FUZZ_RUNS, messageIds, PROPERTY_RUNS } from "./generators";

function encodeId(id: number): Buffer {
  const target = Buffer.alloc(varintLength(id));
  assert.equal(writeVarint(target, 0, id), target.length);
  return target;
}

describe("protocol: message id varints", () => {
  // The spec: 7-bit groups, least significant first, high bit set on every group but the last.
  const specBytes: [number, string][] = [
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8001"],
    [300, "ac02"],
    [16383, "ff7f"],
    [16384, "808001"],
    [2 ** 21 - 1, "ffff7f"],
    [2 ** 21, "80808001"],
    [2 ** 28, "8080808001"],
    [2 ** 31, "8080808008"],
    [2 ** 32, "8080808010"],
    [2 ** 35, "808080808001"],
    [2 ** 42 - 1, "ffffffffff7f"],
    [2 ** 42, "80808080808001"],
    [2 ** 49 - 1, "ffffffffffff7f"],
    [2 ** 49, "8080808080808001"],
    [MAX_MESSAGE_ID, "ffffffffffffff0f"],
  ];

  for (const [id, hex] of specBytes) {
    it(`id ${id} encodes as ${hex} and decodes back`, () => {
      assert.equal(encodeId(id).toString("hex"), hex);
      assert.equal(readVarint(Buffer.from(hex, "hex"), 0, hex.length / 2), id);
    });
  }

  it("every id in [0, 2^53 - 1] round-trips and takes exactly varintLength bytes", () => {
    fc.assert(
      fc.property(messageIds(), fc.uint8Array({ maxLength: 4 }), (id, trailing) => {
        const bytes = Buffer.concat([encodeId(id), trailing]);
        assert.equal(readVarint(bytes, 0, bytes.length), id);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("reading stops at `end`, not at the end of the buffer", () => {
    assertRejects(() => readVarint(Buffer.from("8001", "hex"), 0, 1), "BAD_VARINT");
  });

  it("a varint whose last byte still has the continuation bit is truncated: BAD_VARINT", () => {
    assertRejects(() => readVarint(Buffer.from("ff", "hex"), 0, 1), "BAD_VARINT");
  });

  it("a padded (non-minimal) varint is rejected, so each id has exactly one encoding", () => {
    assertRejects(() => readVarint(Buffer.from("8000", "hex"), 0, 2), "BAD_VARINT");
    assertRejects(() => readVarint(Buffer.from("ff8000", "hex"), 0, 3), "BAD_VARINT");
  });

  it("a varint longer than 8 bytes is rejected without reading further", () => {
    assertRejects(() => readVarint(Buffer.from("ffffffffffffffff01", "hex"), 0, 9), "BAD_VARINT");
  });

  it("an id of 2^53 or more is rejected: it would not survive as a JS number", () => {
    assertRejects(() => readVarint(Buffer.from("8080808080808010", "hex"), 0, 8), "BAD_VARINT");
    assertRejects(() => readVarint(Buffer.from("ffffffffffffff7f", "hex"), 0, 8), "BAD_VARINT");
  });

  it("ids that are negative, fractional, unsafe or not numbers cannot be encoded", () => {
    for (const id of [-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      assertRejects(() => assertMessageId(id), "BAD_VARINT");
    }
  });

  it("arbitrary bytes read as an id or BAD_VARINT, and an accepted id re-encodes to the bytes read", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        decodesOrRejects(() => {
          const id = readVarint(bytes, 0, bytes.length);
          assert.deepEqual(encodeId(id), Buffer.from(bytes.subarray(0, varintLength(id))));
        }, ["BAD_VARINT"]);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
