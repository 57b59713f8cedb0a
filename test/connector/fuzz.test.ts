import assert from "node:assert/strict";
import fc from "fast-check";
import WebSocket from "ws";
import { setLogDestination } from "../../services/src/logging";
import { encodeDataPackage, encodePackage, MessageType, PackageType } from "../../services/src/protocol";
import { startConnector, type Running } from "./setup";
import { TestClient } from "../helpers/pomelo-client";

const CASES = 10_000;
const LANES = 16;

/** Garbage of every kind: raw bytes, well-framed packages of any type and body, data packages with random message bytes, random routes. */
const garbage = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 64 }),
  fc.record({ type: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 48 }) }).map(({ type, body }) => Buffer.concat([Buffer.from([type, 0, 0, body.length]), body])),
  fc.uint8Array({ minLength: 1, maxLength: 48 }).map((message) => encodePackage(PackageType.Data, message)),
  fc.record({ id: fc.integer({ min: 0, max: 1_000_000 }), route: fc.string({ maxLength: 40 }), body: fc.string({ maxLength: 40 }) }).map(({ id, route, body }) =>
    encodeDataPackage({ type: MessageType.Request, id, route, body }),
  ),
  fc.constantFrom(encodePackage(PackageType.Handshake, Buffer.from("{}")), encodePackage(PackageType.Kick), encodePackage(PackageType.HandshakeAck)),
);

/** The pino lines (level ≥ 40: warn, error, fatal) the in-process connector wrote meanwhile. */
function warningsOrWorse(lines: readonly string[]): Array<{ level: number; msg: string }> {
  return lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((entry) => entry.level >= 40);
}

describe("connector: fuzzed client input", () => {
  let running: Running;
  let logLines: string[] = [];

  before(async () => {
    setLogDestination({ write: (line: string) => void logLines.push(line) });
    running = await startConnector({ rateLimitPackagesPerSec: 1_000_000, rateLimitBurstPackages: 1_000_000 });
    // A handler that fails as a bug would: what the log check below exists to catch.
    running.connector.localHandlers.handle("connector.test.crash", () => {
      throw new Error("deliberate handler bug");
    });
  });
  beforeEach(() => (logLines = []));
  after(async () => {
    await running.stop();
    setLogDestination();
  });

  it("the log check sees a handler failure: a handler that throws is logged at error level", async () => {
    const client = await TestClient.ready(running.port);
    try {
      await client.request("connector.test.crash", {}).catch(() => undefined);
    } finally {
      client.close();
    }
    assert.deepEqual(warningsOrWorse(logLines).map(({ level, msg }) => [level, msg]), [[50, "local handler failed"]]);
  });

  it(`survives ${CASES} garbage messages over many connections and still serves a healthy client`, async function () {
    // A liveness limit, not a tolerance: 12.6 s at load ~20, over 30 s once at load ~30 (2 cores).
    this.timeout(90_000);
    const cases = fc.sample(garbage, { numRuns: CASES, seed: 814 });
    let next = 0;
    let connections = 0;
    const messagesBefore = running.connector.counters.messagesIn;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        let client: TestClient | undefined;
        while (next < cases.length) {
          if (client === undefined || client.socket.readyState !== WebSocket.OPEN) {
            client?.close();
            client = await TestClient.ready(running.port);
            connections++;
          }
          client.sendRaw(cases[next++]);
          // A ping behind each case: its answer (or the close) says the connector dealt with the case.
          await Promise.race([client.request("connector.session.ping").catch(() => undefined), client.whenClosed]);
        }
        client?.close();
      }),
    );
    assert.deepEqual(warningsOrWorse(logLines), [], "no handler failure was logged");
    assert.equal(running.connector.counters.closes.internalError, 0);
    assert.ok(connections > LANES, `garbage closed connections (${connections} opened)`);
    // Besides the cases: each connection's handshake and ack, and the pings that follow cases.
    assert.ok(running.connector.counters.messagesIn - messagesBefore >= CASES + 2 * connections, "every case reached the connector");
    const healthy = await TestClient.ready(running.port);
    try {
      assert.deepEqual(((await healthy.request("echo.h.echo", { still: "here" })) as { echo: unknown }).echo, { still: "here" });
    } finally {
      healthy.close();
    }
  });
});
