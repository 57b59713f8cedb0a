import assert from "node:assert/strict";
import { parseRpcClientOptions, parseRpcServerOptions, RpcClient } from "../../services/src/rpc";

describe("rpc options", () => {
  it("fills documented defaults for everything but the server's own id", () => {
    assert.deepEqual(parseRpcClientOptions({ serverId: "connector-1" }), {
      serverId: "connector-1",
      requestTimeoutMs: 5_000,
      maxPendingRequests: 10_000,
      maxQueuedBytes: 8 * 1024 * 1024,
      maxFrameBytes: 16 * 1024 * 1024,
      pingIntervalMs: 5_000,
      pingTimeoutMs: 15_000,
      connectTimeoutMs: 2_000,
      idleCloseMs: 60_000,
      reconnectBaseMs: 100,
      reconnectMaxMs: 5_000,
      reconnectJitter: 0.5,
    });
    assert.equal(parseRpcServerOptions({ serverId: "game-1", incarnation: "x" }).idleCloseMs, 0);
  });

  it("rejects a bad setting at construction, naming the key and the reason", () => {
    assert.throws(() => new RpcClient({ serverId: "c", requestTimeoutMs: 0 }), /rpc\.client\.requestTimeoutMs/);
    assert.throws(() => new RpcClient({ serverId: "c", reconnectBaseMs: 10_000, reconnectMaxMs: 1_000 }), /reconnectBaseMs: must not exceed reconnectMaxMs/);
    assert.throws(() => new RpcClient({ serverId: "c", pingIntervalMs: 1_000, pingTimeoutMs: 500 }), /pingTimeoutMs: must exceed pingIntervalMs/);
    assert.throws(() => parseRpcServerOptions({ serverId: "g", incarnation: "i", requestTimeout: 5 } as never), /requestTimeout/);
  });
});
