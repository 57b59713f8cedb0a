/** gate-main as a real process, in front of a real connector that checks the token it issues. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { startConnectorRole, type ConnectorRole } from "../../services/src/roles/connector-role";
import { QUERY_ENTRY_ROUTE } from "../../services/src/gate";
import { FixtureProcess } from "../helpers/child-process";
import { TestClient } from "../helpers/pomelo-client";
import { freePort } from "../helpers/ports";
import { RedisServer } from "../helpers/redis-server";
import { waitUntil } from "../helpers/wait";

const SECRET = randomBytes(48).toString("base64");
const GATE_MAIN = "services/src/gate/gate-main.ts";

describe("gate: gate-main process, end to end with a connector", function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let connector: ConnectorRole | undefined;
  let gate: FixtureProcess | undefined;

  before(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await gate?.kill();
    gate = undefined;
    await connector?.stop();
    connector = undefined;
  });
  after(async () => {
    await redis?.stop();
  });

  it("prints ready, hands out a token the connector accepts (uid bound), stops on SIGTERM", async () => {
    const connectorPort = await freePort();
    connector = await startConnectorRole({
      connector: { connectorId: "connector-0", host: "127.0.0.1", port: connectorPort, auth: { tokenSecrets: [SECRET] } },
      discovery: { redis: { url: redis.url }, namespace: "gatemain" },
      advertiseHost: "127.0.0.1",
    });
    const gatePort = await freePort();
    gate = FixtureProcess.start(GATE_MAIN, {
      REDIS_URL: redis.url,
      POMONA_NAMESPACE: "gatemain",
      PORT: String(gatePort),
      HOST: "127.0.0.1",
      TOKEN_SECRETS: SECRET,
      FRONT_DOOR: "direct",
      AUTH_MODE: "trust-uid",
    });
    const ready = await gate.waitFor("ready", 15_000);
    assert.equal(ready.port, gatePort);
    assert.equal(ready.frontDoor, "direct");

    const client = await TestClient.ready(gatePort);
    let answer: { code: number; url?: string } = { code: 0 };
    await waitUntil(async () => (answer = (await client.request(QUERY_ENTRY_ROUTE, { uid: "zoe" })) as typeof answer).code === 200, 5_000, "a connector in the gate's view");
    client.close();
    assert.equal(answer.url?.startsWith(`ws://127.0.0.1:${connectorPort}/?token=`), true, answer.url);

    const socket = new WebSocket(answer.url!);
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const player = TestClient.adopt(socket);
    assert.equal((await player.handshake()).code, 200);
    const ping = (await player.request("connector.session.ping")) as { uid: string | null };
    assert.equal(ping.uid, "zoe", "the connector bound the uid the gate vouched for");
    player.close();

    // Without the token the connector refuses the upgrade.
    const refused = await new Promise<number>((resolve, reject) => {
      const bare = new WebSocket(`ws://127.0.0.1:${connectorPort}/`);
      bare.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      bare.once("open", () => reject(new Error("upgraded without a token")));
    });
    assert.equal(refused, 401);

    gate.signal("SIGTERM");
    const stopped = await gate.waitFor("stopped", 10_000);
    assert.equal((stopped.queries as { ok: number }).ok >= 1, true);
  });

  it("fails at start with the key named when the secret is too short", async () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", GATE_MAIN], {
      env: { ...process.env, REDIS_URL: redis.url, PORT: String(await freePort()), TOKEN_SECRETS: "short", FRONT_DOOR: "subdomain", DOMAIN: "play.example.com" },
      encoding: "utf8",
      timeout: 15_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /gate\.tokenSecrets\.0: must be at least 32 bytes/);
  });
});
