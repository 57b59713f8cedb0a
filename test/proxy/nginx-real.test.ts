/**
 * The real nginx binary on the generated config: `nginx -t` accepts both modes, and in local mode
 * nginx routes each `connector-N.localhost` to the real connector N, refuses every other Host with
 * 404 without touching an upstream, carries pushes, and reloads under 200 players without a drop.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import WebSocket from "ws";
import { ConnectorMethod, directPart, type TickBatch } from "../../services/src/cluster/contract";
import { Connector } from "../../services/src/connector";
import { encodeDataPackage, MessageType } from "../../services/src/protocol";
import { renderNginxConfig, type NginxTopologyInput } from "../../services/src/proxy";
import { RpcClient, RpcServer, type RpcLink } from "../../services/src/rpc";
import { dictionary } from "../connector/setup";
import { TestGateway } from "../connector/test-gateway";
import { TestClient } from "../helpers/pomelo-client";
import { freePort } from "../helpers/ports";
import { sleep, waitUntil } from "../helpers/wait";
import { httpGet, isAlive, makePrefix, NginxProcess, nginxCommand, requireNginx, writeConf } from "./nginx-process";

const pushPackage = (route: string, body: unknown): Buffer => encodeDataPackage({ type: MessageType.Push, route, body: JSON.stringify(body) }, dictionary);

/** A TCP relay in front of a connector that counts the connections nginx opens to it. */
class CountingRelay {
  accepted = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  constructor(target: number) {
    this.server = net.createServer((inbound) => {
      this.accepted++;
      const outbound = net.connect(target, "127.0.0.1");
      for (const socket of [inbound, outbound]) {
        this.sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => {
          this.sockets.delete(socket);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port)));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Upstream {
  readonly id: string;
  readonly connector: Connector;
  readonly rpc: RpcClient;
  readonly relay: CountingRelay;
  readonly relayPort: number;
  link: RpcLink;
}

async function startUpstream(id: string): Promise<Upstream> {
  const rpc = new RpcClient({ serverId: id });
  const connector = new Connector({
    // Clients here stay silent for seconds: a long heartbeat keeps the connector from kicking them.
    config: { connectorId: id, host: "127.0.0.1", port: await freePort(), routeDictionary: dictionary, heartbeatSec: 30, idleTimeoutSec: 120 },
    rpc,
    gateway: (events) => new TestGateway(events),
  });
  const port = await connector.listen();
  const relay = new CountingRelay(port);
  return { id, connector, rpc, relay, relayPort: await relay.listen(), link: undefined as unknown as RpcLink };
}

/** Sends a WebSocket upgrade with `host` and resolves with the HTTP status nginx answered instead of upgrading. */
function rejectedUpgradeStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { Host: host } });
    socket.on("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("open", () => {
      socket.terminate();
      reject(new Error(`Host ${host} was upgraded; expected a refusal`));
    });
    socket.on("error", () => undefined);
  });
}

describe("nginx proxy: the real nginx binary on the generated config", function () {
  const prefixes: string[] = [];
  before(() => requireNginx());
  after(() => {
    for (const prefix of prefixes.splice(0)) fs.rmSync(prefix, { recursive: true, force: true });
  });

  describe("nginx -t", () => {
    function assertValid(topology: NginxTopologyInput): void {
      const prefix = makePrefix();
      prefixes.push(prefix);
      const conf = writeConf(prefix, "nginx.conf", renderNginxConfig(topology));
      const run = nginxCommand(prefix, conf, ["-t"]);
      assert.equal(run.status, 0, `nginx -t failed:\n${run.output}`);
      assert.match(run.output, /test is successful/);
      assert.doesNotMatch(run.output, /\[(warn|emerg|alert|crit)\]/, `nginx -t complained:\n${run.output}`);
    }

    it("accepts cluster mode without resolving any pod name at start (64 replicas)", () => {
      assertValid({ mode: "cluster", domain: "play.example.com", connectors: 64, listenPort: 8080, headlessService: "pomona-connectors", namespace: "games", connectorPort: 3010, resolvers: ["127.0.0.1"] });
    });

    it("accepts cluster mode with TLS and 1000 replicas under a long domain", function () {
      const prefix = makePrefix();
      prefixes.push(prefix);
      const cert = path.join(prefix, "tls.crt");
      const key = path.join(prefix, "tls.key");
      const openssl = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=*.play.example.com", "-keyout", key, "-out", cert], { encoding: "utf8" });
      assert.equal(openssl.status, 0, `openssl req failed (it ships with Debian; apt-get install openssl): ${openssl.stderr ?? openssl.error}`);
      fs.chmodSync(key, 0o644);
      const domain = `${"a".repeat(60)}.${"b".repeat(60)}.play.example.com`;
      assertValid({ mode: "cluster", domain, connectors: 1000, listenPort: 8443, headlessService: "pomona-connectors", namespace: "games", connectorPort: 3010, resolvers: ["127.0.0.1:53"], tls: { certificatePath: cert, keyPath: key } });
    });

    it("accepts local mode", () => {
      assertValid({ mode: "local", domain: "localhost", connectors: 2, listenPort: 18080, connectorPorts: [3010, 3011] });
    });
  });

  describe("local mode, proxying to two real connectors", () => {
    const upstreams: Upstream[] = [];
    const clients: TestClient[] = [];
    let backend: RpcServer;
    let nginx: NginxProcess;
    let port: number;

    const connectionsSeen = () => upstreams.map((upstream) => upstream.relay.accepted);
    const openClients = () => upstreams.map(({ connector }) => connector.counters.clients);
    /** WebSockets each connector ever opened: open ones plus closed ones, so earlier tests' clients closing do not move it. */
    const upgradesSeen = () =>
      upstreams.map(({ connector }) => connector.counters.clients + Object.values(connector.counters.closes).reduce((sum, n) => sum + n, 0));

    async function ready(host: string): Promise<{ client: TestClient; sessionId: string }> {
      const client = await TestClient.ready(port, { host });
      clients.push(client);
      const { sessionId } = (await client.request("connector.session.ping")) as { sessionId: string };
      return { client, sessionId };
    }

    const batch = (upstream: Upstream, parts: Partial<TickBatch>): void =>
      upstream.link.notify(ConnectorMethod.batch, { serverId: "arena-1", tick: 1, unsubscribe: [], subscribe: [], broadcasts: [], ...directPart([]), ...parts } satisfies TickBatch);

    before(async () => {
      backend = new RpcServer({ serverId: "arena-1", incarnation: "inc-1" });
      backend.handle("hello", () => "hi");
      const address = await backend.listen();
      for (const id of ["connector-0", "connector-1"]) {
        const upstream = await startUpstream(id);
        upstreams.push(upstream);
        // A connector dials its backends; this first call opens the link the backend pushes on.
        await upstream.rpc.call({ id: "arena-1", host: address.host, port: address.port, incarnation: "inc-1" }, "hello");
        upstream.link = backend.link(id)!;
        assert.ok(upstream.link, `backend link to ${id}`);
      }
      port = await freePort();
      const prefix = makePrefix();
      prefixes.push(prefix);
      const conf = writeConf(
        prefix,
        "nginx.conf",
        renderNginxConfig({
          mode: "local",
          domain: "localhost",
          connectors: 2,
          listenPort: port,
          connectorPorts: upstreams.map((upstream) => upstream.relayPort),
          heartbeatSec: 30,
          maxConnectionsPerIp: 1000,
          workerProcesses: 2,
        }),
      );
      nginx = await NginxProcess.start(prefix, conf, port);
    });

    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
    });

    after(async () => {
      for (const client of clients.splice(0)) client.close();
      await nginx?.stop();
      for (const upstream of upstreams.splice(0)) {
        await upstream.connector.stop();
        upstream.rpc.close();
        await upstream.relay.close();
      }
      await backend?.close();
    });

    it("routes each connector-N.localhost to connector N, through the Pomelo handshake", async () => {
      for (const n of [0, 1, 1, 0]) {
        const { client, sessionId } = await ready(`connector-${n}.localhost`);
        const handshake = client.handshakeResponse;
        assert.equal(handshake?.code, 200);
        assert.deepEqual(handshake?.code === 200 ? handshake.user : undefined, { connectorId: `connector-${n}` }, "the handshake reply names connector N");
        assert.ok(sessionId.startsWith(`connector-${n}.`), `session ${sessionId} lives on connector-${n}`);
        const echoed = (await client.request("echo.h.echo", { n })) as { echo: unknown; sessionId: string };
        assert.deepEqual(echoed.echo, { n });
        assert.equal(echoed.sessionId, sessionId);
      }
      assert.deepEqual(connectionsSeen(), [2, 2], "each connector saw exactly its own two clients");
    });

    it("answers 404 to every other Host and never opens a connection to a connector", async () => {
      const connectionsBefore = connectionsSeen();
      const upgradesBefore = upgradesSeen();
      const strangers = ["connector-7.localhost", "connector-01.localhost", "evil.internal", "localhost", "connector-0.localhost.evil.internal", "connector-0", "127.0.0.1"];
      for (const host of strangers) {
        assert.equal(await rejectedUpgradeStatus(port, host), 404, `WebSocket upgrade with Host ${host}`);
        assert.equal((await httpGet(port, "/", host)).status, 404, `HTTP GET with Host ${host}`);
      }
      await sleep(100);
      assert.deepEqual(connectionsSeen(), connectionsBefore, "no TCP connection reached any connector");
      assert.deepEqual(upgradesSeen(), upgradesBefore);
      assert.equal((await httpGet(port, "/healthz", "evil.internal")).status, 200, "/healthz is answered by nginx itself");
    });

    it("delivers backend pushes and tick broadcasts to players through nginx", async () => {
      const a = await ready("connector-0.localhost");
      const b = await ready("connector-1.localhost");
      const result = (await upstreams[0]!.link.call(ConnectorMethod.push, { sessionIds: [a.sessionId], packages: pushPackage("onTick", { to: "a" }) })) as { delivered: number };
      assert.equal(result.delivered, 1);
      await waitUntil(() => a.client.pushes.length === 1, 2_000, "direct push via nginx");
      assert.deepEqual(a.client.pushes[0], { route: "onTick", body: { to: "a" } });
      batch(upstreams[1]!, { subscribe: [["arena-1/room", b.sessionId]], broadcasts: [["arena-1/room", pushPackage("onTick", { tick: 1 })]] });
      await waitUntil(() => b.client.pushes.length === 1, 2_000, "broadcast via nginx");
      assert.deepEqual(b.client.pushes[0], { route: "onTick", body: { tick: 1 } });
      assert.equal(a.client.pushes.length, 1, "connector-1's broadcast did not reach connector-0's player");
    });

    it("drops none of 200 connected players on nginx -s reload; they keep receiving pushes", async function () {
      this.timeout(30_000);
      const players: Array<{ client: TestClient; sessionId: string; connector: number; pushes: number }> = [];
      for (let wave = 0; wave < 4; wave++) {
        const joined = await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const connector = (wave * 50 + i) % 2;
            const { client, sessionId } = await ready(`connector-${connector}.localhost`);
            return { client, sessionId, connector, pushes: 0 };
          }),
        );
        players.push(...joined);
      }
      assert.equal(players.length, 200);
      for (const player of players) {
        assert.ok(player.sessionId.startsWith(`connector-${player.connector}.`));
        player.client.recordPushes = false;
        player.client.onPush = () => player.pushes++;
      }
      upstreams.forEach((upstream, n) =>
        batch(upstream, { subscribe: players.filter((player) => player.connector === n).map((player) => ["arena-1/room", player.sessionId] as const) }),
      );

      let tick = 0;
      const ticker = setInterval(() => {
        tick++;
        for (const upstream of upstreams) batch(upstream, { tick, broadcasts: [["arena-1/room", pushPackage("onTick", { tick })]] });
      }, 50);
      try {
        await waitUntil(() => players.every((player) => player.pushes > 0), 3_000, "every player receives ticks before the reload");

        const oldWorkers = nginx.workers();
        assert.ok(oldWorkers.length > 0);
        nginx.reload();
        await waitUntil(() => nginx.workers().some((pid) => !oldWorkers.includes(pid)), 5_000, "new workers after reload");
        for (const player of players) player.pushes = 0;
        await sleep(2_000);

        const dropped = players.filter((player) => player.client.closed !== undefined);
        assert.deepEqual(dropped.map((player) => player.client.closed), [], "no player's socket closed");
        const starved = players.filter((player) => player.pushes < 10);
        assert.deepEqual(starved.map((player) => player.pushes), [], "every player kept receiving ticks (~40 in 2 s)");
        assert.ok(oldWorkers.some(isAlive), "the old workers still serve their open WebSockets");
        assert.deepEqual(
          openClients(),
          [0, 1].map((n) => players.filter((player) => player.connector === n).length),
          "every connector still holds all of its players",
        );

        const late = await ready("connector-1.localhost");
        assert.ok(late.sessionId.startsWith("connector-1."), "a player joining after the reload is routed by the new workers");
      } finally {
        clearInterval(ticker);
      }
    });
  });
});
