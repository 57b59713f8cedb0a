import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_MAX_CLIENT_BODY_BYTES,
  decodePackages,
  encodePackage,
  encodePackages,
  MAX_PACKAGE_BODY_BYTES,
  PackageType,
} from "../../services/src/protocol";
import { assertRejects, packages, PROPERTY_RUNS, utf8 } from "./generators";

function header(type: number, length: number): Buffer {
  return Buffer.from([type, length >>> 16, (length >>> 8) & 0xff, length & 0xff]);
}

describe("protocol: package framing", () => {
  it("a heartbeat is a 4-byte header with length 0", () => {
    assert.equal(encodePackage(PackageType.Heartbeat).toString("hex"), "03000000");
  });

  it("a package is its type byte, the body length in 3 big-endian bytes, then the body", () => {
    assert.equal(encodePackage(PackageType.Data, utf8("abc")).toString("hex"), "04000003616263");
    const body = Buffer.alloc(0x010203, 7);
    const encoded = encodePackage(PackageType.Kick, body);
    assert.equal(encoded.subarray(0, 4).toString("hex"), "05010203");
    assert.deepEqual(encoded.subarray(4), body);
  });

  it("several packages for one socket are concatenated into one buffer in order", () => {
    const batch = encodePackages([
      { type: PackageType.Heartbeat, body: new Uint8Array(0) },
      { type: PackageType.Data, body: utf8("{}") },
      { type: PackageType.Kick, body: utf8('{"reason":"bye"}') },
    ]);
    assert.deepEqual(
      batch,
      Buffer.concat([
        encodePackage(PackageType.Heartbeat),
        encodePackage(PackageType.Data, utf8("{}")),
        encodePackage(PackageType.Kick, utf8('{"reason":"bye"}')),
      ]),
    );
  });

  it("an empty batch encodes to an empty buffer", () => {
    assert.equal(encodePackages([]).length, 0);
  });

  it("one WebSocket message splits into all of its packages", () => {
    const message = Buffer.concat([header(1, 2), utf8("{}"), header(2, 0), header(4, 3), utf8("xyz"), header(3, 0)]);
    const decoded = decodePackages(message);
    assert.deepEqual(
      decoded.map(({ type, body }) => [type, body.toString()]),
      [
        [PackageType.Handshake, "{}"],
        [PackageType.HandshakeAck, ""],
        [PackageType.Data, "xyz"],
        [PackageType.Heartbeat, ""],
      ],
    );
  });

  it("decoded bodies are views into the message, not copies", () => {
    const message = Buffer.concat([header(4, 3), utf8("xyz")]);
    const [data] = decodePackages(message);
    assert.equal(data.body.buffer, message.buffer);
    assert.equal(data.body.byteOffset, message.byteOffset + 4);
    message[4] = 0x58;
    assert.equal(data.body.toString(), "Xyz");
  });

  it("a plain Uint8Array over an ArrayBuffer (what uWebSockets delivers) decodes as views too", () => {
    const arrayBuffer = new ArrayBuffer(16);
    const view = new Uint8Array(arrayBuffer, 5, 7);
    view.set([4, 0, 0, 3, 0x61, 0x62, 0x63]);
    const [data] = decodePackages(view);
    assert.ok(Buffer.isBuffer(data.body));
    assert.equal(data.body.buffer, arrayBuffer);
    assert.equal(data.body.toString(), "abc");
  });

  it("any list of packages round-trips through one buffer", () => {
    fc.assert(
      fc.property(fc.array(packages, { minLength: 1, maxLength: 8 }), (list) => {
        const decoded = decodePackages(encodePackages(list));
        assert.deepEqual(
          decoded.map(({ type, body }) => ({ type, body: Buffer.from(body) })),
          list.map(({ type, body }) => ({ type, body: Buffer.from(body) })),
        );
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  describe("limits", () => {
    it("client packages may carry up to 64 KiB by default, not a byte more", () => {
      assert.equal(DEFAULT_MAX_CLIENT_BODY_BYTES, 65536);
      const atLimit = encodePackage(PackageType.Data, Buffer.alloc(DEFAULT_MAX_CLIENT_BODY_BYTES));
      assert.equal(decodePackages(atLimit)[0].body.length, DEFAULT_MAX_CLIENT_BODY_BYTES);
      const overLimit = encodePackage(PackageType.Data, Buffer.alloc(DEFAULT_MAX_CLIENT_BODY_BYTES + 1));
      assertRejects(() => decodePackages(overLimit), "OVERSIZED");
    });

    it("the limit is configurable per decoder call", () => {
      const tenBytes = encodePackage(PackageType.Data, Buffer.alloc(10));
      assertRejects(() => decodePackages(tenBytes, 9), "OVERSIZED");
      assert.equal(decodePackages(tenBytes, 10).length, 1);
    });

    it("an announced length over the limit is rejected before waiting for the body", () => {
      assertRejects(() => decodePackages(header(4, 0xffffff)), "OVERSIZED");
    });

    it("the 3-byte length field caps bodies at 16 MiB - 1 even without a configured limit", () => {
      const largest = Buffer.alloc(MAX_PACKAGE_BODY_BYTES);
      const encoded = encodePackage(PackageType.Data, largest);
      assert.equal(encoded.subarray(0, 4).toString("hex"), "04ffffff");
      assert.equal(decodePackages(encoded, Number.POSITIVE_INFINITY)[0].body.length, MAX_PACKAGE_BODY_BYTES);
      assertRejects(() => encodePackage(PackageType.Data, Buffer.alloc(MAX_PACKAGE_BODY_BYTES + 1)), "OVERSIZED");
      assertRejects(() => encodePackages([{ type: PackageType.Data, body: Buffer.alloc(MAX_PACKAGE_BODY_BYTES + 1) }]), "OVERSIZED");
    });
  });

  describe("bad input", () => {
    it("an empty WebSocket message carries no package: TRUNCATED", () => {
      assertRejects(() => decodePackages(Buffer.alloc(0)), "TRUNCATED");
    });

    it("a header shorter than 4 bytes is TRUNCATED", () => {
      assertRejects(() => decodePackages(Buffer.from([4, 0, 0])), "TRUNCATED");
    });

    it("a body shorter than its announced length is TRUNCATED", () => {
      assertRejects(() => decodePackages(Buffer.concat([header(4, 5), utf8("abc")])), "TRUNCATED");
    });

    it("one bad package rejects the whole message, even after good ones", () => {
      assertRejects(() => decodePackages(Buffer.concat([header(3, 0), header(4, 2), utf8("a")])), "TRUNCATED");
      assertRejects(() => decodePackages(Buffer.concat([header(3, 0), Buffer.from([4, 0])])), "TRUNCATED");
      assertRejects(() => decodePackages(Buffer.concat([header(3, 0), header(9, 0)])), "UNKNOWN_PACKAGE_TYPE");
    });

    it("package types other than 1..5 are UNKNOWN_PACKAGE_TYPE", () => {
      for (const type of [0, 6, 7, 0x80, 0xff]) {
        assertRejects(() => decodePackages(header(type, 0)), "UNKNOWN_PACKAGE_TYPE");
      }
    });

    it("encoding an unknown package type is UNKNOWN_PACKAGE_TYPE, not a corrupt frame", () => {
      assertRejects(() => encodePackage(6 as PackageType), "UNKNOWN_PACKAGE_TYPE");
      // A computed type between two valid ones would otherwise be written truncated to a valid byte.
      assertRejects(() => encodePackage(1.5 as PackageType), "UNKNOWN_PACKAGE_TYPE");
      assertRejects(() => encodePackages([{ type: 0 as PackageType, body: new Uint8Array(0) }]), "UNKNOWN_PACKAGE_TYPE");
    });
  });
});
