/**
 * The upgrade gate of the connector: the Origin allowlist and the connect token, checked on the
 * HTTP upgrade request before any WebSocket exists. A rejected request gets 401/403 and never
 * reaches `open`. docs/security.md has the policy.
 */
import { createOriginCheck, type OriginVerdict } from "../../auth/origin-policy";
import { CONNECT_TOKEN_REJECTION_STATUS, createConnectTokenVerifier, type ConnectTokenClaims, type ConnectTokenRejection } from "../../auth";
import type { ConnectorAuthConfig } from "../config";

export type OriginRejection = Exclude<OriginVerdict, "ok">;
export type UpgradeRejection = ConnectTokenRejection | OriginRejection;

export const UPGRADE_REJECTIONS: readonly UpgradeRejection[] = [
  "MISSING",
  "MALFORMED",
  "BAD_SIGNATURE",
  "EXPIRED",
  "NOT_YET_VALID",
  "WRONG_CONNECTOR",
  "ORIGIN_NOT_ALLOWED",
  "ORIGIN_MISSING",
];

/** What the upgrade handler read from uWS (synchronously: the request is gone after the handler returns). */
export interface UpgradeRequestFacts {
  /** The `Origin` header; uWS gives "" when absent. */
  readonly origin: string;
  /** The token query parameter; undefined when absent. */
  readonly token: string | undefined;
}

export type UpgradeVerdict =
  | { readonly ok: true; readonly claims: ConnectTokenClaims | undefined }
  | { readonly ok: false; readonly reason: UpgradeRejection; readonly status: "401 Unauthorized" | "403 Forbidden" };

const STATUS_LINE = { 401: "401 Unauthorized", 403: "403 Forbidden" } as const;

/** Short, stable bodies: enough for a client to know whether to ask the gate again, nothing about the secret. */
export const UPGRADE_REJECTION_TEXT: Readonly<Record<UpgradeRejection, string>> = {
  MISSING: "connect token missing",
  MALFORMED: "connect token malformed",
  BAD_SIGNATURE: "connect token invalid",
  EXPIRED: "connect token expired",
  NOT_YET_VALID: "connect token not yet valid",
  WRONG_CONNECTOR: "connect token is for another connector",
  ORIGIN_NOT_ALLOWED: "origin not allowed",
  ORIGIN_MISSING: "origin required",
};

export type UpgradeCheck = (request: UpgradeRequestFacts, nowMs?: number) => UpgradeVerdict;

/** Builds the check for `auth` (undefined: every upgrade passes, unbound). Never throws once built. */
export function createUpgradeCheck(auth: ConnectorAuthConfig | undefined, connectorId: string): UpgradeCheck {
  if (auth === undefined) return () => ({ ok: true, claims: undefined });
  const checkOrigin = createOriginCheck(auth.allowedOrigins, auth.allowMissingOrigin);
  const verifyToken =
    auth.tokenSecrets === undefined ? undefined : createConnectTokenVerifier({ secrets: auth.tokenSecrets, connectorId, maxClockSkewMs: auth.maxClockSkewMs, acceptAnyConnector: auth.acceptAnyConnector });
  return (request, nowMs) => {
    // Origin first: a page from a foreign site is refused whatever token it carries.
    const origin = checkOrigin(request.origin);
    if (origin !== "ok") return forbidden(origin);
    if (verifyToken === undefined) return { ok: true, claims: undefined };
    const verdict = verifyToken(request.token, nowMs);
    if (!verdict.ok) return { ok: false, reason: verdict.reason, status: STATUS_LINE[CONNECT_TOKEN_REJECTION_STATUS[verdict.reason]] };
    return { ok: true, claims: verdict.claims };
  };
}

function forbidden(reason: OriginRejection): UpgradeVerdict {
  return { ok: false, reason, status: "403 Forbidden" };
}
