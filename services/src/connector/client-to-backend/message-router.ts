/**
 * Where a client's request or notify goes: `connector.*` routes to a local handler, everything
 * else through the BackendGateway (sticky routing) with the body bytes copied out of uWS memory.
 * Answers are framed as Pomelo responses with the request's id; failures become error bodies.
 */
import { log } from "../../logging";
import { encodeDataPackage, jsonBodyCodec, MessageType, ProtocolError, type MessageBody, type RouteDictionary } from "../../protocol";
import { BackendFailure, type BackendGateway } from "../../routing/backend-gateway";
import { LOCAL_ROUTE_PREFIX, LocalHandlerError, type LocalHandlers } from "../client-to-connector/local-handlers";
import type { ConnectorCounters } from "../counters";
import type { ProtobufTranscoder } from "../protobuf-transcoder";
import type { ClientConnection } from "../socket/client-connection";
import { errorResponseBody } from "./error-response";
import { RouteLimiter, type RouteLimit } from "./route-limits";

/** Told how each forwarded request ended: `outcome` is "ok" or the BackendFailure code. */
export type RequestObserver = (route: string, durationMs: number, outcome: string) => void;

export class MessageRouter {
  constructor(
    private readonly gateway: BackendGateway,
    private readonly local: LocalHandlers,
    private readonly counters: ConnectorCounters,
    private readonly maxInFlightRequests: number,
    private readonly observe: RequestObserver | undefined = undefined,
    private readonly routeLimits: ReadonlyMap<string, RouteLimit> = new Map(),
    private readonly protobuf: ProtobufTranscoder | undefined = undefined,
  ) {}

  /** Within the route's own limit; otherwise the client is closed 1008 with the route in the reason. */
  private withinRouteLimit(connection: ClientConnection, route: string): boolean {
    if (this.routeLimits.size === 0 || !this.routeLimits.has(route)) return true;
    connection.routeLimiter ??= new RouteLimiter(this.routeLimits);
    if (connection.routeLimiter.allow(route, performance.now())) return true;
    connection.close("rateLimited", `rate limit exceeded on ${route.slice(0, 80)}: over ${this.routeLimits.get(route)!.perSec}/s`);
    return false;
  }

  /** `body` is a view into uWS memory: valid only during this call. */
  request(connection: ClientConnection, id: number, route: string, body: Buffer): void {
    this.counters.requests++;
    if (!this.withinRouteLimit(connection, route)) return;
    if (route.startsWith(LOCAL_ROUTE_PREFIX)) {
      this.localRequest(connection, id, route, body);
      return;
    }
    if (connection.inFlightRequests >= this.maxInFlightRequests) {
      this.respond(connection, id, route, errorResponseBody("TOO_MANY_REQUESTS", `at most ${this.maxInFlightRequests} requests may wait for an answer`));
      return;
    }
    connection.inFlightRequests++;
    const startedMs = this.observe === undefined ? 0 : performance.now();
    let reply: Promise<Buffer>;
    try {
      reply = this.gateway.request(connection.session, route, Buffer.from(body));
    } catch (error) {
      reply = Promise.reject(error);
    }
    reply.then(
      (answer) => {
        connection.inFlightRequests--;
        this.observe?.(route, performance.now() - startedMs, "ok");
        if (!this.respond(connection, id, route, answer)) this.counters.responsesDropped++;
      },
      (error: unknown) => {
        connection.inFlightRequests--;
        this.observe?.(route, performance.now() - startedMs, error instanceof BackendFailure ? error.code : "INTERNAL");
        this.failed(connection, id, route, error);
      },
    );
  }

  notify(connection: ClientConnection, route: string, body: Buffer): void {
    this.counters.notifies++;
    if (!this.withinRouteLimit(connection, route)) return;
    if (route.startsWith(LOCAL_ROUTE_PREFIX)) {
      const handler = this.local.get(route);
      if (handler === undefined) return;
      try {
        handler({ session: connection.session, route, body: jsonBodyCodec.decode(route, body) });
      } catch (error) {
        if (!(error instanceof ProtocolError) && !(error instanceof LocalHandlerError)) log.error({ err: error, route, sessionId: connection.session.id }, "local notify failed");
      }
      return;
    }
    try {
      this.gateway.notify(connection.session, route, Buffer.from(body));
    } catch (error) {
      log.error({ err: error, route, sessionId: connection.session.id }, "gateway.notify threw (it must not)");
    }
  }

  private localRequest(connection: ClientConnection, id: number, route: string, body: Buffer): void {
    const handler = this.local.get(route);
    if (handler === undefined) {
      this.respond(connection, id, route, errorResponseBody("UNKNOWN_ROUTE", `no connector handler for ${route}`));
      return;
    }
    let value: unknown;
    try {
      value = jsonBodyCodec.decode(route, body);
    } catch {
      this.respond(connection, id, route, errorResponseBody("BAD_BODY", "request body must be UTF-8 JSON"));
      return;
    }
    let answer: unknown;
    try {
      answer = handler({ session: connection.session, route, body: value });
    } catch (error) {
      this.respond(connection, id, route, localErrorBody(route, error));
      return;
    }
    if (answer instanceof Promise) {
      connection.inFlightRequests++;
      answer.then(
        (resolved: unknown) => {
          connection.inFlightRequests--;
          this.respond(connection, id, route, encodeLocalAnswer(route, resolved));
        },
        (error: unknown) => {
          connection.inFlightRequests--;
          this.respond(connection, id, route, localErrorBody(route, error));
        },
      );
      return;
    }
    this.respond(connection, id, route, encodeLocalAnswer(route, answer));
  }

  private failed(connection: ClientConnection, id: number, route: string, error: unknown): void {
    if (!(error instanceof BackendFailure)) {
      log.error({ err: error, sessionId: connection.session.id }, "gateway.request rejected with a non-BackendFailure (contract violation)");
      this.respond(connection, id, route, errorResponseBody("INTERNAL", "internal error"));
      return;
    }
    if (error.code === "SERVER_LOST") {
      // The router also reports this through SessionEvents.ended; whichever comes first closes the session.
      connection.close("serverLost", error.message);
      return;
    }
    if (!this.respond(connection, id, route, errorResponseBody(error.code, error.message, error.handlerCode))) this.counters.responsesDropped++;
  }

  /** Sends a response package, in the body format of the connection and the request's route; false when the client is gone. */
  private respond(connection: ClientConnection, id: number, route: string, body: MessageBody): boolean {
    if (!connection.isOpen) return false;
    const encoded = connection.protobuf ? this.protobuf!.serverBody(route, body) : body;
    return connection.send(encodeDataPackage({ type: MessageType.Response, id, body: encoded }));
  }
}

function encodeLocalAnswer(route: string, value: unknown): MessageBody {
  try {
    return jsonBodyCodec.encode(route, value ?? {});
  } catch {
    return errorResponseBody("HANDLER_ERROR", `connector handler ${route} answered with a value that has no JSON form`);
  }
}

function localErrorBody(route: string, error: unknown): string {
  if (error instanceof LocalHandlerError) return errorResponseBody("HANDLER_ERROR", error.message, error.handlerCode);
  log.error({ err: error, route }, "local handler failed");
  return errorResponseBody("HANDLER_ERROR", `connector handler ${route} failed`);
}

/** Pushes `value` on `route` to one client (e.g. `onRebind`): JSON, or protobuf for a protobuf client on a route with a proto. */
export function pushJson(connection: ClientConnection, route: string, value: unknown, dictionary: RouteDictionary | undefined, protobuf: ProtobufTranscoder | undefined): boolean {
  const json = JSON.stringify(value);
  return connection.send(encodeDataPackage({ type: MessageType.Push, route, body: connection.protobuf ? protobuf!.serverBody(route, json) : json }, dictionary));
}
