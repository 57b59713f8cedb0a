import assert from "node:assert/strict";
import { PeerGoneError, RpcClient, RpcError, RpcWrongPeerError } from "../../services/src/rpc";
import { killAll, spawnEchoServer } from "./fixtures/spawn";
import { peerAt, rejection, sleep, waitFor } from "./fixtures/util";

describe("rpc when the peer process fails", function () {
  const clients: RpcClient[] = [];
  const newClient = (input: Partial<ConstructorParameters<typeof RpcClient>[0]> = {}) => {
    const client = new RpcClient({ serverId: `conn-${clients.length}`, ...input });
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await killAll();
  });

  it("fails every pending call with PeerGoneError within a second of the peer being SIGKILLed, long before their 10 s timeout", async () => {
    const server = await spawnEchoServer({ id: "game-1" });
    const client = newClient({ requestTimeoutMs: 10_000 });
    const peer = peerAt(server.port);
    const closes: (RpcError | undefined)[] = [];
    client.on("linkClose", (_peerId, reason) => closes.push(reason));

    const pending = Array.from({ length: 500 }, (_, i) => client.call(peer, "never", i));
    const settled = Promise.allSettled(pending);
    // An answered call behind them proves they all reached the server.
    assert.equal(await client.call(peer, "ping", "in"), "in");
    assert.equal(client.link("game-1")!.pendingCount, 500);

    const killedAt = performance.now();
    await server.kill("SIGKILL");
    const outcomes = await settled;
    const elapsedMs = performance.now() - killedAt;

    // The link sees the socket close: measured, 4–5 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 149–285 ms, median 171.
    assert.ok(elapsedMs < 1_000, `pending calls failed after ${elapsedMs} ms`);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      const error = (outcome as PromiseRejectedResult).reason as unknown;
      assert.ok(error instanceof PeerGoneError);
      assert.equal(error.code, "RPC_PEER_GONE");
      assert.equal(error.peerId, "game-1");
    }
    assert.equal(closes.length, 1);
    assert.ok(closes[0] instanceof PeerGoneError);
    assert.equal(client.linkCount, 0);
  });

  it("redials with growing, jittered backoff while the peer is down and works again once it is back on the same port", async () => {
    const first = await spawnEchoServer({ id: "game-1", incarnation: "before" });
    const options = { reconnectBaseMs: 40, reconnectMaxMs: 400, reconnectJitter: 0.5 };
    const client = newClient(options);
    const peer = peerAt(first.port);
    const retries: { attempt: number; delayMs: number }[] = [];
    client.on("reconnectScheduled", (_peerId, attempt, delayMs) => retries.push({ attempt, delayMs }));
    assert.equal(await client.call(peer, "ping", 1), 1);

    await first.kill("SIGKILL");
    // While the peer is down, calls fail fast instead of waiting for a timeout.
    const downSince = performance.now();
    while (performance.now() - downSince < 900) {
      const started = performance.now();
      const error = await rejection(client.call(peer, "ping", 2));
      assert.ok(error instanceof PeerGoneError, String(error));
      // measured, 3–4 runs at load average 20–28 on the 2 cores (other suites and a Stryker run beside it): 0.1–44 ms over 74 calls, median 0.2.
      assert.ok(performance.now() - started < 200, "a call to a peer that is down must fail fast");
      await sleep(25);
    }
    assert.ok(retries.length >= 3, `only ${retries.length} reconnect attempts in 900 ms`);
    retries.forEach(({ attempt, delayMs }, i) => {
      assert.equal(attempt, i + 1);
      const ceiling = Math.min(options.reconnectMaxMs, options.reconnectBaseMs * 2 ** (attempt - 1));
      // Equal jitter: each delay is drawn in [ceiling/2, ceiling]; measured ratios 0.500–0.988 over 24 attempts.
      assert.ok(delayMs <= ceiling && delayMs >= ceiling / 2 - 1, `attempt ${attempt} waited ${delayMs} ms, ceiling ${ceiling}`);
    });
    assert.ok(retries.at(-1)!.delayMs > retries[0]!.delayMs, "backoff must grow");

    const second = await spawnEchoServer({ id: "game-1", incarnation: "after", port: first.port });
    await waitFor(() => client.linkCount === 1, 2_000, "the link to be redialled");
    const who = await client.call<{ incarnation: string }>(peer, "whoami");
    assert.equal(who.incarnation, "after");
    await second.kill();
  });

  it("refuses with RpcWrongPeerError an address that now holds another server id or incarnation, delivering nothing to it", async () => {
    const server = await spawnEchoServer({ id: "game-7", incarnation: "a" });

    const wrongId = newClient();
    const queued = await Promise.allSettled([1, 2, 3].map((n) => wrongId.call(peerAt(server.port, "game-8"), "record", n)));
    for (const outcome of queued) {
      assert.equal(outcome.status, "rejected");
      const error = (outcome as PromiseRejectedResult).reason as unknown;
      assert.ok(error instanceof RpcWrongPeerError, String(error));
      assert.ok(error instanceof PeerGoneError, "a wrong peer is a kind of gone peer");
      assert.equal(error.code, "RPC_WRONG_PEER");
      assert.deepEqual(error.actual, { id: "game-7", incarnation: "a" });
      assert.equal(error.expected.id, "game-8");
    }
    // Calls while backing off keep the precise type.
    assert.ok((await rejection(wrongId.call(peerAt(server.port, "game-8"), "record", 4))) instanceof RpcWrongPeerError);

    const wrongIncarnation = newClient();
    const error = await rejection(wrongIncarnation.call(peerAt(server.port, "game-7", "b"), "record", 5));
    assert.ok(error instanceof RpcWrongPeerError);
    assert.deepEqual(error.expected, { id: "game-7", incarnation: "b" });

    const right = newClient();
    const stats = await right.call<{ recorded: unknown[] }>(peerAt(server.port, "game-7", "a"), "stats");
    assert.deepEqual(stats.recorded, [], "no request queued behind the handshake reached the wrong server");
  });
});
