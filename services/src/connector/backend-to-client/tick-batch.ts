/** The shape of a tick batch off the wire; tick-fanout.ts applies it. */
import type { TickBatch } from "../../cluster/contract";

/** Cheap shape check of a batch off the wire (msgpack can decode to anything). */
export function isTickBatch(value: unknown): value is TickBatch {
  const batch = value as Partial<TickBatch> | null;
  return (
    typeof batch === "object" &&
    batch !== null &&
    Array.isArray(batch.unsubscribe) &&
    Array.isArray(batch.subscribe) &&
    Array.isArray(batch.broadcasts) &&
    Array.isArray(batch.directSessions) &&
    Array.isArray(batch.directEnds) &&
    batch.directEnds.length === batch.directSessions.length &&
    batch.directPackages instanceof Uint8Array &&
    (batch.resync === undefined || typeof batch.resync === "boolean")
  );
}
