/** What an authenticator answers for one entry query: the player's uid, or why not. Never throws. */
export type IdentityVerdict =
  | { readonly ok: true; readonly uid: string }
  /** The query itself is wrong for this mode (a uid where the gate picks it, none where it is needed): 400. */
  | { readonly ok: false; readonly reason: "BAD_UID"; readonly message: string }
  /** No credentials, or credentials that do not prove who the player is: 401. */
  | { readonly ok: false; readonly reason: "UNAUTHENTICATED"; readonly message: string }
  /** The studio's key set or webhook cannot answer now: refused, fail closed (503 with Retry-After). */
  | { readonly ok: false; readonly reason: "AUTH_UNAVAILABLE"; readonly message: string; readonly retryAfterSec: number };

/** What a client presents: the uid it claims (trust-uid only) and its studio credential (a JWT, a session ticket). */
export interface IdentityClaim {
  readonly uid?: unknown;
  readonly credentials?: unknown;
}

export interface PlayerAuthenticator {
  readonly mode: "jwt" | "webhook" | "anonymous" | "trust-uid";
  identify(claim: IdentityClaim): Promise<IdentityVerdict>;
}
