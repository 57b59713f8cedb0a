/**
 * How the gate knows who a player is (docs/gate.md#player-identity): one validated config per mode,
 * read from AUTH_* environment variables by gate-main and from `pomona:auth` by the stack.
 * Errors name the key, its environment variable and the fix.
 */
import { z } from "zod";
import { MIN_TOKEN_SECRET_BYTES } from "../connect-token";

export const AUTH_MODES = ["jwt", "webhook", "anonymous", "trust-uid"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** Asymmetric algorithms a JWKS may verify: HS* (a shared secret) and `none` can never be listed, so HS/RS confusion has no path. */
export const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export const DEFAULT_JWKS_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"] as const;
export const MAX_CLOCK_SKEW_SEC = 300;
/** Credentials longer than this are refused before any parsing (a JWT with a few claims is under 2 KB). */
export const MAX_CREDENTIAL_CHARS = 8192;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** https, or http to a loopback address (tests, a sidecar): keys and answers must not cross a network in clear. */
export function isTrustedAuthUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
  } catch {
    return false;
  }
}

const authUrl = (env: string) =>
  z.string().refine(isTrustedAuthUrl, { message: `must be an https:// URL (http:// only to a loopback address); set ${env}` });
const secret = (env: string) =>
  z.string().refine((value) => Buffer.byteLength(value, "utf8") >= MIN_TOKEN_SECRET_BYTES, {
    message: `must be at least ${MIN_TOKEN_SECRET_BYTES} bytes; set ${env} from a Secret (\`openssl rand -base64 48\`)`,
  });

/** The jwt mode's fields, unrefined (the stack config reuses them, its secrets kept apart). */
export const jwtFields = z
  .object({
    mode: z.literal("jwt"),
    /** The studio's JSON Web Key Set (AUTH_JWKS_URL); keys are cached and re-fetched when an unknown `kid` arrives (rotation). */
    jwksUrl: authUrl("AUTH_JWKS_URL").optional(),
    /** HS256 shared secrets instead of a JWKS (AUTH_JWT_SECRETS, comma-separated, from a Secret); any verifies. */
    hs256Secrets: z.array(secret("AUTH_JWT_SECRETS")).min(1).max(8).optional(),
    /** Required `iss` (AUTH_ISSUER). */
    issuer: z.string({ error: "is required: the `iss` every token must carry; set AUTH_ISSUER" }).min(1),
    /** Required `aud` (AUTH_AUDIENCE). */
    audience: z.string({ error: "is required: the `aud` every token must carry; set AUTH_AUDIENCE" }).min(1),
    /** The claim that names the player (AUTH_UID_CLAIM). */
    uidClaim: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be a claim name; set AUTH_UID_CLAIM").default("sub"),
    /** Tolerance on `exp` and `nbf` (AUTH_CLOCK_SKEW_SEC). */
    clockSkewSec: z.number().int().min(0).max(MAX_CLOCK_SKEW_SEC, `must be at most ${MAX_CLOCK_SKEW_SEC}; set AUTH_CLOCK_SKEW_SEC`).default(30),
    /** JWKS algorithms accepted (AUTH_ALGORITHMS); asymmetric only. */
    algorithms: z
      .array(z.enum(JWKS_ALGORITHMS, { error: `must be asymmetric algorithms among ${JWKS_ALGORITHMS.join(", ")} (HS* and none are never accepted from a JWKS); set AUTH_ALGORITHMS` }))
      .min(1)
      .default([...DEFAULT_JWKS_ALGORITHMS]),
    /** Least time between two JWKS fetches, also for unknown `kid`s (AUTH_JWKS_COOLDOWN_MS). */
    jwksCooldownMs: z.number().int().min(0).max(600_000).default(30_000),
    /** Keys are re-fetched after this even without an unknown `kid` (AUTH_JWKS_MAX_AGE_MS). */
    jwksMaxAgeMs: z.number().int().min(1_000).max(86_400_000).default(600_000),
    /** One JWKS fetch (AUTH_JWKS_TIMEOUT_MS). */
    jwksTimeoutMs: z.number().int().min(100).max(30_000).default(3_000),
  })
  .strict();

const jwtSchema = jwtFields.superRefine((value, ctx) => {
  if ((value.jwksUrl === undefined) === (value.hs256Secrets === undefined)) {
    ctx.addIssue({ code: "custom", path: ["jwksUrl"], message: "give exactly one of jwksUrl (AUTH_JWKS_URL) or hs256Secrets (AUTH_JWT_SECRETS)" });
  }
});

export const webhookFields = z
  .object({
    mode: z.literal("webhook"),
    /** The studio endpoint the gate POSTs credentials to (AUTH_WEBHOOK_URL). */
    url: authUrl("AUTH_WEBHOOK_URL"),
    /** Sent as `Authorization: Bearer` so the studio knows the call is the gate's (AUTH_WEBHOOK_SECRET, from a Secret). */
    secret: secret("AUTH_WEBHOOK_SECRET"),
    /** One check; past it the player is refused (AUTH_WEBHOOK_TIMEOUT_MS). */
    timeoutMs: z.number().int().min(50).max(30_000).default(2_000),
    /** Checks in flight at once; more are refused at once with 503 (AUTH_WEBHOOK_MAX_CONCURRENT). */
    maxConcurrent: z.number().int().min(1).max(10_000).default(64),
    /** How long an accepted credential is remembered; refusals are never cached (AUTH_WEBHOOK_CACHE_MS, 0 = no cache). */
    cacheMs: z.number().int().min(0).max(300_000).default(10_000),
    /** Entries of that cache. */
    cacheEntries: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict();

export const anonymousFields = z.object({ mode: z.literal("anonymous") }).strict();
export const trustUidFields = z.object({ mode: z.literal("trust-uid") }).strict();

export const AUTH_MODE_ERROR = 'must be an object whose mode (AUTH_MODE) is "jwt", "webhook", "anonymous" or "trust-uid" (development only: any client claims any uid)';

export const playerAuthSchema = z.discriminatedUnion("mode", [jwtSchema, webhookFields, anonymousFields, trustUidFields], { error: AUTH_MODE_ERROR });

type AuthField = keyof z.input<typeof jwtFields> | keyof z.input<typeof webhookFields>;

/** The environment variable of each field: gate-main reads them, the stack's gate Deployment sets them. */
export const AUTH_ENV: Readonly<Record<AuthField, string>> = {
  mode: "AUTH_MODE",
  jwksUrl: "AUTH_JWKS_URL",
  hs256Secrets: "AUTH_JWT_SECRETS",
  issuer: "AUTH_ISSUER",
  audience: "AUTH_AUDIENCE",
  uidClaim: "AUTH_UID_CLAIM",
  clockSkewSec: "AUTH_CLOCK_SKEW_SEC",
  algorithms: "AUTH_ALGORITHMS",
  jwksCooldownMs: "AUTH_JWKS_COOLDOWN_MS",
  jwksMaxAgeMs: "AUTH_JWKS_MAX_AGE_MS",
  jwksTimeoutMs: "AUTH_JWKS_TIMEOUT_MS",
  url: "AUTH_WEBHOOK_URL",
  secret: "AUTH_WEBHOOK_SECRET",
  timeoutMs: "AUTH_WEBHOOK_TIMEOUT_MS",
  maxConcurrent: "AUTH_WEBHOOK_MAX_CONCURRENT",
  cacheMs: "AUTH_WEBHOOK_CACHE_MS",
  cacheEntries: "AUTH_WEBHOOK_CACHE_ENTRIES",
};

/** Fields that are lists (comma-separated in the environment) and numbers; the rest are strings. */
export const AUTH_LIST_FIELDS: ReadonlySet<AuthField> = new Set(["hs256Secrets", "algorithms"]);
export const AUTH_NUMBER_FIELDS: ReadonlySet<AuthField> = new Set(["clockSkewSec", "jwksCooldownMs", "jwksMaxAgeMs", "jwksTimeoutMs", "timeoutMs", "maxConcurrent", "cacheMs", "cacheEntries"]);

export type PlayerAuthConfigInput = z.input<typeof playerAuthSchema>;
export type PlayerAuthConfig = z.output<typeof playerAuthSchema>;
export type JwtAuthConfig = Extract<PlayerAuthConfig, { mode: "jwt" }>;
export type WebhookAuthConfig = Extract<PlayerAuthConfig, { mode: "webhook" }>;
