/**
 * The small HTTP answers every uWS server gives: a JSON body, and the two probes. Liveness is the
 * event loop answering (never Redis); readiness is whatever the server says (registered, not
 * draining). Each probe names the server it came from.
 */
import type { HttpResponse, TemplatedApp } from "uWebSockets.js";

export function writeJson(res: HttpResponse, status: string, body: object): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader("Content-Type", "application/json").writeHeader("Cache-Control", "no-store").end(JSON.stringify(body));
  });
}

/** `GET /healthz` → `{ok: true, …identity}`; `GET /readyz` → `{ready, …identity}`, 503 when not ready. */
export function serveProbes(app: TemplatedApp, identity: Readonly<Record<string, string>>, isReady: () => boolean): void {
  app.get("/healthz", (res) => writeJson(res, "200 OK", { ok: true, ...identity }));
  app.get("/readyz", (res) => {
    const ready = isReady();
    writeJson(res, ready ? "200 OK" : "503 Service Unavailable", { ready, ...identity });
  });
}
