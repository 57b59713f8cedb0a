/** Player identity at the gate: who a player is before the gate signs a connect token. docs/gate.md#player-identity. */
import type { PlayerAuthConfig } from "./config";
import { createJwtAuthenticator } from "./jwt";
import { createAnonymousAuthenticator, createTrustUidAuthenticator } from "./unverified";
import type { PlayerAuthenticator } from "./verdict";
import { createWebhookAuthenticator } from "./webhook";

export function createPlayerAuthenticator(config: PlayerAuthConfig): PlayerAuthenticator {
  switch (config.mode) {
    case "jwt":
      return createJwtAuthenticator(config);
    case "webhook":
      return createWebhookAuthenticator(config);
    case "anonymous":
      return createAnonymousAuthenticator();
    case "trust-uid":
      return createTrustUidAuthenticator();
  }
}

export {
  AUTH_ENV,
  AUTH_LIST_FIELDS,
  AUTH_MODE_ERROR,
  AUTH_MODES,
  AUTH_NUMBER_FIELDS,
  anonymousFields,
  jwtFields,
  trustUidFields,
  webhookFields,
  DEFAULT_JWKS_ALGORITHMS,
  JWKS_ALGORITHMS,
  MAX_CLOCK_SKEW_SEC,
  MAX_CREDENTIAL_CHARS,
  isTrustedAuthUrl,
  playerAuthSchema,
  type AuthMode,
  type JwtAuthConfig,
  type PlayerAuthConfig,
  type PlayerAuthConfigInput,
  type WebhookAuthConfig,
} from "./config";
export { createWebhookAuthenticator, type WebhookAuthenticator } from "./webhook";
export type { IdentityClaim, IdentityVerdict, PlayerAuthenticator } from "./verdict";
