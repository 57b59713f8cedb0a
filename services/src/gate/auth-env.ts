/** The gate's AUTH_* environment (docs/gate.md#player-identity) as config input; the gate's schema validates it. */
import { AUTH_ENV, AUTH_LIST_FIELDS, AUTH_NUMBER_FIELDS } from "../auth/identity/config";
import { numberOrUndefined } from "../roles/server-process";

/** `a, b,,c` → ["a", "b", "c"]; absent → undefined. */
export const commaList = (value: string | undefined): string[] | undefined => value?.split(",").map((item) => item.trim()).filter(Boolean);

/** Each set AUTH_* variable as its field (lists split, numbers parsed); unset and empty ones left out. */
export function playerAuthFromEnv(env: Readonly<Record<string, string | undefined>>): unknown {
  const fields: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(AUTH_ENV) as Array<[keyof typeof AUTH_ENV, string]>) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    fields[field] = AUTH_LIST_FIELDS.has(field) ? commaList(raw) : AUTH_NUMBER_FIELDS.has(field) ? numberOrUndefined(raw) : raw;
  }
  return fields;
}
