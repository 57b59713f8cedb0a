/**
 * Connect tokens: the short-lived, HMAC-signed pass the gate hands a client for one connector.
 * The connector checks it on the WebSocket upgrade, before any socket exists. docs/security.md.
 *
 * Format (compact, URL-safe, no padding):
 *
 *     base64url(JSON claims) "." base64url(HMAC-SHA256(secret, <the claims part as sent>))
 *
 * Claims: `{v: 1, uid, cid (connector id), exp (ms since epoch), iat (ms), jti (random), resume?}`.
 *
 * `verifyConnectToken` is total on its token input: whatever it is given, it answers
 * `{ok: false, reason}` or `{ok: true, claims}` and never throws. Only a bad *configuration*
 * (a secret under 32 bytes, no secret at all) throws, as a ConnectTokenConfigError naming the key.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const CONNECT_TOKEN_VERSION = 1;
/** Tokens longer than this are rejected before any hashing or decoding. */
export const MAX_CONNECT_TOKEN_CHARS = 2048;
/** Every HMAC secret must carry at least this many bytes (UTF-8), i.e. 256 bits. */
export const MIN_TOKEN_SECRET_BYTES = 32;
/** Longest lifetime `issueConnectToken` accepts: a connect token is a ticket for one connect, not a session. */
export const MAX_CONNECT_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Default tolerance for clocks of the gate and the connector that disagree. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5_000;
export const MAX_UID_CHARS = 256;
export const MAX_CONNECTOR_ID_CHARS = 128;
export const MAX_RESUME_CHARS = 1024;
const MAX_JTI_CHARS = 64;
/** base64url of a 32-byte HMAC-SHA256, unpadded. */
const SIGNATURE_CHARS = 43;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface ConnectTokenClaims {
  readonly v: typeof CONNECT_TOKEN_VERSION;
  /** The player the gate vouches for; the connection starts bound to it. */
  readonly uid: string;
  /** The connector the token is good for (its server id, e.g. `connector-3`). */
  readonly cid: string;
  /** Expiry, ms since the Unix epoch. */
  readonly exp: number;
  /** Issue time, ms since the Unix epoch. */
  readonly iat: number;
  /** Random id of this token (logs, a replay cache). */
  readonly jti: string;
  /** Opaque resume data for a client reconnecting after its connector died (the SDK's resume). */
  readonly resume?: string;
}

export type ConnectTokenRejection = "MISSING" | "MALFORMED" | "BAD_SIGNATURE" | "EXPIRED" | "WRONG_CONNECTOR" | "NOT_YET_VALID";

/** The HTTP status a rejected upgrade gets: 401 when the client must fetch a (new) token, 403 when this connector is the wrong one. */
export const CONNECT_TOKEN_REJECTION_STATUS: Readonly<Record<ConnectTokenRejection, 401 | 403>> = {
  MISSING: 401,
  MALFORMED: 401,
  BAD_SIGNATURE: 401,
  EXPIRED: 401,
  NOT_YET_VALID: 401,
  WRONG_CONNECTOR: 403,
};

export const CONNECT_TOKEN_REJECTIONS = Object.keys(CONNECT_TOKEN_REJECTION_STATUS) as readonly ConnectTokenRejection[];

export type ConnectTokenVerdict = { readonly ok: true; readonly claims: ConnectTokenClaims } | { readonly ok: false; readonly reason: ConnectTokenRejection };

/** A misconfigured secret, or issue options a caller must fix. `key` names the offending setting. */
export class ConnectTokenConfigError extends Error {
  readonly code = "CONNECT_TOKEN_CONFIG";
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = "ConnectTokenConfigError";
  }
}

/** Either one secret or several (rotation: the first signs, any verifies). */
export interface ConnectTokenSecrets {
  readonly secret?: string;
  readonly secrets?: readonly string[];
}

export interface IssueConnectTokenOptions extends ConnectTokenSecrets {
  readonly uid: string;
  readonly connectorId: string;
  readonly ttlMs: number;
  /** Clock, ms since the epoch (tests); default Date.now(). */
  readonly now?: number;
  readonly resume?: string;
}

export interface IssuedConnectToken {
  readonly token: string;
  readonly claims: ConnectTokenClaims;
}

/**
 * The `cid` of resume tokens (docs/security.md): no server id can contain ":", so a resume token
 * is never accepted by a connector as a connect token, whatever its verifier's audience.
 */
export const RESUME_TOKEN_AUDIENCE = "pomona:resume";

export interface VerifyConnectTokenOptions extends ConnectTokenSecrets {
  /** The verifying connector's own id; a token for another connector is WRONG_CONNECTOR. */
  readonly connectorId: string;
  /**
   * Accept a token issued for any connector (scenario 1: a load balancer, not the gate, decides
   * which connector a client reaches). Resume tokens stay refused.
   */
  readonly acceptAnyConnector?: boolean;
  readonly now?: number;
  /** Tolerance on `exp` and `iat`; default 5 s. */
  readonly maxClockSkewMs?: number;
}

/** Throws a ConnectTokenConfigError naming `key` unless `secret` is a string of at least 32 bytes. */
export function assertTokenSecret(secret: unknown, key: string): asserts secret is string {
  if (typeof secret !== "string") throw new ConnectTokenConfigError(key, "must be a string");
  const bytes = Buffer.byteLength(secret, "utf8");
  if (bytes < MIN_TOKEN_SECRET_BYTES) {
    throw new ConnectTokenConfigError(key, `must be at least ${MIN_TOKEN_SECRET_BYTES} bytes, got ${bytes} (generate one with \`openssl rand -base64 48\`)`);
  }
}

/** The configured secrets as a checked list, signing secret first. Throws a ConnectTokenConfigError naming the bad key. */
export function tokenSecretList(options: ConnectTokenSecrets): readonly string[] {
  if (options.secret !== undefined && options.secrets !== undefined) throw new ConnectTokenConfigError("secret", "give either secret or secrets, not both");
  if (options.secrets !== undefined) {
    if (!Array.isArray(options.secrets) || options.secrets.length === 0) throw new ConnectTokenConfigError("secrets", "must list at least one secret");
    options.secrets.forEach((secret, index) => assertTokenSecret(secret, `secrets[${index}]`));
    return [...options.secrets];
  }
  if (options.secret === undefined) throw new ConnectTokenConfigError("secret", "is required (or secrets, for rotation)");
  assertTokenSecret(options.secret, "secret");
  return [options.secret];
}

/** Signs a new token for `uid` on `connectorId`, valid for `ttlMs`, with the first (or only) secret. */
export function issueConnectToken(options: IssueConnectTokenOptions): IssuedConnectToken {
  const [secret] = tokenSecretList(options);
  const now = options.now ?? Date.now();
  checkString("uid", options.uid, MAX_UID_CHARS);
  checkString("connectorId", options.connectorId, MAX_CONNECTOR_ID_CHARS);
  if (options.resume !== undefined) checkString("resume", options.resume, MAX_RESUME_CHARS);
  if (!Number.isSafeInteger(now) || now < 0) throw new ConnectTokenConfigError("now", "must be a non-negative integer of ms since the epoch");
  if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs < 1 || options.ttlMs > MAX_CONNECT_TOKEN_TTL_MS) {
    throw new ConnectTokenConfigError("ttlMs", `must be an integer from 1 to ${MAX_CONNECT_TOKEN_TTL_MS} ms (connect tokens are short-lived)`);
  }
  const claims: ConnectTokenClaims = {
    v: CONNECT_TOKEN_VERSION,
    uid: options.uid,
    cid: options.connectorId,
    exp: now + options.ttlMs,
    iat: now,
    jti: randomBytes(12).toString("base64url"),
    ...(options.resume === undefined ? {} : { resume: options.resume }),
  };
  const body = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
  return { token: `${body}.${sign(secret!, body)}`, claims };
}

/** Checks a token presented to connector `connectorId`. Never throws on `token`, whatever it is. */
export function verifyConnectToken(token: unknown, options: VerifyConnectTokenOptions): ConnectTokenVerdict {
  return createConnectTokenVerifier(options)(token, options.now);
}

/**
 * Checks the secrets once and returns a verifier for the hot path (the connector's upgrade).
 * The returned function never throws.
 */
export function createConnectTokenVerifier(options: Omit<VerifyConnectTokenOptions, "now">): (token: unknown, now?: number) => ConnectTokenVerdict {
  const secrets = tokenSecretList(options);
  checkString("connectorId", options.connectorId, MAX_CONNECTOR_ID_CHARS);
  const skewMs = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (!Number.isSafeInteger(skewMs) || skewMs < 0) throw new ConnectTokenConfigError("maxClockSkewMs", "must be a non-negative integer");
  const connectorId = options.connectorId;
  const audience = options.acceptAnyConnector === true ? (cid: string) => cid !== RESUME_TOKEN_AUDIENCE : (cid: string) => cid === connectorId;
  return (token, now) => {
    try {
      return verify(token, secrets, audience, now ?? Date.now(), skewMs);
    } catch {
      // Unreachable by construction (fuzzed); a verifier must still never throw into uWS.
      return { ok: false, reason: "MALFORMED" };
    }
  };
}

function verify(token: unknown, secrets: readonly string[], audience: (cid: string) => boolean, now: number, skewMs: number): ConnectTokenVerdict {
  if (token === undefined || token === null || token === "") return reject("MISSING");
  if (typeof token !== "string" || token.length > MAX_CONNECT_TOKEN_CHARS) return reject("MALFORMED");
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return reject("MALFORMED");
  const body = token.slice(0, dot);
  const signature = token.slice(dot + 1);
  if (signature.length !== SIGNATURE_CHARS || !BASE64URL.test(body) || !BASE64URL.test(signature)) return reject("MALFORMED");

  // Compare the canonical encodings (a non-canonical last character is a different token),
  // against every secret without stopping early, so timing tells nothing about which matched.
  const presented = Buffer.from(signature, "latin1");
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, body), "latin1");
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) matched = true;
  }
  if (!matched) return reject("BAD_SIGNATURE");

  const claims = parseClaims(body);
  if (claims === undefined) return reject("MALFORMED");
  // Written to fail closed: a NaN clock rejects instead of comparing false everywhere.
  if (!(claims.iat <= now + skewMs)) return reject("NOT_YET_VALID");
  if (!(now < claims.exp + skewMs)) return reject("EXPIRED");
  if (!audience(claims.cid)) return reject("WRONG_CONNECTOR");
  return { ok: true, claims };
}

function parseClaims(body: string): ConnectTokenClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const c = value as Record<string, unknown>;
  if (c.v !== CONNECT_TOKEN_VERSION) return undefined;
  if (!isString(c.uid, MAX_UID_CHARS) || !isString(c.cid, MAX_CONNECTOR_ID_CHARS) || !isString(c.jti, MAX_JTI_CHARS)) return undefined;
  if (!isTime(c.exp) || !isTime(c.iat) || c.exp <= c.iat) return undefined;
  if (c.resume !== undefined && !isString(c.resume, MAX_RESUME_CHARS)) return undefined;
  return {
    v: CONNECT_TOKEN_VERSION,
    uid: c.uid,
    cid: c.cid,
    exp: c.exp,
    iat: c.iat,
    jti: c.jti,
    ...(c.resume === undefined ? {} : { resume: c.resume }),
  };
}

function sign(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body, "latin1").digest("base64url");
}

function reject(reason: ConnectTokenRejection): ConnectTokenVerdict {
  return { ok: false, reason };
}

function isString(value: unknown, maxChars: number): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= maxChars;
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function checkString(key: string, value: unknown, maxChars: number): void {
  if (!isString(value, maxChars)) throw new ConnectTokenConfigError(key, `must be a non-empty string of at most ${maxChars} characters`);
}
