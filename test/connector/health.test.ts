import assert from "node:assert/strict";
import { TestClient } from "../helpers/pomelo-client";
import { startConnector } from "./setup";

const get = async (port: number, path: string) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("connector: health endpoints next to the WebSocket route", () => {
  it("answers /healthz always and /readyz by its readiness, while clients still upgrade on the same port", async () => {
    let ready = false;
    const running = await startConnector({}, undefined, () => ready);
    try {
      assert.deepEqual(await get(running.port, "/healthz"), { status: 200, body: { ok: true, connector: "connector-0" } });
      assert.deepEqual(await get(running.port, "/readyz"), { status: 503, body: { ready: false, connector: "connector-0" } });
      ready = true;
      assert.deepEqual(await get(running.port, "/readyz"), { status: 200, body: { ready: true, connector: "connector-0" } });
      const client = await TestClient.ready(running.port);
      assert.equal(client.handshakeResponse?.code, 200);
      client.close();
    } finally {
      await running.stop();
    }
  });
});
