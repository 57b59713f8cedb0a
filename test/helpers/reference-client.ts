/**
 * A Pomelo client on NetEase's reference codec only (`pomelo-protocol`): handshake, requests with
 * dictionary-compressed routes, pushes and responses by route. Bodies are left to the test (JSON,
 * or `pomelo-protobuf` for a client with useProtobuf), so nothing of ours encodes or decodes its side.
 */
import { Message, Package } from "pomelo-protocol";
import WebSocket from "ws";
import { waitUntil } from "./wait";

export const PackageType = { handshake: 1, handshakeAck: 2, heartbeat: 3, data: 4, kick: 5 } as const;
export const MessageType = { request: 0, notify: 1, response: 2, push: 3 } as const;

export interface Received {
  route: string;
  id: number;
  body: Buffer;
}

/** A socket speaking Pomelo's packages through pomelo-protocol; bodies are left to the test. */
export class ReferenceClient {
  readonly socket: WebSocket;
  readonly handshakes: Array<Record<string, any>> = [];
  readonly messages: Received[] = [];
  closed: { code: number; reason: string } | undefined;
  /** WebSocket messages received, empty ones included. */
  frames = 0;
  dict: Record<string, number> = {};
  private abbrs = new Map<number, string>();
  private routesById = new Map<number, string>();
  private nextId = 1;

  constructor(port: number) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    this.socket.on("message", (data: Buffer) => {
      this.frames++;
      const decoded = Package.decode(data);
      for (const pkg of Array.isArray(decoded) ? decoded : [decoded]) {
        if (pkg.type === PackageType.handshake) this.handshakes.push(JSON.parse(pkg.body!.toString("utf8")));
        if (pkg.type !== PackageType.data) continue;
        const message = Message.decode(pkg.body!);
        const route = message.type === MessageType.response ? this.routesById.get(message.id)! : message.compressRoute ? this.abbrs.get(message.route as number)! : (message.route as string);
        this.messages.push({ route, id: message.id, body: message.body });
      }
    });
    this.socket.on("close", (code: number, reason: Buffer) => (this.closed = { code, reason: reason.toString("utf8") }));
  }

  async handshake(sys: Record<string, unknown>): Promise<Record<string, any>> {
    await new Promise((resolve) => this.socket.once("open", resolve));
    this.socket.send(Package.encode(PackageType.handshake, Buffer.from(JSON.stringify({ sys: { type: "js-websocket", version: "0.0.1", ...sys }, user: {} }))));
    await waitUntil(() => this.handshakes.length === 1, 5_000, "handshake answer");
    const answer = this.handshakes[0];
    this.dict = answer.sys.dict;
    this.abbrs = new Map(Object.entries(this.dict).map(([route, code]) => [code, route]));
    this.socket.send(Package.encode(PackageType.handshakeAck));
    return answer;
  }

  /** Sends a request, the route compressed when the dict has it (as Pomelo's clients do), and waits for its response body. */
  async request(route: string, body: Buffer): Promise<Buffer> {
    const id = this.nextId++;
    this.routesById.set(id, route);
    const code = this.dict[route];
    this.socket.send(Package.encode(PackageType.data, Message.encode(id, MessageType.request, code === undefined ? 0 : 1, code ?? route, body)));
    await waitUntil(() => this.messages.some((message) => message.id === id && message.route === route), 5_000, `response to ${route}`);
    return this.messages.find((message) => message.id === id)!.body;
  }

  pushes(route: string): Buffer[] {
    return this.messages.filter((message) => message.id === 0 && message.route === route).map((message) => message.body);
  }
}
