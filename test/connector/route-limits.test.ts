import assert from "node:assert/strict";
import { ConfigError } from "../../services/src/config/validate";
import { parseConnectorConfig } from "../../services/src/connector";
import { TestClient } from "../helpers/pomelo-client";
import { startConnector, type Running } from "./setup";

describe("connector: per-route rate limits", () => {
  let running: Running;
  afterEach(async () => running?.stop());

  it("closes a client over a route's own limit with 1008 and the route in the reason, while its other routes and other clients pass", async () => {
    running = await startConnector({ routeRateLimits: { "echo.h.echo": { perSec: 1, burst: 3 } } });
    const spammer = await TestClient.ready(running.port);
    const bystander = await TestClient.ready(running.port);
    for (let i = 0; i < 20; i++) assert.equal(((await spammer.request("connector.session.ping")) as { code: number }).code, 200, "unlimited routes pass");
    for (let i = 0; i < 3; i++) await spammer.request("echo.h.echo", { i });
    spammer.sendRaw(spammer.requestPackage("echo.h.echo", { i: 4 }));
    const closed = await spammer.waitClosed();
    assert.equal(closed.code, 1008);
    assert.deepEqual(spammer.kicks, ["rate limit exceeded on echo.h.echo: over 1/s"]);
    assert.equal(running.connector.counters.closes.rateLimited, 1);
    // Another connection has its own buckets.
    for (let i = 0; i < 3; i++) await bystander.request("echo.h.echo", { i });
    assert.equal(bystander.closed, undefined);
    bystander.close();
  });

  it("counts notifies against the route's limit too", async () => {
    running = await startConnector({ routeRateLimits: { "echo.h.say": { perSec: 1, burst: 2 } } });
    const client = await TestClient.ready(running.port);
    for (let i = 0; i < 3; i++) client.notify("echo.h.say", { i });
    assert.equal((await client.waitClosed()).code, 1008);
  });

  it("refuses a limit whose key is not a route, naming it", () => {
    assert.throws(
      () => parseConnectorConfig({ connectorId: "c", port: 0, routeRateLimits: { "not a route": { perSec: 1, burst: 1 } } }),
      (error: unknown) => error instanceof ConfigError && /connector\.routeRateLimits\.not a route: must be a route like arena\.room\.move/.test(error.message),
    );
  });
});
