import { ProtocolError } from "./errors";
import { isJsonObject, parseJsonBytes } from "./json";
import { encodePackage, PackageType } from "./package";

/** Kick: the server tells a client why it is being disconnected, as JSON `{reason}`. */
export interface Kick {
  /** Absent when a Pomelo server kicked without a reason (it sends `{}`). */
  readonly reason?: string;
}

export function encodeKickPackage(reason: string): Buffer {
  return encodePackage(PackageType.Kick, Buffer.from(JSON.stringify({ reason }), "utf8"));
}

export function parseKick(body: Uint8Array): Kick {
  const kick = parseJsonBytes(body, "BAD_BODY", "kick body");
  if (!isJsonObject(kick)) {
    throw new ProtocolError("BAD_BODY", "kick body must be a JSON object");
  }
  const { reason } = kick;
  if (reason === undefined) {
    return {};
  }
  if (typeof reason !== "string") {
    throw new ProtocolError("BAD_BODY", "kick reason must be a string");
  }
  return { reason };
}
