/**
 * The Origin allowlist, one policy for every door a browser can knock on (connector upgrades, the
 * gate): a present Origin must be listed exactly; a missing one (native clients, bots) passes
 * unless `allowMissingOrigin` is false. No allowlist: any origin.
 */
import { z } from "zod";

/** An exact browser origin: scheme, host and port as the `Origin` header spells them (no path, no trailing slash). */
export function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

export const allowedOriginsSchema = z
  .array(z.string().refine(isExactOrigin, { message: "must be an exact origin like https://play.example.com (scheme://host[:port], no path or trailing slash)" }))
  .min(1, "must list at least one origin; leave allowedOrigins out to accept any origin")
  .optional();

/** Config refinement: refusing clients without an Origin only makes sense with an allowlist. */
export function checkOriginPolicy(value: { allowedOrigins?: readonly string[] | undefined; allowMissingOrigin: boolean }, ctx: z.RefinementCtx): void {
  if (!value.allowMissingOrigin && value.allowedOrigins === undefined) {
    ctx.addIssue({ code: "custom", path: ["allowMissingOrigin"], message: "false needs allowedOrigins (which origins are allowed?)" });
  }
}

export type OriginVerdict = "ok" | "ORIGIN_MISSING" | "ORIGIN_NOT_ALLOWED";

/** `origin` is the header's value, "" when absent. */
export function createOriginCheck(allowedOrigins: readonly string[] | undefined, allowMissingOrigin: boolean): (origin: string) => OriginVerdict {
  if (allowedOrigins === undefined) return () => "ok";
  const allowed = new Set(allowedOrigins);
  return (origin) => {
    if (origin === "") return allowMissingOrigin ? "ok" : "ORIGIN_MISSING";
    return allowed.has(origin) ? "ok" : "ORIGIN_NOT_ALLOWED";
  };
}
