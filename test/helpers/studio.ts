/**
 * A studio's identity service on loopback, over real HTTP: a JWKS endpoint whose keys can be
 * rotated (jose makes them), and an auth webhook whose answer each test scripts. It counts what it
 * served, so tests can see caching, rotation and the concurrency bound from the studio's side.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly publicKey: KeyLike;
  readonly jwk: JWK;
}

export async function makeSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** A compact RS256 JWT with the given claims (iat now unless given). */
export function signWith(key: SigningKey, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" }).setIssuedAt().sign(key.privateKey);
}

/** What the webhook answers for one request: a status and a body, after `delayMs`. */
export interface WebhookAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly delayMs?: number;
}

export class StudioServer {
  jwks: JWK[] = [];
  jwksFetches = 0;
  /** Down: the JWKS endpoint answers 503. */
  jwksDown = false;
  webhookCalls: Array<{ credentials: unknown; authorization: string | undefined }> = [];
  webhookInFlight = 0;
  webhookMaxInFlight = 0;
  answer: (credentials: string) => WebhookAnswer = () => ({ status: 401 });
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<StudioServer> {
    const server = http.createServer();
    const studio = new StudioServer(server);
    server.on("request", (request, response) => studio.handle(request, response));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return studio;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    if (request.url === "/jwks.json") {
      this.jwksFetches++;
      if (this.jwksDown) return void response.writeHead(503).end();
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: this.jwks }));
      return;
    }
    if (request.url !== "/check" || request.method !== "POST") return void response.writeHead(404).end();
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const credentials = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { credentials?: unknown }).credentials;
      this.webhookCalls.push({ credentials, authorization: request.headers.authorization });
      this.webhookInFlight++;
      this.webhookMaxInFlight = Math.max(this.webhookMaxInFlight, this.webhookInFlight);
      const answer = this.answer(String(credentials));
      let finished = false;
      // A request the gate gave up on (its timeout) is no longer in flight, whenever the studio would have answered.
      const finish = () => {
        if (!finished) this.webhookInFlight--;
        finished = true;
      };
      response.once("close", finish);
      const reply = () => {
        finish();
        if (response.destroyed) return;
        response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body === undefined ? "" : JSON.stringify(answer.body));
      };
      if (!answer.delayMs) return reply();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        reply();
      }, answer.delayMs);
      this.timers.add(timer);
    });
  }
}
