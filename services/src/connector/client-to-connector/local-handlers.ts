/**
 * Handlers for `connector.<handler>.<method>` routes, answered on the connector itself without a
 * backend round trip. Bodies are JSON in both directions; a throw becomes a HANDLER_ERROR response.
 */
import type { Session } from "../../session/session";

export const LOCAL_ROUTE_PREFIX = "connector.";

export interface LocalRequest {
  readonly session: Session;
  readonly route: string;
  /** The decoded JSON body. */
  readonly body: unknown;
}

/** Returns the JSON response value (ignored for notifies). */
export type LocalHandler = (request: LocalRequest) => unknown;

/** An error a local handler throws to choose the code the client sees. */
export class LocalHandlerError extends Error {
  constructor(
    readonly handlerCode: string,
    message: string,
  ) {
    super(message);
    this.name = "LocalHandlerError";
  }
}

const LOCAL_ROUTE = /^connector\.[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*$/;

export class LocalHandlers {
  private readonly handlers = new Map<string, LocalHandler>();

  /** Registers `route` (`connector.<handler>.<method>`); a second registration replaces the first. */
  handle(route: string, handler: LocalHandler): this {
    if (!LOCAL_ROUTE.test(route)) throw new Error(`local route must look like connector.<handler>.<method>, got "${route}"`);
    this.handlers.set(route, handler);
    return this;
  }

  get(route: string): LocalHandler | undefined {
    return this.handlers.get(route);
  }

  routes(): string[] {
    return [...this.handlers.keys()];
  }
}

/** `connector.session.ping`: a round trip that never leaves the connector; answers who you are and the server clock. */
export function pingHandler(request: LocalRequest): unknown {
  return { code: 200, sessionId: request.session.id, uid: request.session.uid, serverTimeMs: Date.now() };
}
