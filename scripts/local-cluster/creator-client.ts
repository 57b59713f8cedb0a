/**
 * A small client of the game-creator's API and of a game's viewer WebSocket, for scripts, benchmarks
 * and tests (Node: global fetch, the `ws` package).
 */
import WebSocket from "ws";

export interface ApiReply<T = any> {
  readonly status: number;
  readonly body: T;
}

export function creatorApi(baseUrl: string, token: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return {
    call,
    create: (game: Record<string, unknown>) => call("POST", "/games", game),
    get: (id: string) => call("GET", `/games/${id}`),
    list: () => call("GET", "/games"),
    remove: (id: string) => call("DELETE", `/games/${id}`),
    submit: (id: string, player: string, code: string) => call("PUT", `/games/${id}/players/${player}`, { code }),
    /** Resolves with the ms until the game is ready; rejects with its last status after `timeoutMs`. */
    async waitReady(id: string, timeoutMs: number): Promise<number> {
      const started = Date.now();
      let last: unknown;
      while (Date.now() - started < timeoutMs) {
        const reply = await call("GET", `/games/${id}`);
        last = reply.body;
        if (reply.status === 200 && reply.body.status.phase === "ready") return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`game ${id} not ready within ${timeoutMs} ms: ${JSON.stringify(last)}`);
    },
    async waitGone(id: string, timeoutMs: number): Promise<number> {
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        if ((await call("GET", `/games/${id}`)).status === 404) return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`game ${id} still there after ${timeoutMs} ms`);
    },
  };
}

export interface ViewerFrame {
  readonly tick: number;
  /** The replica the viewer reached; `replicas` lists every replica merged in (docs/game-creator.md, "Viewer stream"). */
  readonly server: string;
  readonly replicas: ReadonlyArray<{ server: string; tick: number; at: number }>;
  readonly broadcasts: ReadonlyArray<{ server: string; channel: string; route: string; body: any }>;
}

/** A viewer WebSocket that records every frame and when it arrived. */
export class Viewer {
  readonly frames: Array<ViewerFrame & { atMs: number }> = [];
  readonly socket: WebSocket;
  closed: { code: number; reason: string } | undefined;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on("message", (data) => this.frames.push({ ...(JSON.parse(data.toString()) as ViewerFrame), atMs: performance.now() }));
    this.socket.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.socket.on("error", () => undefined);
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === WebSocket.OPEN) return resolve();
      this.socket.once("open", () => resolve());
      this.socket.once("error", reject);
      this.socket.once("unexpected-response", (_req, res) => reject(new Error(`viewer upgrade refused: ${res.statusCode}`)));
    });
  }

  close(): void {
    this.socket.terminate();
  }
}
