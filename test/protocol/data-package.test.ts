import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeMessage,
  decodePackages,
  encodeDataPackage,
  encodeDataPackages,
  encodeMessage,
  encodePackage,
  MAX_PACKAGE_BODY_BYTES,
  measureDataPackage,
  MessageType,
  PackageType,
  writeDataPackage,
  type Message,
} from "../../services/src/protocol";
import { assertRejects, comparable, dictionary, messages, PROPERTY_RUNS, utf8 } from "./generators";

describe("protocol: messages framed as data packages", () => {
  it("a push encoded once is a complete data package that any socket can be sent unchanged", () => {
    const push = encodeDataPackage({ type: MessageType.Push, route: "onMove", body: '{"x":1,"y":2}' }, dictionary);
    const [frame] = decodePackages(push);
    assert.equal(frame.type, PackageType.Data);
    const decoded = decodeMessage(frame.body, dictionary);
    assert.deepEqual(
      { ...decoded, body: decoded.body.toString() },
      { type: MessageType.Push, route: "onMove", routeCompressed: true, body: '{"x":1,"y":2}' },
    );
  });

  it("a data package is the package header around exactly the encoded message", () => {
    const message: Message = { type: MessageType.Request, id: 16384, route: "connector.entryHandler.entry", body: utf8("{}") };
    assert.deepEqual(encodeDataPackage(message, dictionary), encodePackage(PackageType.Data, encodeMessage(message, dictionary)));
  });

  it("a socket's pending messages become one buffer, equal to their packages concatenated", () => {
    const pending: Message[] = [
      { type: MessageType.Response, id: 1, body: '{"code":200}' },
      { type: MessageType.Push, route: "onChat", body: utf8('{"msg":"hi"}') },
      { type: MessageType.Push, route: "not.in.dictionary", body: "" },
    ];
    assert.deepEqual(encodeDataPackages(pending, dictionary), Buffer.concat(pending.map((message) => encodeDataPackage(message, dictionary))));
  });

  it("writeDataPackage fills a reused send buffer at an offset, exactly measureDataPackage bytes", () => {
    const message: Message = { type: MessageType.Push, route: "onChat", body: '{"msg":"ünïcode"}' };
    const size = measureDataPackage(message, dictionary);
    const sendBuffer = Buffer.alloc(64, 0xee);
    const end = writeDataPackage(sendBuffer, 10, message, dictionary);
    assert.equal(end, 10 + size);
    assert.deepEqual(sendBuffer.subarray(10, end), encodeDataPackage(message, dictionary));
    assert.ok(sendBuffer.subarray(0, 10).every((byte) => byte === 0xee));
    assert.ok(sendBuffer.subarray(end).every((byte) => byte === 0xee));
  });

  it("any batch of messages decodes back, package by package", () => {
    fc.assert(
      fc.property(fc.array(messages(), { maxLength: 6 }), (batch) => {
        const frames = batch.length === 0 ? [] : decodePackages(encodeDataPackages(batch, dictionary), Number.POSITIVE_INFINITY);
        assert.equal(frames.length, batch.length);
        frames.forEach((frame, index) => {
          assert.equal(frame.type, PackageType.Data);
          assert.deepEqual(comparable(decodeMessage(frame.body, dictionary)), comparable(batch[index]));
        });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("a message too big for the 3-byte length is OVERSIZED, before anything is allocated", () => {
    const body = "x".repeat(MAX_PACKAGE_BODY_BYTES - 2);
    assert.equal(measureDataPackage({ type: MessageType.Response, id: 1, body }), 4 + MAX_PACKAGE_BODY_BYTES);
    assertRejects(() => measureDataPackage({ type: MessageType.Response, id: 128, body }), "OVERSIZED");
    assertRejects(() => encodeDataPackages([{ type: MessageType.Push, route: "r", body }]), "OVERSIZED");
  });

  it("a bad message anywhere in a batch rejects the batch before writing", () => {
    assertRejects(
      () =>
        encodeDataPackages([
          { type: MessageType.Push, route: "ok", body: "" },
          { type: MessageType.Push, route: "x".repeat(300), body: "" },
        ]),
      "ROUTE_TOO_LONG",
    );
  });
});
