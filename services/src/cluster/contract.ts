/**
 * The contract between connectors (frontends, own the client sockets and sessions) and backend
 * game servers, carried by the internal RPC links (`services/src/rpc`). A connector always opens
 * the link; the backend answers on it and also calls/notifies the connector back over it.
 *
 * Message payloads are MessagePack; Buffers travel as raw bytes. Client-bound bytes are always
 * complete Pomelo packages (`services/src/protocol`), encoded once by whoever produced them, so a
 * connector only copies them onto sockets.
 */

/** Methods a backend game server answers (connector → backend). */
export const BackendMethod = {
  /** call: ForwardedRequest → ForwardedResponse. A client request for a route of the backend's type. */
  request: "backend.request",
  /** notify: ForwardedRequest. A client notify (no response). */
  notify: "backend.notify",
  /** notify: SessionClosed. The session is gone (client left, kicked, connector drained). */
  sessionClosed: "backend.sessionClosed",
  /**
   * notify: SessionSnapshot. A uid's session resumed on this connector (its old connector died) and
   * is bound to this server again: the server moves the uid's previous session to it.
   */
  sessionResumed: "backend.sessionResumed",
} as const;

/** Methods a connector answers (backend → connector, over the link the connector opened). */
export const ConnectorMethod = {
  /** notify: TickBatch. Exactly one per connector per tick that has something for it. */
  batch: "connector.batch",
  /** call: PushRequest → PushResult. An out-of-tick push (e.g. from a remote). */
  push: "connector.push",
  /** call: KickRequest → KickResult. */
  kick: "connector.kick",
  /** call: BindRequest → void. Binds a uid to a session (login done by a backend). */
  bind: "connector.bind",
  /** call: SessionSettingsRequest → void. Sets session key/values (shared with every later request). */
  setSettings: "connector.setSettings",
} as const;

/** A session as the backend sees it, sent with every forwarded request. */
export interface SessionSnapshot {
  /** Unique across the cluster and across connector restarts. */
  readonly id: string;
  readonly connectorId: string;
  readonly uid: string | null;
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface ForwardedRequest {
  readonly session: SessionSnapshot;
  /** Full route, `<serverType>.<handler>.<method>`. */
  readonly route: string;
  /** The client's body bytes, undecoded (the backend owns the body codec and validation). */
  readonly body: Buffer;
}

export interface ForwardedResponse {
  /** The encoded response body for the client (the connector frames it with the request id). */
  readonly body: Buffer;
}

export interface SessionClosed {
  readonly sessionId: string;
  readonly uid: string | null;
  readonly reason: string;
  /** The player may resume (network drop, drain): keep it for the resume grace instead of dropping it now. */
  readonly resumable?: boolean;
}

/** [topic, sessionId]: subscribe or unsubscribe a session's socket on a uWS topic. */
export type TopicMembership = readonly [topic: string, sessionId: string];

/**
 * Everything one backend has for one connector at the end of one tick. The connector applies
 * `unsubscribe`, then `subscribe`, then sends each socket one message per tick: the broadcasts of
 * its channels, then its own packages (connector/backend-to-client/tick-fanout.ts).
 *
 * Per-player packages travel as one blob: session `directSessions[i]` owns the bytes of
 * `directPackages` from `directEnds[i - 1]` (0 for the first) to `directEnds[i]` — on the wire a
 * list of strings, a list of integers and one binary, however many players (a [session, bytes]
 * pair each cost a MessagePack array and a Buffer view on both ends).
 */
export interface TickBatch {
  readonly serverId: string;
  readonly tick: number;
  readonly unsubscribe: readonly TopicMembership[];
  readonly subscribe: readonly TopicMembership[];
  /** [topic, packages]: one or more complete Pomelo packages, published once to the topic. */
  readonly broadcasts: ReadonlyArray<readonly [topic: string, packages: Buffer]>;
  readonly directSessions: readonly string[];
  readonly directEnds: readonly number[];
  readonly directPackages: Buffer;
  /**
   * The first batch on a new link: `subscribe` is every membership the game server holds through
   * this connector, and replaces the connector's subscriptions to that server's topics
   * (`<serverId>/…`); anything the old link carried may have been lost with it.
   */
  readonly resync?: boolean;
}

/** A batch's per-player part from [sessionId, packages] pairs (tests, tools). */
export function directPart(entries: ReadonlyArray<readonly [sessionId: string, packages: Uint8Array]>): Pick<TickBatch, "directSessions" | "directEnds" | "directPackages"> {
  const ends: number[] = [];
  let end = 0;
  for (const [, packages] of entries) ends.push((end += packages.length));
  return { directSessions: entries.map(([sessionId]) => sessionId), directEnds: ends, directPackages: Buffer.concat(entries.map(([, packages]) => packages)) };
}

/** The [sessionId, packages] pairs of a batch's per-player part (views of `directPackages`). */
export function directEntries(batch: Pick<TickBatch, "directSessions" | "directEnds" | "directPackages">): Array<[sessionId: string, packages: Buffer]> {
  return batch.directSessions.map((sessionId, index) => [sessionId, batch.directPackages.subarray(index === 0 ? 0 : batch.directEnds[index - 1], batch.directEnds[index])]);
}

export interface PushRequest {
  readonly sessionIds?: readonly string[];
  readonly uids?: readonly string[];
  /** Complete Pomelo package(s), sent as one WebSocket message to each target. */
  readonly packages: Buffer;
}

export interface PushResult {
  readonly delivered: number;
}

export interface KickRequest {
  readonly sessionId?: string;
  readonly uid?: string;
  readonly reason: string;
}

export interface KickResult {
  readonly kicked: number;
}

export interface BindRequest {
  readonly sessionId: string;
  readonly uid: string;
}

export interface SessionSettingsRequest {
  readonly sessionId: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** uWS topic of a backend channel: channels of different servers never collide on a connector. */
export function channelTopic(serverId: string, channel: string): string {
  return `${serverId}/${channel}`;
}

/** The backend server type a route goes to: its first segment (`arena` in `arena.room.join`). */
export function serverTypeOfRoute(route: string): string {
  const dot = route.indexOf(".");
  return dot <= 0 ? "" : route.slice(0, dot);
}
