/**
 * A real BackendGateway for connector tests (a test peer, not a mock): `echo.*` answers with the
 * request, `fail.h.<CODE>` rejects with that BackendFailure, `lost.*` ends the session as the
 * router would, `rebind.*` moves it and answers; any other type is unknown.
 */
import { BackendFailure, type BackendFailureCode, type BackendGateway, type SessionEvents } from "../../services/src/routing/backend-gateway";
import type { Session } from "../../services/src/session/session";

export class TestGateway implements BackendGateway {
  readonly notifies: Array<{ sessionId: string; route: string; body: Buffer }> = [];
  readonly closed: Array<{ sessionId: string; reason: string }> = [];

  constructor(private readonly events: SessionEvents) {}

  request(session: Session, route: string, body: Buffer): Promise<Buffer> {
    const [type, , method] = route.split(".");
    switch (type) {
      case "echo": {
        let value: unknown;
        try {
          value = JSON.parse(body.toString("utf8"));
        } catch {
          return Promise.reject(new BackendFailure("HANDLER_ERROR", "body is not JSON", "BAD_INPUT"));
        }
        const snapshot = session.snapshot();
        return Promise.resolve(Buffer.from(JSON.stringify({ code: 200, echo: value, sessionId: snapshot.id, uid: snapshot.uid, settings: snapshot.settings })));
      }
      case "fail":
        return Promise.reject(new BackendFailure(method as BackendFailureCode, `chosen failure ${method}`, method === "HANDLER_ERROR" ? "BAD_INPUT" : undefined));
      case "lost":
        this.events.ended(session, "lost", "server lost: lost-1 died");
        return Promise.reject(new BackendFailure("SERVER_LOST", "server lost: lost-1 died"));
      case "rebind":
        this.events.rebound(session, "rebind", "rebind-2");
        return Promise.resolve(Buffer.from('{"code":200}'));
      default:
        return Promise.reject(new BackendFailure("UNKNOWN_SERVER_TYPE", `no server type ${type}`));
    }
  }

  notify(session: Session, route: string, body: Buffer): void {
    this.notifies.push({ sessionId: session.id, route, body });
  }

  sessionClosed(session: Session, reason: string): void {
    this.closed.push({ sessionId: session.id, reason });
  }
}
