/**
 * The stack file (`stacks/Pulumi.<stack>.yaml`) as PomonaCluster args: every `pomona:*` key is checked
 * first with the stack file's names for keys and fixes (unknown keys too); secrets stay Pulumi secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PomonaClusterArgs } from "./cluster";
import { parseStackConfig, SECRET_KEYS, type SecretKey } from "./config-schema";

const PREFIX = "pomona:";

/** Pulumi hands structured values over as JSON text and scalars as plain text. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The stack's args for its one PomonaCluster, after the stack file passed validation. */
export function clusterArgsFromStack(): PomonaClusterArgs {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(PREFIX)) raw[key.slice(PREFIX.length)] = parseValue(value);
  }
  parseStackConfig(pulumi.getStack(), raw);
  const stackConfig = new pulumi.Config("pomona");
  const secrets = Object.fromEntries(SECRET_KEYS.filter((key) => key in raw).map((key: SecretKey) => [key, stackConfig.requireSecret(key)]));
  const plain = Object.fromEntries(Object.entries(raw).filter(([key]) => !(SECRET_KEYS as readonly string[]).includes(key)));
  return { ...plain, ...secrets } as PomonaClusterArgs;
}
