/**
 * Why a byte sequence or a value is not valid Pomelo protocol. The codes are stable: connectors
 * log them and count them as metrics, so renaming one is a breaking change.
 */
export type ProtocolErrorCode =
  /** Input ends before a header, length, route or flag it announces. */
  | "TRUNCATED"
  /** A body longer than the configured or the 3-byte (16 MiB - 1) limit. */
  | "OVERSIZED"
  /** A package type other than 1..5. */
  | "UNKNOWN_PACKAGE_TYPE"
  /** A message type other than 0..3, or flag bits we do not implement (gzip, reserved). */
  | "BAD_MESSAGE_FLAG"
  /** A message id that is truncated, not minimally encoded, or over the maximum id. */
  | "BAD_VARINT"
  /** A plain route over 255 UTF-8 bytes (encode side). */
  | "ROUTE_TOO_LONG"
  /** A compressed route code that the route dictionary does not know. */
  | "UNKNOWN_ROUTE_CODE"
  /** A plain route that is not valid UTF-8. */
  | "BAD_ROUTE"
  /** A body the body codec cannot decode or a value it cannot encode. */
  | "BAD_BODY"
  /** A handshake that is not the JSON shape Pomelo defines, or bad handshake options. */
  | "BAD_HANDSHAKE"
  /** A route dictionary with duplicate or out-of-range codes or unusable routes. */
  | "BAD_DICTIONARY"
  /** Protobuf protos that are not Pomelo's JSON format, or use a type pomelo-protobuf cannot encode. */
  | "BAD_PROTOS";

/** The only error the protocol codec throws for bad input: callers close the connection on it. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}
