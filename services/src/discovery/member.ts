/**
 * A server as the cluster sees it. `incarnation` changes every time a process (re)claims
 * an id, so "game-3 came back" is distinguishable from "game-3 never left".
 */
import { z } from "zod";

export const SERVER_ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;

export const serverInfoSchema = z
  .object({
    id: z.string().regex(SERVER_ID_PATTERN, "letters, digits, '.', '_' or '-', at most 128"),
    type: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/, "a server type such as connector, gate, arena"),
    /** Address peers dial for RPC (the pod IP in a cluster). */
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535),
    podIp: z.string().max(64).optional(),
    incarnation: z.string().min(1).max(64),
    /** Whatever the server reports as its load (sessions, players…); lower is preferred by least-loaded routing. */
    load: z.number().finite().min(0),
    /** A draining server finishes its work but must not be given new work. */
    draining: z.boolean(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .strict();

export type ServerInfo = z.output<typeof serverInfoSchema>;

/** What a server says about itself; discovery fills in incarnation, load and draining. */
export type ServerIdentity = Pick<ServerInfo, "id" | "type" | "host" | "port"> &
  Partial<Pick<ServerInfo, "podIp" | "metadata">>;

/** Parses a record read from Redis; anything malformed is `undefined` (and counted by the caller), never a crash. */
export function decodeServerInfo(raw: string): ServerInfo | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = serverInfoSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export function sameServerInfo(a: ServerInfo, b: ServerInfo): boolean {
  return (
    a.incarnation === b.incarnation &&
    a.type === b.type &&
    a.host === b.host &&
    a.port === b.port &&
    a.podIp === b.podIp &&
    a.load === b.load &&
    a.draining === b.draining &&
    sameMetadata(a.metadata, b.metadata)
  );
}

function sameMetadata(a: ServerInfo["metadata"], b: ServerInfo["metadata"]): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
