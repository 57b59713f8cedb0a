import { ProtocolError } from "./errors";
import { parseJsonBytes } from "./json";
import type { MessageBody } from "./message";

/**
 * Turns message bodies into values and back. JSON is Pomelo's default; a protobuf codec (Pomelo's
 * `protos`) picks its schema by route, which is why every call names the route.
 */
export interface BodyCodec {
  /** The body for `value` sent on `route`; a string is written into the package as UTF-8. Throws BAD_BODY. */
  encode(route: string, value: unknown): MessageBody;
  /** The value carried by `body` on `route`. Throws BAD_BODY. */
  decode(route: string, body: Uint8Array): unknown;
}

/**
 * UTF-8 JSON. Encoding returns the JSON text, so the package encoder writes it straight into the
 * output buffer. An empty body is not JSON and is rejected like any other non-JSON.
 */
export const jsonBodyCodec: BodyCodec = {
  encode(_route: string, value: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      throw new ProtocolError("BAD_BODY", "value cannot be serialized as JSON (a cycle, a BigInt or a throwing toJSON)");
    }
    if (text === undefined) {
      throw new ProtocolError("BAD_BODY", `a ${typeof value} has no JSON form`);
    }
    return text;
  },

  decode(_route: string, body: Uint8Array): unknown {
    return parseJsonBytes(body, "BAD_BODY", "message body");
  },
};
