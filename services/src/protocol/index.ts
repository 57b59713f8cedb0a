/**
 * Pomelo's client protocol, byte for byte: package framing, messages, route compression,
 * handshake and kick bodies. See docs/protocol.md for limits and error codes.
 */
export { ProtocolError, type ProtocolErrorCode } from "./errors";
export { MAX_MESSAGE_ID, MAX_VARINT_BYTES } from "./varint";
export {
  PackageType,
  PACKAGE_HEADER_BYTES,
  MAX_PACKAGE_BODY_BYTES,
  DEFAULT_MAX_CLIENT_BODY_BYTES,
  type Package,
  encodePackage,
  encodePackages,
  decodePackages,
} from "./package";
export {
  MessageType,
  type MessageBody,
  type Message,
  type RequestMessage,
  type NotifyMessage,
  type ResponseMessage,
  type PushMessage,
  type RouteArrival,
  type DecodedMessage,
  measureMessage,
  writeMessage,
  encodeMessage,
  decodeMessage,
} from "./message";
export { measureDataPackage, writeDataPackage, encodeDataPackage, encodeDataPackages } from "./data-package";
export { RouteDictionary, MAX_ROUTE_BYTES, MIN_ROUTE_CODE, MAX_ROUTE_CODE } from "./route-dictionary";
export { type BodyCodec, jsonBodyCodec } from "./body-codec";
export { ProtobufProtos, RouteProtobuf, type ProtosSource, type ParsedProtos, MAX_NESTING_DEPTH } from "./protobuf";
export {
  HandshakeCode,
  type ClientHandshake,
  type ClientHandshakeSys,
  type HandshakeAccepted,
  type HandshakeRejected,
  type HandshakeResponse,
  parseClientHandshake,
  encodeHandshakeResponse,
  parseHandshakeResponse,
} from "./handshake";
export { type Kick, encodeKickPackage, parseKick } from "./kick";
export { type JsonObject } from "./json";
