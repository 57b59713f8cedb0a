/** `GET /metrics` on a uWS app: the registry's text exposition, written once the scrape resolves (if the scraper is still there). */
import type { HttpResponse, TemplatedApp } from "uWebSockets.js";
import type { Registry } from "prom-client";

export function serveMetrics(app: TemplatedApp, registry: Registry): void {
  app.get("/metrics", (res: HttpResponse) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    registry.metrics().then(
      (text) => {
        if (aborted) return;
        res.cork(() => {
          res.writeHeader("Content-Type", registry.contentType).writeHeader("Cache-Control", "no-store").end(text);
        });
      },
      (error: unknown) => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus("500 Internal Server Error").end(`metrics failed: ${(error as Error).message}`);
        });
      },
    );
  });
}
