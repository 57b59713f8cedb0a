/**
 * Pomelo protobuf bodies (NetEase's `pomelo-protobuf` format): protos, encoder, decoder. docs/protocol.md,
 * "Protobuf bodies". Servers build protos from a declaration with `declare-protos.ts` (node:crypto, so not here).
 */
export { ProtobufProtos, RouteProtobuf, type ProtosSource } from "./protobuf-protos";
export { parseProtos, SCALAR_TYPES, MAX_FIELD_TAG, type ParsedProtos, type ParsedMessage, type ParsedField } from "./schema";
export { MAX_NESTING_DEPTH } from "./encoder";
