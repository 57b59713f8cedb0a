/**
 * The gate's decision, pure: which connector a uid gets, the public address of it for the
 * configured front door, and the signed connect token. Both the Pomelo route and HTTP use it.
 */
import { issueConnectToken, type ConnectTokenVerdict } from "../auth";
import { SERVER_ID_PATTERN, type ServerInfo } from "../discovery/member";
import { eligible, leastLoaded } from "../routing/choose-server";
import type { FrontDoor } from "./config";

export const MAX_GATE_UID_CHARS = 64;
/** No control, format, private-use, unassigned or lone-surrogate characters. */
const UNPRINTABLE = /\p{C}/u;

/** Why a uid is refused, or undefined when it is acceptable: a string of 1–64 printable characters, not only spaces. */
export function uidProblem(uid: unknown): string | undefined {
  if (typeof uid !== "string") return "uid is required and must be a string";
  if (uid.length === 0) return "uid must not be empty";
  const chars = [...uid].length;
  if (chars > MAX_GATE_UID_CHARS) return `uid must be at most ${MAX_GATE_UID_CHARS} characters`;
  if (UNPRINTABLE.test(uid)) return "uid must contain only printable characters";
  if (uid.trim().length === 0) return "uid must not be blank";
  return undefined;
}

/**
 * The connector's ordinal N (its name `connector-N.<domain>`): `metadata.ordinal` when the
 * connector published one (a non-negative integer or its decimal string), else the trailing
 * number of its id (`connector-3` → 3). Undefined when neither exists.
 */
export function connectorOrdinal(server: Pick<ServerInfo, "id" | "metadata">): number | undefined {
  const published = server.metadata.ordinal;
  if (typeof published === "number") return Number.isSafeInteger(published) && published >= 0 ? published : undefined;
  if (typeof published === "string") return /^(0|[1-9]\d{0,8})$/.test(published) ? Number(published) : undefined;
  const match = /-(0|[1-9]\d{0,8})$/.exec(server.id);
  return match ? Number(match[1]) : undefined;
}

export interface PublicAddress {
  readonly host: string;
  readonly port: number;
  /** `ws[s]://host[:port]/` — the token is appended as `?token=`. */
  readonly baseUrl: string;
}

/** Where a client reaches `server` through `frontDoor`; undefined when it cannot be named (subdomain mode, no ordinal). */
export function publicAddress(frontDoor: FrontDoor, server: ServerInfo): PublicAddress | undefined {
  const defaultPort = frontDoor.tls ? 443 : 80;
  let host: string;
  let port: number;
  switch (frontDoor.mode) {
    case "loadbalancer":
      host = frontDoor.publicHost;
      port = frontDoor.publicPort ?? defaultPort;
      break;
    case "subdomain": {
      const ordinal = connectorOrdinal(server);
      if (ordinal === undefined) return undefined;
      host = `${frontDoor.hostPrefix}${ordinal}.${frontDoor.domain}`;
      port = frontDoor.publicPort ?? defaultPort;
      break;
    }
    case "direct":
      host = server.host;
      port = server.port;
      break;
  }
  const scheme = frontDoor.tls ? "wss" : "ws";
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return { host, port, baseUrl: `${scheme}://${hostPart}${port === defaultPort ? "" : `:${port}`}/` };
}

/** Why the gate answers no: each maps to one HTTP status and one Pomelo `code` (gate-server.ts). */
export type EntryRefusal =
  | { readonly ok: false; readonly reason: "BAD_UID" | "BAD_QUERY" | "BAD_RESUME" | "UNAUTHENTICATED" | "NO_CONNECTOR"; readonly message: string }
  | { readonly ok: false; readonly reason: "AUTH_UNAVAILABLE" | "RATE_LIMITED"; readonly message: string; readonly retryAfterSec: number };

export type EntryResult =
  | { readonly ok: true; readonly connectorId: string; readonly host: string; readonly port: number; readonly url: string; readonly token: string; readonly expiresAtMs: number }
  | EntryRefusal;

export interface EntryOptions {
  readonly frontDoor: FrontDoor;
  readonly connectorType: string;
  readonly tokenSecrets: readonly string[];
  readonly tokenTtlMs: number;
  /** A connector the client just lost: not handed out again while another one is available. */
  readonly avoid?: string;
  /** The session a verified resume token came from: the connect token carries it, so the connector restores the uid's bindings. */
  readonly resumeFrom?: string;
  readonly now?: number;
}

/** What a client asks the gate: its credentials (or, trust-uid only, a uid), or a resume token from its last connector; plus the connector it just lost. */
export interface EntryQuery {
  readonly uid?: unknown;
  readonly credentials?: unknown;
  readonly resume?: unknown;
  readonly avoid?: unknown;
}

/**
 * A readable query: either resumed (the uid is the one the gate-signed resume token vouches for)
 * or a login whose identity the authenticator still has to establish.
 */
export type EntryRequest =
  | { readonly ok: true; readonly resumed: { readonly uid: string; readonly from: string } | undefined; readonly avoid?: string }
  | { readonly ok: false; readonly reason: "BAD_QUERY" | "BAD_RESUME"; readonly message: string };

/**
 * Reads a query: with `resume`, the uid is the one the (verified) resume token vouches for, and a
 * `uid` given next to it must match; `avoid` must be a server id. A login is left to the authenticator.
 */
export function readEntryQuery(query: EntryQuery, verifyResume: (token: unknown) => ConnectTokenVerdict): EntryRequest {
  const { uid, resume, avoid } = query;
  if (avoid !== undefined && (typeof avoid !== "string" || !SERVER_ID_PATTERN.test(avoid))) {
    return { ok: false, reason: "BAD_QUERY", message: "avoid must be a connector id (letters, digits, '.', '_' or '-')" };
  }
  const avoiding = avoid === undefined ? {} : { avoid };
  if (resume === undefined) return { ok: true, resumed: undefined, ...avoiding };
  const verdict = verifyResume(resume);
  if (!verdict.ok) return { ok: false, reason: "BAD_RESUME", message: `resume token refused (${verdict.reason}): log in again` };
  if (uid !== undefined && uid !== verdict.claims.uid) return { ok: false, reason: "BAD_QUERY", message: "uid does not match the resume token" };
  return { ok: true, resumed: { uid: verdict.claims.uid, from: verdict.claims.resume! }, ...avoiding };
}

/**
 * The least-loaded live connector that is not draining (ties spread by a hash of the uid), its
 * public address and a token for `uid` on it.
 */
export function chooseEntry(members: readonly ServerInfo[], uid: unknown, options: EntryOptions): EntryResult {
  const problem = uidProblem(uid);
  if (problem !== undefined) return { ok: false, reason: "BAD_UID", message: problem };
  const id = uid as string;
  const live = eligible(members, options.connectorType);
  const addressable = options.frontDoor.mode === "subdomain" ? live.filter((server) => connectorOrdinal(server) !== undefined) : live;
  // Discovery lists a crashed connector until its lease expires; the client that saw it die says so.
  const others = options.avoid === undefined ? addressable : addressable.filter((server) => server.id !== options.avoid);
  const candidates = others.length > 0 ? others : addressable;
  const chosen = leastLoaded(candidates, { serverType: options.connectorType, route: "gate.gateHandler.queryEntry", sessionId: id, uid: id });
  if (chosen === undefined) {
    const draining = members.filter((server) => server.type === options.connectorType && server.draining).length;
    const message =
      live.length > addressable.length
        ? `no connector can be addressed: ${live.length - addressable.length} live connector(s) have no ordinal (metadata.ordinal or a -N id suffix)`
        : draining > 0
          ? `no connector available: all ${draining} are draining`
          : "no connector available";
    return { ok: false, reason: "NO_CONNECTOR", message };
  }
  const address = publicAddress(options.frontDoor, chosen)!;
  const { token, claims } = issueConnectToken({
    uid: id,
    connectorId: chosen.id,
    ttlMs: options.tokenTtlMs,
    secrets: options.tokenSecrets,
    ...(options.resumeFrom === undefined ? {} : { resume: options.resumeFrom }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { ok: true, connectorId: chosen.id, host: address.host, port: address.port, url: `${address.baseUrl}?token=${token}`, token, expiresAtMs: claims.exp };
}
