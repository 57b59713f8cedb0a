import type { CloseKind } from "./socket/close-reasons";
import type { UpgradeRejection } from "./socket/upgrade";

/** What a connector has done, for metrics and tests. Gauges are read live; the rest only grow. */
export interface ConnectorCounters {
  /** Open client sockets (gauge). */
  clients: number;
  /** Sessions registered on this connector (gauge). */
  sessions: number;
  handshakes: number;
  /** WebSocket messages received from clients / sent to clients (direct sends; broadcasts in fanoutMessages). */
  messagesIn: number;
  messagesOut: number;
  packagesIn: number;
  requests: number;
  notifies: number;
  /** Answers that found their client gone. */
  responsesDropped: number;
  /** Closes by kind (kicks and every other close). */
  closes: Record<CloseKind, number>;
  /** Clients closed because they stopped reading (also in closes.backpressure). */
  backpressureCloses: number;
  batchesApplied: number;
  /** Tick batches whose messages a newer batch of the same game server superseded while they waited (config maxWaitingTicksPerServer). */
  batchesSuperseded: number;
  /** Topic publishes from batches. */
  broadcasts: number;
  /** Messages written to sockets by batches: each publish counts once per subscriber, each direct once. */
  fanoutMessages: number;
  /** Batch/push entries naming a session not on this connector. */
  unknownSessionsSkipped: number;
  /** Upgrades refused before any socket opened (auth config), by reason: 401 token reasons, 403 WRONG_CONNECTOR and Origin. */
  upgradesRejected: Record<UpgradeRejection, number>;
  /** Upgrades accepted with a valid connect token (the session starts bound to its uid). */
  upgradesAuthenticated: number;
  /** Handshakes that asked for protobuf bodies (`sys.protoVersion`) on a connector with protos. */
  protobufClients: number;
  /** Responses and pushes whose value did not fit the route's protobuf message (a game bug; logged once per route). */
  protobufEncodeFailures: number;
}

export function emptyCounters(): ConnectorCounters {
  return {
    clients: 0,
    sessions: 0,
    handshakes: 0,
    messagesIn: 0,
    messagesOut: 0,
    packagesIn: 0,
    requests: 0,
    notifies: 0,
    responsesDropped: 0,
    closes: {
      kicked: 0,
      duplicateLogin: 0,
      heartbeatTimeout: 0,
      handshakeRejected: 0,
      handshakeTimeout: 0,
      serverLost: 0,
      backpressure: 0,
      protocolError: 0,
      unsupportedData: 0,
      rateLimited: 0,
      oversized: 0,
      shutdown: 0,
      draining: 0,
      internalError: 0,
      clientClosed: 0,
    },
    backpressureCloses: 0,
    batchesApplied: 0,
    batchesSuperseded: 0,
    broadcasts: 0,
    fanoutMessages: 0,
    unknownSessionsSkipped: 0,
    upgradesRejected: {
      MISSING: 0,
      MALFORMED: 0,
      BAD_SIGNATURE: 0,
      EXPIRED: 0,
      NOT_YET_VALID: 0,
      WRONG_CONNECTOR: 0,
      ORIGIN_NOT_ALLOWED: 0,
      ORIGIN_MISSING: 0,
    },
    upgradesAuthenticated: 0,
    protobufClients: 0,
    protobufEncodeFailures: 0,
  };
}
