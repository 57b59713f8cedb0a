/**
 * Turns a zod failure into one error that names each bad key, why, and what to do,
 * so a wrong config fails at start with a message an operator can act on.
 */
import type { z } from "zod";

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly scope: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid ${scope} config:\n  - ${issues.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** What is wrong, in the schema's words: a record key's own message rather than zod's "Invalid key in record". */
export function issueReason(issue: z.core.$ZodIssue): string {
  return issue.code === "invalid_key" ? issue.issues.map((inner) => inner.message).join("; ") : issue.message;
}

export function parseConfig<S extends z.ZodType>(scope: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const key = issue.path.length ? issue.path.join(".") : "(root)";
    return `${scope}.${key}: ${issueReason(issue)}`;
  });
  throw new ConfigError(scope, issues);
}
