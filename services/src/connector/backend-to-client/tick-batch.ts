/**
 * The per-tick fan-out: one TickBatch per backend per tick becomes topic membership changes,
 * one uWS publish per channel broadcast (encoded once by the backend, copied by uWS to each
 * subscriber) and one WebSocket message per session for its per-player packages.
 */
import type { TemplatedApp } from "uWebSockets.js";
import type { TickBatch } from "../../cluster/contract";
import type { SessionRegistry } from "../../session/registry";
import type { ConnectorCounters } from "../counters";
import type { ClientConnection } from "../socket/client-connection";

export function applyTickBatch(batch: TickBatch, app: TemplatedApp, sessions: SessionRegistry<ClientConnection>, counters: ConnectorCounters): void {
  counters.batchesApplied++;
  const { unsubscribe, subscribe, broadcasts, direct } = batch;
  for (let index = 0; index < unsubscribe.length; index++) {
    const [topic, sessionId] = unsubscribe[index];
    const ws = sessions.get(sessionId)?.ws;
    if (ws === undefined) counters.unknownSessionsSkipped++;
    else ws.unsubscribe(topic);
  }
  for (let index = 0; index < subscribe.length; index++) {
    const [topic, sessionId] = subscribe[index];
    const ws = sessions.get(sessionId)?.ws;
    if (ws === undefined) counters.unknownSessionsSkipped++;
    else ws.subscribe(topic);
  }
  for (let index = 0; index < broadcasts.length; index++) {
    const [topic, packages] = broadcasts[index];
    counters.broadcasts++;
    counters.fanoutMessages += app.numSubscribers(topic);
    app.publish(topic, packages, true);
  }
  for (let index = 0; index < direct.length; index++) {
    const [sessionId, packages] = direct[index];
    const connection = sessions.get(sessionId);
    if (connection === undefined) counters.unknownSessionsSkipped++;
    else if (connection.send(packages)) counters.fanoutMessages++;
  }
}

/** Cheap shape check of a batch off the wire (msgpack can decode to anything). */
export function isTickBatch(value: unknown): value is TickBatch {
  const batch = value as Partial<TickBatch> | null;
  return (
    typeof batch === "object" &&
    batch !== null &&
    Array.isArray(batch.unsubscribe) &&
    Array.isArray(batch.subscribe) &&
    Array.isArray(batch.broadcasts) &&
    Array.isArray(batch.direct)
  );
}
