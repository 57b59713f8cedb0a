/** Authentication between the gate and connectors: connect tokens. See docs/security.md. */
export {
  CONNECT_TOKEN_REJECTION_STATUS,
  CONNECT_TOKEN_REJECTIONS,
  CONNECT_TOKEN_VERSION,
  ConnectTokenConfigError,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  MAX_CONNECT_TOKEN_CHARS,
  MAX_CONNECT_TOKEN_TTL_MS,
  MIN_TOKEN_SECRET_BYTES,
  RESUME_TOKEN_AUDIENCE,
  assertTokenSecret,
  createConnectTokenVerifier,
  issueConnectToken,
  tokenSecretList,
  verifyConnectToken,
  type ConnectTokenClaims,
  type ConnectTokenRejection,
  type ConnectTokenSecrets,
  type ConnectTokenVerdict,
  type IssueConnectTokenOptions,
  type IssuedConnectToken,
  type VerifyConnectTokenOptions,
} from "./connect-token";
export { allowedOriginsSchema, checkOriginPolicy, createOriginCheck, isExactOrigin, type OriginVerdict } from "./origin-policy";
export { createResumeTokenVerifier, DEFAULT_RESUME_TOKEN_TTL_MS, issueResumeToken, type IssuedResumeToken, type IssueResumeTokenOptions } from "./resume-token";
