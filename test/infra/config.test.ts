/**
 * A wrong stack file fails at the start of `pulumi preview`/`up` with one line per problem: the
 * `pomona:` key, why it is wrong, and the fix. Checked on the pure parser and through the program.
 */
import assert from "node:assert/strict";
import { parseStackConfig } from "../../infra/config-schema";
import { evaluateStack, readStackConfig } from "../../infra/offline/evaluate";
import { ConfigError } from "../../services/src/config/validate";
import { find, spec, type Loose } from "./stacks";

/** The dev stack file's values without the `pomona:` prefix, to be broken one key at a time. */
function devConfig(): Record<string, Loose> {
  return Object.fromEntries(Object.entries(readStackConfig("dev")).map(([key, value]) => [key.replace(/^pomona:/, ""), structuredClone(value)]));
}

function failure(mutate: (config: Record<string, Loose>) => void): ConfigError {
  const config = devConfig();
  mutate(config);
  try {
    parseStackConfig("dev", config);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail("the stack config was accepted");
}

describe("stack config validation", () => {
  it("accepts the shipped dev stack and fills in the defaults", () => {
    const config = parseStackConfig("dev", devConfig());
    assert.equal(config.namespace, "pomona-dev");
    assert.equal(config.discoveryNamespace, "dev");
    assert.equal(config.gate.servicePort, 80);
    assert.equal(config.connector.drainTimeoutSec, 10);
    assert.match(config.proxy.image, /^nginxinc\/nginx-unprivileged:1\.27-alpine@sha256:[0-9a-f]{64}$/);
    assert.match(config.redis.mode === "in-cluster" ? config.redis.image : "", /^redis:7\.4@sha256:[0-9a-f]{64}$/);
    assert.equal(config.viewerTimeoutSec, 30);
    const { namespace: _, ...withoutNamespace } = devConfig();
    assert.equal(parseStackConfig("eu-2", withoutNamespace).namespace, "pomona-eu-2");
  });

  it("a missing required key names the key and where to set it", () => {
    const error = failure((c) => delete c.connector);
    assert.match(error.message, /pomona:connector: .* — fix: set pomona:connector in stacks\/Pulumi\.dev\.yaml as described in docs\/config\.md#connector/);
  });

  it("protos are validated as Pomelo's JSON format, naming the key inside them", () => {
    assert.doesNotThrow(() => parseStackConfig("dev", { ...devConfig(), protos: { server: { onAck: { "required uInt32 seq": 1 } } } }));
    const error = failure((c) => (c.protos = { server: { onAck: { "required uInt64 seq": 1 } } }));
    assert.match(error.message, /pomona:protos: protos\.server\["onAck"\]\["required uInt64 seq"\]: type uInt64 is not supported/);
  });

  it("a wrong type names the nested key", () => {
    const error = failure((c) => (c.connector.replicas = "two"));
    assert.match(error.message, /pomona:connector\.replicas: must be a whole number of connector replicas/);
  });

  it("replicas 0 is refused with the reason", () => {
    const error = failure((c) => (c.connector.replicas = 0));
    assert.match(error.message, /pomona:connector\.replicas: must be at least 1: a tier with 0 replicas serves no player/);
    assert.match(failure((c) => (c.games[0].replicas = 0)).message, /pomona:games\.0\.replicas: must be at least 1/);
  });

  it("a bad domain is refused: wildcard, uppercase, scheme or trailing dot", () => {
    for (const domain of ["*.localtest.me", "Play.Example.com", "https://play.example.com", "play.example.com."]) {
      const error = failure((c) => (c.frontDoor.domain = domain));
      assert.match(error.message, /pomona:frontDoor\.domain: must be a lowercase DNS name/, domain);
    }
  });

  it("an unknown key (a typo) is an error, at the top level and nested", () => {
    const error = failure((c) => {
      c.conector = { replicas: 2 };
      c.connector.replica = 3;
    });
    assert.match(error.message, /pomona:conector: is not a known key \(typo\?\) — fix: remove or rename it/);
    assert.match(error.message, /pomona:connector\.replica: is not a known key/);
  });

  it("reports every problem at once, one line each", () => {
    const error = failure((c) => {
      c.connector.replicas = 0;
      c.frontDoor.domain = "*.x";
      c.games.push({ id: "arena-1", type: "arena", replicas: 1 });
    });
    assert.equal(error.issues.length, 3, error.message);
    assert.match(error.message, /pomona:games\.1\.id: "arena-1" is used twice/);
  });

  it("cross-key rules: viewer timeout above 2 × heartbeat, a viewer for games, a creator's games within one HTTPRoute, a pinned ref without a build", () => {
    assert.match(failure((c) => (c.viewer.timeoutSec = 20)).message, /pomona:viewer\.timeoutSec: must be above 2 × heartbeatSec \(20 s\)/);
    assert.match(failure((c) => delete c.viewer).message, /pomona:viewer: is required when there are games/);
    const gateway = { kind: "gateway", parentRefs: [{ name: "public" }], hostnames: ["games.localtest.me"], controllerNamespaces: ["gw"] };
    assert.match(failure((c) => (c.viewer = gateway)).message, /pomona:gameCreator\.limits\.maxGames: must be at most 16 with viewer\.kind gateway \(it is 20\)/);
    const withinOneRoute = { ...devConfig(), viewer: gateway, gameCreator: { enabled: true, limits: { maxGames: 16 } } };
    assert.equal(parseStackConfig("dev", withinOneRoute).gameCreator.limits.maxGames, 16, "a creator with HTTPRoutes is accepted");
    assert.match(failure((c) => (c.images.build = false)).message, /pomona:images\.ref: is required when build is false/);
    assert.match(failure((c) => (c.images.tag = "latest")).message, /pomona:images\.tag: must not be latest/);
    assert.match(failure((c) => (c.games[0].type = "chess")).message, /pomona:games\.0\.type: "chess" is not a known game type: a static game is one of arena, grid, or a studio type you declare under pomona:gameTypes\.chess/);
    assert.match(failure((c) => (c.games[0] = { ...c.games[0], type: "grid", replicas: 2 })).message, /pomona:games\.0\.replicas: must be at most 1: a grid game runs at most 1 replica/);
  });

  it("images: a build that is not pushed, and a third-party image by tag only, are refused with the fix", () => {
    const unpushed = failure((c) => (c.images.push = false)).message;
    assert.match(unpushed, /pomona:images\.push: must be true when build is true: .*set push: true, or build: false with ref: /);
    const byTag = failure((c) => (c.redis = { mode: "in-cluster", image: "redis:7.4" })).message;
    assert.match(byTag, /pomona:redis\.image: must be pinned by digest, such as "redis:7\.4@sha256:[0-9a-f]{64}": append @sha256:/);
    assert.match(failure((c) => (c.proxy = { image: "nginxinc/nginx-unprivileged:1.27" })).message, /pomona:proxy\.image: must be pinned by digest/);
    const pinned = parseStackConfig("dev", { ...devConfig(), redis: { mode: "in-cluster", image: `registry.example.com/mirror/redis:7.4@sha256:${"0".repeat(64)}` } });
    assert.equal(pinned.redis.mode === "in-cluster" && pinned.redis.image, `registry.example.com/mirror/redis:7.4@sha256:${"0".repeat(64)}`, "a stack may override the default with its own pinned mirror");
  });

  it("the creator's limits, the quota and egress CIDRs are validated, naming the key", () => {
    const creator = { ...devConfig(), gameCreator: { enabled: true, limits: { maxGames: 5, maxPlayersPerGame: 50, maxWorkers: 10 } } };
    assert.throws(() => parseStackConfig("dev", creator), /pomona:gameCreator\.limits\.maxPlayersPerGame: maxPlayersPerGame must not exceed maxWorkers/);
    assert.throws(() => parseStackConfig("dev", { ...devConfig(), quota: { limitsCpu: "lots" } }), /pomona:quota\.limitsCpu: must be a Kubernetes quantity/);
    assert.throws(() => parseStackConfig("dev", { ...devConfig(), gameCreator: { enabled: true, apiServerCidrs: ["10.0.0.1"] } }), /pomona:gameCreator\.apiServerCidrs\.0: must be an IPv4 CIDR/);
    assert.deepEqual(parseStackConfig("dev", devConfig()).gameCreator.limits, { maxGames: 20, maxPlayersPerGame: 16, maxWorkers: 64 });
  });

  it("secrets given in the stack file are checked but never kept in the plain config", () => {
    const error = failure((c) => (c.tokenSecrets = "short,also-short"));
    assert.match(error.message, /pomona:tokenSecrets: every comma-separated secret must be at least 32 bytes/);
    const secret = "x".repeat(48);
    const config = parseStackConfig("dev", { ...devConfig(), tokenSecrets: secret });
    assert.ok(config.givenSecrets.has("tokenSecrets"));
    assert.ok(!JSON.stringify(config).includes(secret));
  });

  it("through the program: a bad stack file stops the evaluation with the key", async () => {
    const raw = readStackConfig("dev");
    const broken = { ...raw, "pomona:connector": { replicas: 0 } };
    await assert.rejects(evaluateStack({ stack: "dev", config: broken }), (error: unknown) => error instanceof ConfigError && /pomona:connector\.replicas: must be at least 1/.test(error.message));
  });

  it("through the program: a secure tokenSecrets value replaces the generated one and stays a secret", async () => {
    const raw = { ...readStackConfig("dev"), "pomona:tokenSecrets": { secure: "v1:ciphertext" } };
    const evaluation = await evaluateStack({ stack: "dev", config: raw });
    const index = evaluation.manifests.indexOf(find(evaluation.manifests, "Secret", "connect-tokens"));
    assert.deepEqual(evaluation.secretPaths.get(index), ["stringData"]);
    assert.ok(!evaluation.others.some((r) => r.name === "dev-namespace-token-secret"), "no generated token secret when the stack sets one");
    assert.match((evaluation.manifests[index] as Loose).stringData.secrets, /^mock-secret-/);
    assert.equal(spec(find(evaluation.manifests, "StatefulSet", "connector")).replicas, 2);
  });
});
