import assert from "node:assert/strict";
import { ConfigError } from "../../services/src/config/validate";
import { parseConnectorConfig } from "../../services/src/connector";
import { clusterRoutes, planLocalCluster, type LocalClusterInput } from "../../scripts/local-cluster/plan";

const base: LocalClusterInput = { tokenSecret: "t".repeat(48), redisPassword: "p".repeat(24), workDir: "/tmp/pomona-plan-test" };

describe("local cluster plan (what npm start runs)", () => {
  it("lays out games, connectors and the gate on consecutive ports, each role as its own Redis ACL user, sharing routes and secrets", () => {
    const plan = planLocalCluster({ ...base, connectors: 3, games: 2 });
    assert.deepEqual(plan.processes.map((p) => `${p.name}:${p.port}`), ["arena-1:4100", "arena-2:4101", "chat-1:4200", "connector-0:3010", "connector-1:3011", "connector-2:3012", "gate:3000"]);
    assert.deepEqual(plan.processes.filter((p) => p.role === "game").map((p) => p.env.HTTP_PORT), ["8100", "8101", "8200"]);
    const routes = clusterRoutes().join(",");
    for (const process of plan.processes) {
      const user = { game: "pomona-game", connector: "pomona-connector", gate: "pomona-gate" }[process.role as "game" | "connector" | "gate"];
      assert.equal(process.env.REDIS_URL, plan.redis.roleUrls[process.role as "game" | "connector" | "gate"], process.name);
      assert.match(process.env.REDIS_URL!, new RegExp(`^redis://${user}:[A-Za-z0-9_-]{43}@127\\.0\\.0\\.1:6390$`), process.name);
      assert.doesNotMatch(process.env.REDIS_URL!, /p{24}/, `${process.name} never gets the operators' password`);
      // The gate never reads the route dictionary: it is not given one.
      assert.equal(process.env.POMONA_ROUTES, process.role === "gate" ? undefined : routes, `${process.name} uses the one route dictionary`);
      assert.equal(process.env.PORT, String(process.port));
    }
    const connectors = plan.processes.filter((p) => p.role === "connector");
    const gate = plan.processes.find((p) => p.role === "gate")!;
    for (const connector of connectors) assert.equal(connector.env.TOKEN_SECRETS, gate.env.TOKEN_SECRETS, "the gate signs what connectors verify");
    assert.equal(gate.env.ALLOWED_ORIGINS, "http://localhost:3000,http://127.0.0.1:3000");
    assert.deepEqual([gate.env.FRONT_DOOR, gate.env.DOMAIN, gate.env.PUBLIC_PORT], ["subdomain", "localhost", "8080"]);
    assert.deepEqual(plan.urls.connectors, ["ws://connector-0.localhost:8080/", "ws://connector-1.localhost:8080/", "ws://connector-2.localhost:8080/"]);
    // Each connector's settings are what its process validates at start.
    for (const connector of connectors) parseConnectorConfig({ connectorId: connector.env.SERVER_ID!, port: connector.port, auth: { tokenSecrets: [connector.env.TOKEN_SECRETS!] } });
  });

  it("routes each connector-N.localhost to connector N's port in the generated nginx.conf, and nothing else", () => {
    const plan = planLocalCluster({ ...base, connectors: 2, connectorPort: 5000, proxyPort: 9000 });
    const config = plan.nginxConfig!;
    const entries = [...config.matchAll(/^\s+(connector-\d+\.localhost)\s+(\S+);$/gm)].map((match) => `${match[1]} ${match[2]}`);
    assert.deepEqual(entries, ["connector-0.localhost 127.0.0.1:5000", "connector-1.localhost 127.0.0.1:5001"]);
    assert.match(config, /listen 127\.0\.0\.1:9000 default_server;/);
  });

  it("in direct mode hands out the connectors' own ports and runs no nginx", () => {
    const plan = planLocalCluster({ ...base, mode: "direct" });
    assert.equal(plan.nginxConfig, undefined);
    assert.equal(plan.urls.proxy, undefined);
    assert.deepEqual(plan.urls.connectors, ["ws://127.0.0.1:3010/", "ws://127.0.0.1:3011/"]);
    assert.equal(plan.processes.find((p) => p.role === "gate")!.env.FRONT_DOOR, "direct");
  });

  it("refuses overlapping ports, a bad mode and empty tiers, naming the key", () => {
    const fails = (input: Partial<LocalClusterInput>, pattern: RegExp) =>
      assert.throws(() => planLocalCluster({ ...base, ...input }), (error: unknown) => error instanceof ConfigError && pattern.test(error.message), JSON.stringify(input));
    fails({ gatePort: 3011 }, /localCluster\.connectorPort: overlaps gatePort/);
    fails({ connectors: 4, gamePort: 3012 }, /localCluster\.connectorPort: overlaps gamePort|localCluster\.gamePort/);
    fails({ mode: "sideways" as never }, /localCluster\.mode: must be "subdomain"/);
    fails({ connectors: 0 }, /localCluster\.connectors: must be at least 1/);
    fails({ games: 0 }, /localCluster\.games: must be at least 1/);
    fails({ connectorPort: 65535, connectors: 2 }, /localCluster\.connectorPort: 65535 \+ 2 ports runs past 65535/);
    fails({ tokenSecret: "short" }, /localCluster\.tokenSecret/);
    fails({ startGames: [{ id: "duo", type: "arena", replicas: 2 }] }, /localCluster\.startGames: needs gameCreator: true/);
    // The proxy port only matters when there is a proxy.
    assert.doesNotThrow(() => planLocalCluster({ ...base, mode: "direct", proxyPort: 3000 }));
  });
});
