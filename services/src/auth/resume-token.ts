/**
 * Resume tokens: what a connector hands a client whose uid it holds, so that if the connector dies
 * the client can ask the gate for a new connector without logging in again. The gate trades a valid
 * resume token for a connect token carrying the `resume` claim; the new connector then restores the
 * uid's sticky bindings (docs/sessions-and-routing.md, "Resume").
 *
 * Same format and secrets as connect tokens, with the reserved audience RESUME_TOKEN_AUDIENCE, so a
 * resume token opens no connector and a connect token is no resume token.
 */
import { createConnectTokenVerifier, issueConnectToken, RESUME_TOKEN_AUDIENCE, type ConnectTokenSecrets, type ConnectTokenVerdict } from "./connect-token";

/** Default lifetime: as long as the bindings it restores stay in Redis (BindingStore). */
export const DEFAULT_RESUME_TOKEN_TTL_MS = 10 * 60_000;

export interface IssueResumeTokenOptions extends ConnectTokenSecrets {
  readonly uid: string;
  /** The session being resumed from (logs and the new connector's `resumedFrom`). */
  readonly sessionId: string;
  readonly ttlMs?: number;
  readonly now?: number;
}

export interface IssuedResumeToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

export function issueResumeToken(options: IssueResumeTokenOptions): IssuedResumeToken {
  // An absent secret, secrets or now is passed on as undefined, which issueConnectToken reads as absent.
  const { token, claims } = issueConnectToken({
    secret: options.secret,
    secrets: options.secrets,
    uid: options.uid,
    connectorId: RESUME_TOKEN_AUDIENCE,
    ttlMs: options.ttlMs ?? DEFAULT_RESUME_TOKEN_TTL_MS,
    resume: options.sessionId,
    now: options.now,
  });
  return { token, expiresAtMs: claims.exp };
}

/** A verifier for the gate; never throws on its token input. A verdict's `claims.resume` is the session resumed from. */
export function createResumeTokenVerifier(options: ConnectTokenSecrets & { readonly maxClockSkewMs?: number }): (token: unknown, now?: number) => ConnectTokenVerdict {
  const verify = createConnectTokenVerifier({ ...options, connectorId: RESUME_TOKEN_AUDIENCE });
  return (token, now) => {
    const verdict = verify(token, now);
    // Every resume token carries the session it came from; one without is a connect token forged into shape.
    if (verdict.ok && verdict.claims.resume === undefined) return { ok: false, reason: "MALFORMED" };
    return verdict;
  };
}
