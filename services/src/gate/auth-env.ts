/** The gate's AUTH_* environment (docs/gate.md#player-identity) as config input; the gate's schema validates it. */
import { numberOrUndefined } from "../roles/server-process";

/** `a, b,,c` → ["a", "b", "c"]; absent → undefined. */
export const commaList = (value: string | undefined): string[] | undefined => value?.split(",").map((item) => item.trim()).filter(Boolean);

/** The AUTH_* environment as config input (validated by the gate's schema, which names every bad key). */
export function playerAuthFromEnv(env: Readonly<Record<string, string | undefined>>): unknown {
  const fields: Record<string, unknown> = {
    mode: env.AUTH_MODE,
    jwksUrl: env.AUTH_JWKS_URL,
    hs256Secrets: commaList(env.AUTH_JWT_SECRETS),
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    uidClaim: env.AUTH_UID_CLAIM,
    clockSkewSec: numberOrUndefined(env.AUTH_CLOCK_SKEW_SEC),
    algorithms: commaList(env.AUTH_ALGORITHMS),
    jwksCooldownMs: numberOrUndefined(env.AUTH_JWKS_COOLDOWN_MS),
    jwksMaxAgeMs: numberOrUndefined(env.AUTH_JWKS_MAX_AGE_MS),
    jwksTimeoutMs: numberOrUndefined(env.AUTH_JWKS_TIMEOUT_MS),
    url: env.AUTH_WEBHOOK_URL,
    secret: env.AUTH_WEBHOOK_SECRET,
    timeoutMs: numberOrUndefined(env.AUTH_WEBHOOK_TIMEOUT_MS),
    maxConcurrent: numberOrUndefined(env.AUTH_WEBHOOK_MAX_CONCURRENT),
    cacheMs: numberOrUndefined(env.AUTH_WEBHOOK_CACHE_MS),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)));
}
