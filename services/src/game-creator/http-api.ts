/**
 * The game-creator's HTTP port (uWebSockets.js): the API under `/games` (bearer token), and the
 * probes and `/metrics` (no token). The token is checked before anything of the request is parsed
 * (path, headers, body), so an anonymous client reaches no parser. Bodies are JSON of at most
 * `maxBodyBytes`; every refusal is a 4xx with `{error, reason}`; 429 past the creator's limits.
 *
 *   POST   /games                         {id, type, replicas?, tickHz?, settings?}  → 201 | 400 | 409
 *   GET    /games                                                                     → 200 {games}
 *   GET    /games/:id                                                                 → 200 | 404
 *   DELETE /games/:id                                                                 → 202 | 404
 *   PUT    /games/:id/players/:player     {code}                                      → 202 | 400 | 404
 *   DELETE /games/:id/players/:player                                                 → 202 | 404
 */
import type { Registry } from "prom-client";
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from "uWebSockets.js";
import { serveMetrics } from "../metrics";
import { loadUws } from "../transport";
import type { ApiAnswer, GameCreatorApi } from "./api";
import { bearerChecker } from "./auth";
import { readBody } from "./http-body";

export interface CreatorHttpOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly maxBodyBytes: number;
  readonly isReady: () => boolean;
  readonly metrics?: Registry;
}

export interface HttpCounters {
  requests: number;
  unauthorized: number;
  badRequests: number;
  tooLarge: number;
  limited: number;
}

const STATUS_TEXT: Record<number, string> = {
  200: "200 OK",
  201: "201 Created",
  202: "202 Accepted",
  400: "400 Bad Request",
  401: "401 Unauthorized",
  404: "404 Not Found",
  405: "405 Method Not Allowed",
  409: "409 Conflict",
  413: "413 Payload Too Large",
  415: "415 Unsupported Media Type",
  429: "429 Too Many Requests",
  500: "500 Internal Server Error",
  503: "503 Service Unavailable",
};

export class CreatorHttpServer {
  readonly counters: HttpCounters = { requests: 0, unauthorized: 0, badRequests: 0, tooLarge: 0, limited: 0 };
  private readonly uws = loadUws();
  private readonly app: TemplatedApp;
  private listenSocket: us_listen_socket | undefined;
  private readonly checkToken: (authorization: string) => "ok" | "missing" | "invalid";

  constructor(
    api: GameCreatorApi,
    private readonly options: CreatorHttpOptions,
  ) {
    this.checkToken = bearerChecker(options.token);
    const app = this.uws.App();
    app.get("/healthz", (res) => send(res, { status: 200, body: { ok: true } }));
    app.get("/readyz", (res) => {
      const ready = options.isReady();
      send(res, { status: ready ? 200 : 503, body: { ready } });
    });
    if (options.metrics !== undefined) serveMetrics(app, options.metrics);
    this.route(app, "post", "/games", true, (_params, body) => api.createGame(body));
    this.route(app, "get", "/games", false, () => api.listGames());
    this.route(app, "get", "/games/:id", false, ([id]) => api.getGame(id));
    this.route(app, "del", "/games/:id", false, ([id]) => api.deleteGame(id));
    this.route(app, "put", "/games/:id/players/:player", true, ([id, player], body) => api.putPlayer(id, player, body));
    this.route(app, "del", "/games/:id/players/:player", false, ([id, player]) => api.deletePlayer(id, player));
    app.any("/*", (res, req) => {
      this.counters.requests++;
      if (this.refuseUnauthorized(res, req)) return;
      send(res, { status: 404, body: { error: "NOT_FOUND", reason: "no such route; the API is under /games" } });
    });
    this.app = app;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(this.options.host, this.options.port, (socket) => {
        if (socket === false) return reject(new Error(`game-creator: cannot listen on ${this.options.host}:${this.options.port} (PORT)`));
        this.listenSocket = socket;
        resolve(this.uws.us_socket_local_port(socket as never));
      });
    });
  }

  close(): void {
    if (this.listenSocket !== undefined) this.uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }

  private route(
    app: TemplatedApp,
    method: "get" | "post" | "put" | "del",
    pattern: string,
    withBody: boolean,
    handle: (params: string[], body: unknown) => Promise<ApiAnswer>,
  ): void {
    const parameterCount = (pattern.match(/:/g) ?? []).length;
    app[method](pattern, (res: HttpResponse, req: HttpRequest) => {
      this.counters.requests++;
      if (this.refuseUnauthorized(res, req)) return;
      // The request object is only valid until this handler returns: read everything now.
      const contentType = req.getHeader("content-type");
      const declaredLength = Number(req.getHeader("content-length") || "0");
      const params = decodeParameters(req, parameterCount);
      if (params === undefined) {
        this.counters.badRequests++;
        send(res, { status: 400, body: { error: "BAD_REQUEST", reason: "the path is not valid percent-encoded UTF-8" } }, withBody);
        return;
      }
      let aborted = false;
      const abortHandlers: Array<() => void> = [];
      res.onAborted(() => {
        aborted = true;
        for (const handler of abortHandlers) handler();
      });
      const answer = (reply: ApiAnswer) => {
        if (!aborted) send(res, reply);
      };
      if (!withBody) {
        handle(params, undefined).then((reply) => answer(this.count(reply)), (error: unknown) => answer(internal(error)));
        return;
      }
      if (declaredLength > this.options.maxBodyBytes) {
        this.counters.tooLarge++;
        send(res, { status: 413, body: { error: "TOO_LARGE", reason: `request bodies are at most ${this.options.maxBodyBytes} bytes` } }, true);
        return;
      }
      if (!/^application\/json\b/i.test(contentType)) {
        this.counters.badRequests++;
        send(res, { status: 415, body: { error: "UNSUPPORTED_MEDIA_TYPE", reason: "send the body as Content-Type: application/json" } }, true);
        return;
      }
      readBody(res, this.options.maxBodyBytes, (handler) => abortHandlers.push(handler)).then(async (body) => {
        if (!body.ok) {
          if (body.reason === "too-large" && !aborted) {
            this.counters.tooLarge++;
            send(res, { status: 413, body: { error: "TOO_LARGE", reason: `request bodies are at most ${this.options.maxBodyBytes} bytes` } }, true);
          }
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.bytes.toString("utf8"));
        } catch {
          this.counters.badRequests++;
          return answer({ status: 400, body: { error: "BAD_REQUEST", reason: "the body is not valid JSON" } });
        }
        answer(this.count(await handle(params, parsed).catch(internal)));
      });
    });
  }

  /** Answers 401 and closes (a body is never read) unless the bearer token is right. */
  private refuseUnauthorized(res: HttpResponse, req: HttpRequest): boolean {
    const auth = this.checkToken(req.getHeader("authorization"));
    if (auth === "ok") return false;
    this.counters.unauthorized++;
    send(res, { status: 401, body: { error: "UNAUTHORIZED", reason: auth === "missing" ? "missing Authorization: Bearer <token> header" : "invalid bearer token" } }, true);
    return true;
  }

  private count(reply: ApiAnswer): ApiAnswer {
    if (reply.status === 400) this.counters.badRequests++;
    if (reply.status === 429) this.counters.limited++;
    return reply;
  }
}

/** The route's parameters, percent-decoded; undefined when one is not valid percent-encoded UTF-8. */
function decodeParameters(req: HttpRequest, count: number): string[] | undefined {
  try {
    return Array.from({ length: count }, (_, i) => decodeURIComponent(req.getParameter(i) ?? ""));
  } catch {
    return undefined;
  }
}

function internal(error: unknown): ApiAnswer {
  console.error("game-creator: request failed:", error);
  return { status: 500, body: { error: "INTERNAL", reason: error instanceof Error ? error.message : String(error) } };
}

/** `close`: uWS adds `Connection: close` and closes after the answer. */
function send(res: HttpResponse, reply: ApiAnswer, close = false): void {
  res.cork(() => {
    res
      .writeStatus(STATUS_TEXT[reply.status] ?? `${reply.status} Error`)
      .writeHeader("Content-Type", "application/json")
      .writeHeader("Cache-Control", "no-store");
    if (reply.status === 401) res.writeHeader("WWW-Authenticate", 'Bearer realm="pomona-game-creator"');
    res.end(JSON.stringify(reply.body), close);
  });
}
