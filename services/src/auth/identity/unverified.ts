/** Anonymous players: the gate picks a random uid, so nobody can take another's. */
import { randomBytes } from "node:crypto";
import { refuseClaimedUid } from "./credentials";
import type { PlayerAuthenticator } from "./verdict";

/** `anon-` + 96 random bits: unguessable, within the gate's 64-character uid limit. */
export function createAnonymousAuthenticator(): PlayerAuthenticator {
  return {
    mode: "anonymous",
    identify: async (claim) => (claim.uid !== undefined ? refuseClaimedUid("anonymous", "a random value it picks") : { ok: true, uid: `anon-${randomBytes(12).toString("base64url")}` }),
  };
}

/** Development only (the stack config and the policy pack refuse it elsewhere): the client names itself. */
export function createTrustUidAuthenticator(): PlayerAuthenticator {
  return {
    mode: "trust-uid",
    identify: async (claim) =>
      typeof claim.uid === "string" ? { ok: true, uid: claim.uid } : { ok: false, reason: "BAD_UID", message: "uid is required and must be a string (trust-uid mode: the client names itself)" },
  };
}
