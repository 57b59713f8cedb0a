/**
 * Studio JWTs, verified with jose against a JWKS URL (cached, re-fetched on an unknown `kid`, so
 * key rotation needs no restart) or HS256 secrets. Strict by default: the algorithm is allow-listed
 * per key source (asymmetric for a JWKS, HS256 for secrets, never `none`), `iss`, `aud` and `exp`
 * are required, `nbf` is honoured, skew is bounded. A JWKS that cannot be fetched refuses (503).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from "jose";
import type { JwtAuthConfig } from "./config";
import { readCredential } from "./credentials";
import type { IdentityVerdict, PlayerAuthenticator } from "./verdict";

/** jose's failures that mean "the key source is unreachable", not "the token is bad". */
const UNAVAILABLE = new Set(["ERR_JWKS_TIMEOUT", "ERR_JOSE_GENERIC", "ERR_JWKS_INVALID"]);

type Verify = (token: string, options: JWTVerifyOptions) => Promise<JWTPayload>;

export function createJwtAuthenticator(config: JwtAuthConfig): PlayerAuthenticator {
  const options: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockSkewSec,
    requiredClaims: ["exp", config.uidClaim],
    algorithms: config.jwksUrl !== undefined ? [...config.algorithms] : ["HS256"],
  };
  const verify = config.jwksUrl !== undefined ? jwksVerifier(config) : secretsVerifier(config.hs256Secrets!);
  return {
    mode: "jwt",
    async identify(claim): Promise<IdentityVerdict> {
      const read = readCredential(claim, "jwt", `the token's ${config.uidClaim} claim`);
      if (!read.ok) return read;
      let payload: JWTPayload;
      try {
        payload = await verify(read.credential, options);
      } catch (error) {
        return refusal(error);
      }
      const uid = payload[config.uidClaim];
      if (typeof uid !== "string") return { ok: false, reason: "UNAUTHENTICATED", message: `token refused: claim ${config.uidClaim} must be a string` };
      return { ok: true, uid };
    },
  };
}

function jwksVerifier(config: JwtAuthConfig): Verify {
  const keys = createRemoteJWKSet(new URL(config.jwksUrl!), {
    cooldownDuration: config.jwksCooldownMs,
    cacheMaxAge: config.jwksMaxAgeMs,
    timeoutDuration: config.jwksTimeoutMs,
  });
  return async (token, options) => (await jwtVerify(token, keys, options)).payload;
}

/** Rotation of shared secrets: any listed secret may have signed; only a bad signature moves on to the next. */
function secretsVerifier(secrets: readonly string[]): Verify {
  const keys = secrets.map((secret) => new TextEncoder().encode(secret));
  return async (token, options) => {
    let lastError: unknown;
    for (const key of keys) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (error) {
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  };
}

/** jose's reason in a few words: its codes and messages name the failed check, never the token's content. */
function refusal(error: unknown): Extract<IdentityVerdict, { ok: false }> {
  const code = error instanceof errors.JOSEError ? error.code : "ERR_UNKNOWN";
  if (UNAVAILABLE.has(code) || !(error instanceof errors.JOSEError)) {
    return { ok: false, reason: "AUTH_UNAVAILABLE", message: "token keys unavailable: the studio's key set could not be fetched", retryAfterSec: 1 };
  }
  const why = error instanceof errors.JWTClaimValidationFailed ? `${error.claim} ${error.reason}` : error.message.slice(0, 120);
  return { ok: false, reason: "UNAUTHENTICATED", message: `token refused (${code}): ${why}` };
}
