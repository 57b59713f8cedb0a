/** Pomelo protobuf bodies (NetEase's `pomelo-protobuf` format): protos, encoder, decoder. docs/protocol.md, "Protobuf bodies". */
export { ProtobufProtos, RouteProtobuf, type ProtosSource } from "./protobuf-protos";
export { parseProtos, protosVersion, SCALAR_TYPES, MAX_FIELD_TAG, type ParsedProtos, type ParsedMessage, type ParsedField } from "./schema";
export { MAX_NESTING_DEPTH } from "./encoder";
