import assert from "node:assert/strict";
import {
  decodeMessage,
  decodePackages,
  encodeMessage,
  encodePackage,
  jsonBodyCodec,
  MAX_PACKAGE_BODY_BYTES,
  MessageType,
  PackageType,
  parseClientHandshake,
  ProtocolError,
  RouteDictionary,
  type ProtocolErrorCode,
} from "../../services/src/protocol";
import { declareProtos } from "../../services/src/protocol/protobuf/declare-protos";
import { ERROR_CODES, utf8 } from "./generators";

/** The smallest input that produces each documented error code. */
const EXAMPLES: Record<ProtocolErrorCode, () => unknown> = {
  TRUNCATED: () => decodePackages(Buffer.from([4, 0, 0, 2, 0x7b])),
  OVERSIZED: () => encodePackage(PackageType.Data, Buffer.alloc(MAX_PACKAGE_BODY_BYTES + 1)),
  UNKNOWN_PACKAGE_TYPE: () => decodePackages(Buffer.from([6, 0, 0, 0])),
  BAD_MESSAGE_FLAG: () => decodeMessage(Buffer.from([0x10])),
  BAD_VARINT: () => decodeMessage(Buffer.from([0x04, 0x80])),
  ROUTE_TOO_LONG: () => encodeMessage({ type: MessageType.Notify, route: "r".repeat(256), body: "" }),
  UNKNOWN_ROUTE_CODE: () => decodeMessage(Buffer.from([0x03, 0x12, 0x34]), RouteDictionary.fromRoutes(["onChat"])),
  BAD_ROUTE: () => decodeMessage(Buffer.from([0x02, 0x01, 0xff])),
  BAD_BODY: () => jsonBodyCodec.decode("onChat", utf8("{oops}")),
  BAD_HANDSHAKE: () => parseClientHandshake(utf8('{"user":{}}')),
  BAD_DICTIONARY: () => RouteDictionary.fromHandshakeDict({ onChat: 0 }),
  BAD_PROTOS: () => declareProtos({ server: { onChat: { "required bool loud": 1 } } }),
};

describe("protocol: errors", () => {
  for (const code of ERROR_CODES) {
    it(`${code} is a ProtocolError with that stable code and a message saying what was wrong`, () => {
      assert.throws(EXAMPLES[code], (error: unknown) => {
        assert.ok(error instanceof ProtocolError && error instanceof Error);
        assert.equal(error.name, "ProtocolError");
        assert.equal(error.code, code);
        assert.ok(error.message.length > 10, error.message);
        return true;
      });
    });
  }
});
