/**
 * The one validated, typed config object of this stack, read from `stacks/Pulumi.<stack>.yaml`.
 * Every `pomona:*` key is checked (unknown keys too); secrets stay Pulumi secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type PomonaConfig, type SecretKey } from "./config-schema";

const PREFIX = "pomona:";

/** Pulumi hands structured values over as JSON text and scalars as plain text. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readStackConfig(): PomonaConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(PREFIX)) raw[key.slice(PREFIX.length)] = parseValue(value);
  }
  return parseStackConfig(pulumi.getStack(), raw);
}

export const config: PomonaConfig = readStackConfig();

/** A secret from the stack file, or undefined when it is to be generated. */
export function secretFromStack(key: SecretKey): pulumi.Output<string> | undefined {
  return config.givenSecrets.has(key) ? new pulumi.Config("pomona").requireSecret(key) : undefined;
}
