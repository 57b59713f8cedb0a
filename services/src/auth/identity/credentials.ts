/** The checks every credential-taking mode shares: a client-claimed uid is refused, the credential must be a sane string. */
import { MAX_CREDENTIAL_CHARS } from "./config";
import type { IdentityClaim, IdentityVerdict } from "./verdict";

/** The credential as a string, or the refusal: a uid next to it, none given, not a string, too long. */
export function readCredential(claim: IdentityClaim, mode: string, uidFrom: string): { ok: true; credential: string } | Extract<IdentityVerdict, { ok: false }> {
  if (claim.uid !== undefined) return refuseClaimedUid(mode, uidFrom);
  const credential = claim.credentials;
  if (credential === undefined || credential === "") {
    return { ok: false, reason: "UNAUTHENTICATED", message: `credentials required (${mode} mode): send Authorization: Bearer <token>, ?access_token= or the queryEntry field access_token` };
  }
  if (typeof credential !== "string") return { ok: false, reason: "UNAUTHENTICATED", message: "credentials must be a string" };
  if (credential.length > MAX_CREDENTIAL_CHARS) return { ok: false, reason: "UNAUTHENTICATED", message: `credentials longer than ${MAX_CREDENTIAL_CHARS} characters` };
  return { ok: true, credential };
}

/** Outside trust-uid a client never names itself: the gate takes the uid from `uidFrom`. */
export function refuseClaimedUid(mode: string, uidFrom: string): Extract<IdentityVerdict, { reason: "BAD_UID" }> {
  return { ok: false, reason: "BAD_UID", message: `uid is not accepted in ${mode} mode: the gate takes it from ${uidFrom}; send credentials instead` };
}
