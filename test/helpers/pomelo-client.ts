/** A small Pomelo client over `ws` built on our codec, recording every WebSocket message it receives. */
import WebSocket from "ws";
import {
  decodeMessage,
  decodePackages,
  encodeDataPackage,
  encodePackage,
  MessageType,
  PackageType,
  parseHandshakeResponse,
  parseKick,
  type HandshakeResponse,
  type RouteDictionary,
} from "../../services/src/protocol";
import { waitUntil } from "./wait";

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface ConnectOptions {
  /** Host header to send instead of `127.0.0.1:<port>`. */
  readonly host?: string;
}

export class TestClient {
  /** Every binary WebSocket message received, as is. */
  readonly messages: Buffer[] = [];
  readonly pushes: Array<{ route: string; body: unknown }> = [];
  /** Called for every push as it arrives (in addition to recording it). */
  onPush: ((route: string, body: unknown) => void) | undefined;
  /** Keep every push in `pushes` (long load tests turn this off and use onPush). */
  recordPushes = true;
  readonly kicks: string[] = [];
  heartbeats = 0;
  handshakeResponse: HandshakeResponse | undefined;
  closed: Closed | undefined;
  /** Resolves when the socket closes. */
  readonly whenClosed: Promise<Closed>;
  private dictionary: RouteDictionary | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (body: unknown) => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => this.onMessage(data));
    this.whenClosed = new Promise((resolve) =>
      socket.on("close", (code: number, reason: Buffer) => {
        this.closed = { code, reason: reason.toString("utf8") };
        resolve(this.closed);
      }),
    );
    socket.on("error", () => undefined);
  }

  /** `host` sets the Host header (e.g. `connector-1.localhost` to be routed by the nginx proxy). */
  /** Wraps a socket that is already open (e.g. one a test upgraded with its own URL and headers). */
  static adopt(socket: WebSocket): TestClient {
    return new TestClient(socket);
  }

  static async connect(port: number, options: ConnectOptions = {}): Promise<TestClient> {
    const url = `ws://127.0.0.1:${port}/`;
    const socket = options.host === undefined ? new WebSocket(url) : new WebSocket(url, { headers: { Host: options.host } });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new TestClient(socket);
  }

  /** Connects and completes handshake + ack. */
  static async ready(port: number, options: ConnectOptions = {}): Promise<TestClient> {
    const client = await TestClient.connect(port, options);
    await client.handshake();
    return client;
  }

  async handshake(user: object = {}): Promise<HandshakeResponse> {
    this.sendRaw(encodePackage(PackageType.Handshake, Buffer.from(JSON.stringify({ sys: { type: "test", version: "1.0.0" }, user }))));
    await waitUntil(() => this.handshakeResponse !== undefined || this.closed !== undefined, 2_000, "handshake response");
    const response = this.handshakeResponse!;
    if (response.code === 200) {
      this.dictionary = response.dictionary;
      this.sendRaw(encodePackage(PackageType.HandshakeAck));
    }
    return response;
  }

  sendRaw(bytes: Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes);
  }

  requestPackage(route: string, body: unknown, id = this.nextId++): Buffer {
    return encodeDataPackage({ type: MessageType.Request, id, route, body: JSON.stringify(body) }, this.dictionary);
  }

  /** Sends a request and resolves with the decoded JSON response body. */
  request(route: string, body: unknown = {}): Promise<unknown> {
    const id = this.nextId++;
    const answer = this.expectResponse(id);
    this.sendRaw(this.requestPackage(route, body, id));
    return answer;
  }

  expectResponse(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      setTimeout(() => reject(new Error(`no response to request ${id}`)), 3_000).unref();
    });
  }

  notify(route: string, body: unknown): void {
    this.sendRaw(encodeDataPackage({ type: MessageType.Notify, route, body: JSON.stringify(body) }, this.dictionary));
  }

  heartbeat(): void {
    this.sendRaw(encodePackage(PackageType.Heartbeat));
  }

  waitClosed(timeoutMs = 3_000): Promise<Closed> {
    return waitUntil(() => this.closed !== undefined, timeoutMs, "connection closed").then(() => this.closed!);
  }

  close(): void {
    this.socket.terminate();
  }

  private onMessage(data: Buffer): void {
    this.messages.push(data);
    for (const pkg of decodePackages(data, 0xffffff)) {
      if (pkg.type === PackageType.Handshake) this.handshakeResponse = parseHandshakeResponse(pkg.body);
      else if (pkg.type === PackageType.Heartbeat) this.heartbeats++;
      else if (pkg.type === PackageType.Kick) this.kicks.push(parseKick(pkg.body).reason ?? "");
      else if (pkg.type === PackageType.Data) {
        const message = decodeMessage(pkg.body, this.dictionary);
        if (message.type === MessageType.Response) {
          this.pending.get(message.id)?.(JSON.parse(message.body.toString("utf8")));
          this.pending.delete(message.id);
        } else if (message.type === MessageType.Push) {
          const body: unknown = JSON.parse(message.body.toString("utf8"));
          if (this.recordPushes) this.pushes.push({ route: message.route, body });
          this.onPush?.(message.route, body);
        }
      }
    }
  }
}
