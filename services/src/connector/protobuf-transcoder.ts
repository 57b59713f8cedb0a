/**
 * Protobuf bodies for the connections that asked for them (`sys.protoVersion` in the handshake):
 * game servers speak JSON, such a client speaks Pomelo protobuf on every route that has a proto,
 * and the connector translates at the edge. Requests are decoded to JSON before routing (a body
 * that is not the route's message closes the connection, like any malformed package); responses
 * are encoded by the request's route, pushes by theirs. A batch's broadcast is translated once per
 * batch for all protobuf subscribers (tick-fanout.ts), never per socket.
 */
import { log } from "../logging";
import {
  decodeMessage,
  decodePackages,
  encodeDataPackage,
  MAX_PACKAGE_BODY_BYTES,
  MessageType,
  PACKAGE_HEADER_BYTES,
  PackageType,
  type MessageBody,
  type ProtobufProtos,
  type RouteDictionary,
} from "../protocol";
import { parseJsonBytes } from "../protocol/json";
import type { ConnectorCounters } from "./counters";

const EMPTY_BODY = Buffer.alloc(0);

export class ProtobufTranscoder {
  /** Routes whose encoding failure was logged already: a game bug would otherwise log every tick. */
  private readonly reported = new Set<string>();
  private readonly pushesHaveProtos: boolean;

  constructor(
    readonly protos: ProtobufProtos,
    private readonly dictionary: RouteDictionary | undefined,
    private readonly counters: ConnectorCounters,
  ) {
    this.pushesHaveProtos = Object.keys(protos.server.parsed).length > 0;
  }

  /** A request or notify body as the JSON bytes backends expect. Throws BAD_BODY for anything but the route's message. */
  requestBody(route: string, body: Buffer): Buffer {
    if (!this.protos.client.has(route)) return body;
    return Buffer.from(JSON.stringify(this.protos.client.decode(route, body)), "utf8");
  }

  /** A JSON response (by the request's route) or push as the client decodes it; empty (the message's `{}`) when it does not fit. */
  serverBody(route: string, body: MessageBody): MessageBody {
    if (!this.protos.server.has(route)) return body;
    return this.encodeJson(route, body) ?? EMPTY_BODY;
  }

  /**
   * Complete packages with every push on a protobuf route re-encoded; the same Buffer when none
   * is. A push whose value does not fit its message is left out (a protobuf client could not read
   * its JSON either), counted and logged; so are packages a game server framed wrongly. Empty when
   * nothing is left: callers then send nothing.
   */
  packages(bytes: Buffer): Buffer {
    if (!this.pushesHaveProtos) return bytes;
    try {
      return this.translate(bytes);
    } catch (error) {
      this.failed("(undecodable packages from a game server)", error);
      return EMPTY_BODY;
    }
  }

  private translate(bytes: Buffer): Buffer {
    const parts: Buffer[] = [];
    let changed = false;
    for (const pkg of decodePackages(bytes, MAX_PACKAGE_BODY_BYTES)) {
      const start = pkg.body.byteOffset - bytes.byteOffset - PACKAGE_HEADER_BYTES;
      const whole = bytes.subarray(start, start + PACKAGE_HEADER_BYTES + pkg.body.length);
      if (pkg.type !== PackageType.Data) {
        parts.push(whole);
        continue;
      }
      const message = decodeMessage(pkg.body, this.dictionary);
      if (message.type !== MessageType.Push || !this.protos.server.has(message.route)) {
        parts.push(whole);
        continue;
      }
      changed = true;
      const body = this.encodeJson(message.route, message.body);
      if (body !== undefined) parts.push(encodeDataPackage({ type: MessageType.Push, route: message.route, body }, this.dictionary));
    }
    return changed ? Buffer.concat(parts) : bytes;
  }

  private encodeJson(route: string, body: MessageBody): Buffer | undefined {
    try {
      const value = typeof body === "string" ? JSON.parse(body) : parseJsonBytes(body, "BAD_BODY", "body");
      return this.protos.server.encode(route, value);
    } catch (error) {
      this.failed(route, error);
      return undefined;
    }
  }

  private failed(route: string, error: unknown): void {
    this.counters.protobufEncodeFailures++;
    if (this.reported.has(route)) return;
    this.reported.add(route);
    log.warn({ route, err: error }, "a value did not fit its route's protobuf message: protobuf clients get it empty (responses) or not at all (pushes); further failures on this route are only counted");
  }
}
