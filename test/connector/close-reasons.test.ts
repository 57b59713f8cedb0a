import assert from "node:assert/strict";
import { resumableClose } from "../../services/src/connector/socket/close-reasons";

describe("which closes leave a session resumable", () => {
  it("a dropped network, a watchdog, a slow reader and a drain may resume; a goodbye or a kick may not", () => {
    assert.equal(resumableClose("clientClosed", 1006), true, "network dropped (nginx killed, Wi-Fi lost)");
    assert.equal(resumableClose("clientClosed", 4000), true, "the client's own heartbeat watchdog");
    assert.equal(resumableClose("heartbeatTimeout", 4002), true);
    assert.equal(resumableClose("backpressure", 4008), true);
    assert.equal(resumableClose("draining", 1001), true);
    assert.equal(resumableClose("clientClosed", 1000), false, "the client said goodbye");
    assert.equal(resumableClose("clientClosed", 1001), false, "the page went away");
    for (const kind of ["kicked", "duplicateLogin", "protocolError", "rateLimited", "serverLost", "shutdown"] as const) assert.equal(resumableClose(kind, 4000), false, kind);
  });
});
