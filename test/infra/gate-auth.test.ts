/**
 * The stack's player identity (pomona:auth, pomona:environment): trust-uid is refused outside a
 * development stack, each mode's secrets are required and come from a Secret, and the gate's
 * Deployment gets the AUTH_* env the gate process reads — checked by parsing that env with the
 * gate's own config reader.
 */
import assert from "node:assert/strict";
import { parseStackConfig } from "../../infra/config-schema";
import { evaluateStack, readStackConfig, type Manifest } from "../../infra/offline/evaluate";
import { checkAll } from "../../infra/policy/rules";
import { ConfigError } from "../../services/src/config/validate";
import { playerAuthSchema } from "../../services/src/auth/identity";
import { playerAuthFromEnv } from "../../services/src/gate/auth-env";
import { unknownFields, validateWithModel } from "./k8s-schema";
import { containers, envOf, evaluateAllStacks, find, type Loose } from "./stacks";

const SECURE = { secure: "v1:ciphertext-the-offline-render-replaces" };

function stackConfig(stack: string, change: (config: Record<string, Loose>) => void = () => undefined): Record<string, Loose> {
  const config = Object.fromEntries(Object.entries(readStackConfig(stack)).map(([key, value]) => [key.replace(/^pomona:/, ""), structuredClone(value)]));
  change(config);
  return config;
}

function refusal(stack: string, config: Record<string, Loose>): string {
  try {
    parseStackConfig(stack, config);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return assert.fail("the stack config was accepted");
}

const gateEnv = (manifests: Manifest[]) => envOf(containers(find(manifests, "Deployment", "gate"))[0]);
/** The plain AUTH_* values of the gate, as gate-main would see them (secrets by reference get a stand-in of valid length). */
const gateAuthAsTheGateReadsIt = (manifests: Manifest[]) =>
  playerAuthSchema.parse(playerAuthFromEnv(Object.fromEntries(gateEnv(manifests).map((v) => [v.name, v.value ?? (v.valueFrom?.secretKeyRef ? "x".repeat(48) : undefined)]))));

describe("stack config: player identity at the gate", function () {
  this.timeout(120_000);

  it("trust-uid is refused outside a development stack, naming the key and the fix", () => {
    const message = refusal("prod-eu", stackConfig("prod-eu", (c) => (c.auth = { mode: "trust-uid" })));
    assert.match(message, /pomona:auth\.mode: trust-uid lets any client log in as any player: it is for development stacks only \(this one is production\)/);
    assert.match(message, /set pomona:environment: development/);
    const unmarked = refusal("dev", stackConfig("dev", (c) => delete c.environment));
    assert.match(unmarked, /pomona:auth\.mode: trust-uid .* \(this one is production\)/, "no marker means production");
    assert.equal(parseStackConfig("dev", stackConfig("dev")).auth.mode, "trust-uid");
  });

  it("auth is required; a wrong mode, a missing issuer, an http JWKS and an unknown environment are named", () => {
    assert.match(refusal("prod-eu", stackConfig("prod-eu", (c) => delete c.auth)), /pomona:auth: must be an object whose mode is "jwt", "webhook", "anonymous" or "trust-uid"/);
    assert.match(refusal("prod-eu", stackConfig("prod-eu", (c) => (c.auth.mode = "password"))), /pomona:auth\.mode: must be an object whose mode is/);
    assert.match(refusal("prod-eu", stackConfig("prod-eu", (c) => delete c.auth.issuer)), /pomona:auth\.issuer: is required: the `iss` every token must carry/);
    assert.match(refusal("prod-eu", stackConfig("prod-eu", (c) => (c.auth.jwksUrl = "http://id.play.example.com/jwks"))), /pomona:auth\.jwksUrl: must be an https:\/\/ URL/);
    assert.match(refusal("prod-eu", stackConfig("prod-eu", (c) => (c.environment = "prod"))), /pomona:environment: must be "development", "staging" or "production"/);
  });

  it("each mode's secrets: HS256 secrets xor a JWKS, a webhook secret for webhook, none that the mode does not read", () => {
    const noKeys = stackConfig("prod-eu", (c) => delete c.auth.jwksUrl);
    assert.match(refusal("prod-eu", noKeys), /pomona:auth\.jwksUrl: give exactly one of pomona:auth\.jwksUrl or the secret pomona:authJwtSecrets — fix: .*pulumi config set --secret --stack prod-eu pomona:authJwtSecrets/);
    assert.equal(parseStackConfig("prod-eu", { ...noKeys, authJwtSecrets: "a".repeat(48) }).auth.mode, "jwt");
    assert.match(refusal("prod-eu", { ...noKeys, authJwtSecrets: "short" }), /pomona:authJwtSecrets: every comma-separated secret must be at least 32 bytes/);
    const webhook = stackConfig("prod-eu", (c) => (c.auth = { mode: "webhook", url: "https://auth.play.example.com/check" }));
    assert.match(refusal("prod-eu", webhook), /pomona:authWebhookSecret: is required with auth\.mode webhook/);
    assert.match(refusal("prod-eu", { ...stackConfig("prod-eu"), authWebhookSecret: "w".repeat(48) }), /pomona:authWebhookSecret: only the webhook mode reads it — fix: pulumi config rm/);
  });

  it("every shipped stack: the gate gets AUTH_* that the gate's own reader accepts, the namespace its environment label, and every policy rule passes", async () => {
    for (const { stack, manifests } of await evaluateAllStacks()) {
      const file = stackConfig(stack);
      const auth = gateAuthAsTheGateReadsIt(manifests);
      assert.equal(auth.mode, file.auth.mode, stack);
      if (auth.mode === "jwt") assert.deepEqual([auth.jwksUrl, auth.issuer, auth.audience], [file.auth.jwksUrl, file.auth.issuer, file.auth.audience], stack);
      assert.equal((find(manifests, "Namespace", file.namespace) as Loose).metadata.labels["pomona.dev/environment"], file.environment, stack);
      assert.deepEqual(checkAll(manifests), [], stack);
    }
  });

  it("the gate may reach the studio's identity endpoint on its URL's port (metadata address excepted), and nothing outside in modes without one", async () => {
    // Address-block rules other than an external Redis's (its own port, tested with the Redis tier).
    const egressToAddresses = (manifests: Manifest[], redisPort = 6379) =>
      ((find(manifests, "NetworkPolicy", "gate") as Loose).spec.egress as Loose[]).filter(
        (rule) => rule.to.some((peer: Loose) => peer.ipBlock !== undefined) && !rule.ports.some((port: Loose) => port.port === redisPort),
      );
    for (const { stack, manifests } of await evaluateAllStacks()) {
      const file = stackConfig(stack);
      const rules = egressToAddresses(manifests, file.redis?.egress?.port);
      if (file.auth.mode === "jwt" && file.auth.jwksUrl !== undefined) {
        assert.deepEqual(rules.map((rule) => rule.ports), [[{ port: Number(new URL(file.auth.jwksUrl).port || 443), protocol: "TCP" }]], stack);
        assert.deepEqual(rules[0].to, [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }], stack);
      } else {
        assert.deepEqual(rules, [], `${stack}: ${file.auth.mode} calls out to nobody`);
      }
    }
    const webhook = await evaluateStack({ stack: "prod-us", config: { ...readStackConfig("prod-us"), "pomona:auth": { mode: "webhook", url: "https://auth.play.example.com:8443/check" }, "pomona:authWebhookSecret": SECURE } });
    assert.deepEqual(egressToAddresses(webhook.manifests).map((rule) => rule.ports), [[{ port: 8443, protocol: "TCP" }]]);
  });

  for (const [mode, auth, secretKey, envName] of [
    ["webhook", { mode: "webhook", url: "https://auth.play.example.com/check", timeoutMs: 1500 }, "authWebhookSecret", "AUTH_WEBHOOK_SECRET"],
    ["jwt with HS256 secrets", { mode: "jwt", issuer: "https://id.play.example.com", audience: "pomona" }, "authJwtSecrets", "AUTH_JWT_SECRETS"],
  ] as const) {
    it(`${mode}: the secret reaches the gate by reference to the gate-auth Secret only, and the render passes the schema and strict checks`, async () => {
      const { manifests, secretPaths } = await evaluateStack({ stack: "prod-us", config: { ...readStackConfig("prod-us"), "pomona:auth": auth, [`pomona:${secretKey}`]: SECURE } });
      const env = gateEnv(manifests);
      const secretEnv = env.find((v) => v.name === envName)!;
      assert.equal(secretEnv.value, undefined);
      assert.equal(secretEnv.valueFrom.secretKeyRef.name, "gate-auth");
      const secret = find(manifests, "Secret", "gate-auth") as Loose;
      assert.ok(secret.stringData[secretEnv.valueFrom?.secretKeyRef?.key], "the key the gate reads exists");
      assert.ok((secretPaths.get(manifests.indexOf(secret)) ?? []).some((at) => at.startsWith("stringData")), "held as a Pulumi secret");
      assert.equal(gateAuthAsTheGateReadsIt(manifests).mode, auth.mode);
      for (const manifest of [find(manifests, "Deployment", "gate"), secret]) assert.doesNotThrow(() => validateWithModel(manifest));
      assert.deepEqual(unknownFields([find(manifests, "Deployment", "gate"), secret]).get(secret), []);
      assert.deepEqual(checkAll(manifests), []);
    });
  }
});
