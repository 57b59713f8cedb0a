/** What the connect-token specs and their fuzz suite share: secrets, a fixed clock, and a way to sign any claims part. */
import { createHmac } from "node:crypto";

export const SECRET = "s".repeat(32) + "-current-secret";
export const OLD_SECRET = "o".repeat(32) + "-old-secret";
export const NOW = 1_800_000_000_000;

/** Signs an arbitrary claims part the way the issuer does, to reach the checks behind the signature. */
export const signRaw = (body: string, secret = SECRET) => `${body}.${createHmac("sha256", secret).update(body, "latin1").digest("base64url")}`;
export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
