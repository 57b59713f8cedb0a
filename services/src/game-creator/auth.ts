/** Bearer-token check of the API, constant-time whatever the presented token's length. */
import { createHash, timingSafeEqual } from "node:crypto";

export type AuthResult = "ok" | "missing" | "invalid";

export function bearerChecker(token: string): (authorization: string) => AuthResult {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(authorization.trim());
    if (authorization === "") return "missing";
    if (match === null) return "invalid";
    // Digests have one length, so timingSafeEqual never leaks the token's length.
    return timingSafeEqual(digest(match[1]), expected) ? "ok" : "invalid";
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
