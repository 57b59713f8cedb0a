/**
 * The Pomelo state machine of one client socket: handshake → handshake-ack → heartbeats and data.
 * A WebSocket message is decoded into packages first (all or nothing) and they are handled in
 * order; anything out of order or malformed closes the socket with a reason, never throws.
 */
import { log } from "../../logging";
import {
  decodeMessage,
  decodePackages,
  encodeHandshakeResponse,
  encodePackage,
  HandshakeCode,
  MessageType,
  PackageType,
  parseClientHandshake,
  ProtocolError,
  type ClientHandshake,
  type ClientHandshakeSys,
  type JsonObject,
  type Package,
  type RouteDictionary,
} from "../../protocol";
import type { MessageRouter } from "../client-to-backend/message-router";
import type { ConnectorConfig } from "../config";
import type { ConnectorCounters } from "../counters";
import type { ProtobufTranscoder } from "../protobuf-transcoder";
import { ConnectionPhase, type ClientConnection } from "../socket/client-connection";

/** What a game's own handshake check answers: accept, or refuse as failed (500) or too old (501). */
export type HandshakeVerdict = "ok" | "fail" | "old-client";
export type HandshakeCheck = (handshake: ClientHandshake) => HandshakeVerdict;
/** Extra `user` fields of one client's handshake answer (its uid and resume token); undefined: the shared answer. */
export type HandshakeUser = (connection: ClientConnection) => JsonObject | undefined;

const HEARTBEAT_PACKAGE = encodePackage(PackageType.Heartbeat);
const HANDSHAKE_FAILED = encodeHandshakeResponse({ code: HandshakeCode.Fail });
const HANDSHAKE_OLD_CLIENT = encodeHandshakeResponse({ code: HandshakeCode.OldClient });

/**
 * Bodies of a connection: JSON (the client announced no `sys.protoVersion`, or there are no protos),
 * protobuf with the client's cached protos current, or protobuf with the protos sent in the answer —
 * Pomelo's rule: they go only to a client whose announced version differs.
 */
type ProtoOffer = "json" | "protobuf" | "protobufWithProtos";

export class ClientPackageHandler {
  /** The same acceptance for every client of each kind, encoded once. */
  private readonly handshakeAccepted: Readonly<Record<ProtoOffer, Buffer>>;
  private readonly dictionary: RouteDictionary | undefined;

  constructor(
    private readonly config: ConnectorConfig,
    private readonly router: MessageRouter,
    private readonly counters: ConnectorCounters,
    private readonly handshakeCheck: HandshakeCheck | undefined,
    private readonly handshakeUser: HandshakeUser | undefined,
    /** The client acknowledged the handshake: from now on it may receive data packages. */
    private readonly onReady: (connection: ClientConnection) => void,
    private readonly protobuf: ProtobufTranscoder | undefined,
  ) {
    this.dictionary = config.routeDictionary;
    const json = this.acceptance({}, "json");
    this.handshakeAccepted =
      protobuf === undefined ? { json, protobuf: json, protobufWithProtos: json } : { json, protobuf: this.acceptance({}, "protobuf"), protobufWithProtos: this.acceptance({}, "protobufWithProtos") };
  }

  private acceptance(user: JsonObject, offer: ProtoOffer): Buffer {
    return encodeHandshakeResponse({
      code: HandshakeCode.Ok,
      heartbeatSeconds: this.config.heartbeatSec,
      ...(this.config.routeDictionary === undefined ? {} : { dictionary: this.config.routeDictionary }),
      ...(offer === "protobufWithProtos" ? { protos: this.protobuf!.protos.handshake } : {}),
      ...(offer === "json" ? {} : { useProto: true }),
      // Which connector answered: clients and operators can tell where a proxy or gate sent them.
      user: { connectorId: this.config.connectorId, ...user },
    });
  }

  private protoOffer(sys: ClientHandshakeSys): ProtoOffer {
    if (this.protobuf === undefined || sys.protoVersion === undefined) return "json";
    return sys.protoVersion === this.protobuf.protos.version ? "protobuf" : "protobufWithProtos";
  }

  /** `data` is uWS memory, valid only during this call. */
  onMessage(connection: ClientConnection, data: ArrayBuffer, isBinary: boolean, nowMs: number): void {
    this.counters.messagesIn++;
    connection.lastHeardMs = nowMs;
    if (!isBinary) {
      connection.close("unsupportedData", "text frames are not Pomelo packages: send binary");
      return;
    }
    let packages: Package<Buffer>[];
    try {
      packages = decodePackages(new Uint8Array(data), this.config.maxPackageBodyBytes);
    } catch (error) {
      this.badInput(connection, error);
      return;
    }
    this.counters.packagesIn += packages.length;
    if (packages.length > this.config.maxPackagesPerMessage) {
      connection.close("rateLimited", `too many packages in one message: ${packages.length} > ${this.config.maxPackagesPerMessage}`);
      return;
    }
    if (!connection.rate.take(packages.length, nowMs)) {
      connection.close("rateLimited", `rate limit exceeded: over ${this.config.rateLimitPackagesPerSec} packages/s`);
      return;
    }
    for (let index = 0; index < packages.length && connection.isOpen; index++) {
      try {
        this.onPackage(connection, packages[index]);
      } catch (error) {
        this.badInput(connection, error);
      }
    }
  }

  private onPackage(connection: ClientConnection, pkg: Package<Buffer>): void {
    switch (pkg.type) {
      case PackageType.Handshake:
        this.onHandshake(connection, pkg.body);
        return;
      case PackageType.HandshakeAck:
        if (connection.phase !== ConnectionPhase.AwaitingAck) {
          connection.close("protocolError", "protocol violation: handshake ack without a handshake");
          return;
        }
        connection.phase = ConnectionPhase.Ready;
        this.counters.handshakes++;
        this.onReady(connection);
        return;
      case PackageType.Heartbeat:
        if (connection.phase === ConnectionPhase.AwaitingHandshake) {
          connection.close("protocolError", "protocol violation: heartbeat before handshake");
          return;
        }
        // The client drives the cadence: answer at once, it schedules the next one.
        connection.send(HEARTBEAT_PACKAGE);
        return;
      case PackageType.Data:
        if (connection.phase !== ConnectionPhase.Ready) {
          connection.close("protocolError", "protocol violation: data before handshake ack");
          return;
        }
        this.onData(connection, pkg.body);
        return;
      default:
        connection.close("protocolError", "protocol violation: clients do not send kick packages");
    }
  }

  private onHandshake(connection: ClientConnection, body: Buffer): void {
    if (connection.phase !== ConnectionPhase.AwaitingHandshake) {
      connection.close("protocolError", "protocol violation: second handshake");
      return;
    }
    let handshake: ClientHandshake;
    try {
      handshake = parseClientHandshake(body);
    } catch (error) {
      this.rejectHandshake(connection, HANDSHAKE_FAILED, `handshake rejected (500): ${messageOf(error)}`);
      return;
    }
    let verdict: HandshakeVerdict = "ok";
    if (this.handshakeCheck !== undefined) {
      try {
        verdict = this.handshakeCheck(handshake);
      } catch (error) {
        log.error({ err: error, sessionId: connection.session.id }, "handshake check threw");
        verdict = "fail";
      }
    }
    if (verdict === "old-client") {
      this.rejectHandshake(connection, HANDSHAKE_OLD_CLIENT, "handshake rejected (501): client version too old");
      return;
    }
    if (verdict !== "ok") {
      this.rejectHandshake(connection, HANDSHAKE_FAILED, "handshake rejected (500)");
      return;
    }
    connection.phase = ConnectionPhase.AwaitingAck;
    const offer = this.protoOffer(handshake.sys);
    if (offer !== "json") {
      connection.protobuf = true;
      this.counters.protobufClients++;
    }
    const user = this.handshakeUser?.(connection);
    connection.send(user === undefined ? this.handshakeAccepted[offer] : this.acceptance(user, offer));
  }

  private rejectHandshake(connection: ClientConnection, response: Buffer, reason: string): void {
    connection.send(response);
    connection.close("handshakeRejected", reason);
  }

  private onData(connection: ClientConnection, body: Buffer): void {
    const message = decodeMessage(body, this.dictionary);
    if (message.type === MessageType.Request) {
      this.router.request(connection, message.id, message.route, this.jsonBody(connection, message.route, message.body));
    } else if (message.type === MessageType.Notify) {
      this.router.notify(connection, message.route, this.jsonBody(connection, message.route, message.body));
    } else {
      connection.close("protocolError", "protocol violation: clients send only requests and notifies");
    }
  }

  /** What backends and local handlers read: a protobuf client's body decoded (BAD_BODY closes the connection). */
  private jsonBody(connection: ClientConnection, route: string, body: Buffer): Buffer {
    return connection.protobuf ? this.protobuf!.requestBody(route, body) : body;
  }

  private badInput(connection: ClientConnection, error: unknown): void {
    if (error instanceof ProtocolError) {
      connection.close(error.code === "OVERSIZED" ? "oversized" : "protocolError", `bad package: ${error.code}: ${error.message}`);
      return;
    }
    log.error({ err: error, sessionId: connection.session.id }, "failed handling a client message");
    connection.close("internalError", "internal error");
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
