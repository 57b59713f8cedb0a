/**
 * The studio decides: the gate POSTs the client's credentials to a studio URL and takes the uid it
 * answers. Fails closed: a timeout, a network error, a 5xx or an unreadable answer refuses the
 * player (503). At most `maxConcurrent` checks are in flight (more are refused at once, never
 * queued), and only accepted credentials are remembered, for `cacheMs`, keyed by their SHA-256.
 *
 *   POST <url>   Authorization: Bearer <secret>   {"credentials": "<what the client sent>"}
 *   200 {"uid": "…"}   accepted        401 / 403   refused        anything else   unavailable
 */
import { createHash } from "node:crypto";
import type { WebhookAuthConfig } from "./config";
import { readCredential } from "./credentials";
import type { IdentityVerdict, PlayerAuthenticator } from "./verdict";

/** A studio answer is a small JSON object; more than this is not read. */
const MAX_ANSWER_BYTES = 16 * 1024;

export interface WebhookAuthenticator extends PlayerAuthenticator {
  /** Checks waiting for the studio now (tests and the gate's stats). */
  readonly inFlight: number;
}

export function createWebhookAuthenticator(config: WebhookAuthConfig): WebhookAuthenticator {
  const accepted = new Map<string, { uid: string; expiresAtMs: number }>();
  let inFlight = 0;

  const remember = (key: string, uid: string) => {
    if (config.cacheMs === 0) return;
    accepted.delete(key);
    accepted.set(key, { uid, expiresAtMs: Date.now() + config.cacheMs });
    // Map order is insertion order: the first key is the oldest.
    if (accepted.size > config.cacheEntries) accepted.delete(accepted.keys().next().value!);
  };

  const ask = async (credential: string): Promise<IdentityVerdict> => {
    let response: Response;
    let text: string;
    try {
      response = await fetch(config.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${config.secret}` },
        body: JSON.stringify({ credentials: credential }),
        signal: AbortSignal.timeout(config.timeoutMs),
        redirect: "error",
      });
      text = await readCapped(response);
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      return unavailable(timedOut ? `no answer within ${config.timeoutMs} ms` : "unreachable");
    }
    if (response.status === 401 || response.status === 403) return { ok: false, reason: "UNAUTHENTICATED", message: `credentials refused by the studio (${response.status})` };
    if (response.status !== 200) return unavailable(`answered ${response.status}`);
    let uid: unknown;
    try {
      uid = (JSON.parse(text) as { uid?: unknown } | null)?.uid;
    } catch {
      return unavailable("answered 200 without JSON");
    }
    if (typeof uid !== "string" || uid.length === 0) return unavailable('answered 200 without a string "uid"');
    return { ok: true, uid };
  };

  return {
    mode: "webhook",
    get inFlight() {
      return inFlight;
    },
    async identify(claim) {
      const read = readCredential(claim, "webhook", "the studio's webhook answer");
      if (!read.ok) return read;
      const key = createHash("sha256").update(read.credential).digest("base64url");
      const cached = accepted.get(key);
      if (cached !== undefined && cached.expiresAtMs > Date.now()) return { ok: true, uid: cached.uid };
      if (cached !== undefined) accepted.delete(key);
      if (inFlight >= config.maxConcurrent) return unavailable(`busy: ${inFlight} checks in flight`);
      inFlight++;
      try {
        const verdict = await ask(read.credential);
        if (verdict.ok) remember(key, verdict.uid);
        return verdict;
      } finally {
        inFlight--;
      }
    },
  };
}

function unavailable(why: string): Extract<IdentityVerdict, { reason: "AUTH_UNAVAILABLE" }> {
  return { ok: false, reason: "AUTH_UNAVAILABLE", message: `studio auth webhook ${why}: refused (fail closed)`, retryAfterSec: 1 };
}

/** The body as text, or a throw past MAX_ANSWER_BYTES (read as it streams, never buffered whole). */
async function readCapped(response: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body === null) return "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) throw new Error(`answer over ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
