/**
 * PomonaCluster embedded in a studio's own Pulumi program (test/infra/studio-program), evaluated under
 * Pulumi's mocks: the outputs say where the cluster answers (ws:// where there is no TLS, the DNS
 * records with the LoadBalancer addresses the cloud assigned), every object is schema-valid, passes
 * the policy rules, lands in the studio's namespace and goes through the studio's provider, and a bad
 * arg is refused naming `args.<key>`.
 */
import assert from "node:assert/strict";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "../../infra/cluster-endpoints";
import { REPO_ROOT, type Manifest } from "../../infra/offline/evaluate";
import { routeCollisions } from "../../infra/policy/route-claims";
import { checkAll } from "../../infra/policy/rules";
import { ConfigError } from "../../services/src/config/validate";
import { unknownFields, validateWithModel } from "./k8s-schema";
import { containers, envOf, find, spec, type Loose } from "./stacks";

interface Registered {
  type: string;
  name: string;
  inputs: Loose;
  provider: string | undefined;
}

/** What the cloud answers for the LoadBalancers: an IP for the gate, a host name for the proxy (as AWS does). */
const ASSIGNED: Record<string, Loose> = {
  gate: { ingress: [{ ip: "203.0.113.10" }] },
  "subdomain-proxy": { ingress: [{ hostname: "proxy-1234.elb.studio.test" }] },
};

function settle<T>(value: pulumi.Output<T> | T): Promise<T> {
  return pulumi.Output.isInstance(value) ? new Promise((resolve) => value.apply((v) => resolve(v))) : Promise.resolve(value);
}

async function runStudioProgram(): Promise<{ registered: Registered[]; program: Record<string, unknown> }> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        const state: Loose = { ...args.inputs };
        if (args.type === "random:index/randomPassword:RandomPassword") state.result = `${args.name}-${"r".repeat(40)}`.slice(0, args.inputs.length);
        if (args.type === "docker-build:index:Image") {
          state.digest = `sha256:${"d".repeat(64)}`;
          state.ref = `${(args.inputs.tags as string[] | undefined)?.[0] ?? args.name}@${state.digest}`;
        }
        if (args.type === "kubernetes:core/v1:Service" && args.inputs.spec?.type === "LoadBalancer") state.status = { loadBalancer: ASSIGNED[args.inputs.metadata.name] };
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "studio",
    "production",
    false,
  );
  pulumi.runtime.setAllConfig({});
  const programDir = path.join(REPO_ROOT, "test", "infra", "studio-program") + path.sep;
  const infraDir = path.join(REPO_ROOT, "infra") + path.sep;
  for (const key of Object.keys(require.cache)) if (key.startsWith(programDir) || key.startsWith(infraDir)) delete require.cache[key];
  const program = require(path.join(programDir, "index.ts")) as Record<string, unknown>;
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return { registered, program };
}

describe("PomonaCluster in a studio's own Pulumi program (under mocks)", function () {
  this.timeout(60_000);
  let registered: Registered[];
  let program: Record<string, Loose>;
  let manifests: Manifest[];

  before(async () => {
    ({ registered, program } = await runStudioProgram());
    manifests = registered.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:")).map((r) => r.inputs as Manifest);
  });

  it("is one pomona:infra:PomonaCluster whose components are named after it", () => {
    assert.deepEqual(registered.filter((r) => r.type === "pomona:infra:PomonaCluster").map((r) => r.name), ["studio-eu"]);
    const components = registered.filter((r) => r.type.startsWith("pomona:infra:") && r.type !== "pomona:infra:PomonaCluster");
    assert.ok(components.length >= 9, components.map((c) => c.name).join());
    for (const component of components) assert.match(component.name, /^studio-eu-/, component.type);
  });

  it("outputs the gate URL, the proxy's connector URL and the viewer URLs with ws:// where nothing terminates TLS", async () => {
    assert.equal(await settle(program.gateUrl), "http://gate.play.studio.test");
    assert.equal(program.proxyUrl, "ws://connector-{ordinal}.play.studio.test/");
    assert.deepEqual(program.viewerUrls, ["ws://watch.play.studio.test/game-duel-1", "ws://watch.play.studio.test/game-duel-2"]);
    assert.equal(program.creatorUrl, "http://game-creator.studio-games.svc.cluster.local:8090");
  });

  it("outputs the DNS records to create, A for an IP and CNAME for a host name, with what each points at", async () => {
    const records = (await settle(program.dnsRecords)) as DnsRecord[];
    assert.deepEqual(
      records.map((r) => [r.name, r.type, r.value]),
      [
        ["gate.play.studio.test", "A", "203.0.113.10"],
        ["*.play.studio.test", "CNAME", "proxy-1234.elb.studio.test"],
        ["watch.play.studio.test", "CNAME", undefined],
      ],
    );
    assert.match(records[2]!.pointsAt, /ingress controller's address \(IngressClass nginx\)/);
  });

  it("outputs the creator's token as a secret, the value of the studio's own RandomPassword", async () => {
    const token = program.gameCreatorToken as pulumi.Output<string>;
    assert.equal(await pulumi.isSecret(token), true);
    assert.equal(await settle(token), `studio-creator-token-${"r".repeat(40)}`.slice(0, 40));
    const secret = find(manifests, "Secret", "game-creator-token") as Loose;
    assert.ok(JSON.stringify(secret.stringData).includes(pulumiSecretKey), "the Secret's data stays a Pulumi secret");
    assert.equal(unwrap(secret).stringData.token, `studio-creator-token-${"r".repeat(40)}`.slice(0, 40), "the pod gets that token");
  });

  it("every object is schema-valid with no undeclared field, passes every policy rule, and no route collides", () => {
    const plain = manifests.map(unwrap);
    for (const manifest of plain) assert.doesNotThrow(() => validateWithModel(manifest), `${manifest.kind}/${manifest.metadata.name}`);
    const unknown = [...unknownFields(plain)].filter(([, fields]) => fields.length > 0).map(([m, fields]) => `${m.kind}/${m.metadata.name}: ${fields.join(", ")}`);
    assert.deepEqual(unknown, []);
    assert.deepEqual(checkAll(plain), []);
    assert.deepEqual(routeCollisions(plain), []);
  });

  it("builds what the args say: the studio's namespace, 3 connectors, its registry and tag, webhook auth, the games on one Ingress owned by the creator", () => {
    const plain = manifests.map(unwrap);
    for (const m of plain.filter((m) => !["Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"].includes(m.kind))) assert.equal(m.metadata.namespace, "studio-games", `${m.kind}/${m.metadata.name}`);
    assert.equal(spec(find(plain, "StatefulSet", "connector")).replicas, 3);
    const image = registered.find((r) => r.type === "docker-build:index:Image")!;
    assert.deepEqual(image.inputs.tags, ["registry.studio.test/games/pomona-services:v7"]);
    const gateEnv = new Map(envOf(containers(find(plain, "Deployment", "gate"))[0]).map((e) => [e.name, e]));
    assert.equal(gateEnv.get("AUTH_MODE")?.value, "webhook");
    assert.equal(gateEnv.get("AUTH_WEBHOOK_SECRET")?.valueFrom?.secretKeyRef?.name, "gate-auth");
    assert.equal(gateEnv.get("POMONA_NAMESPACE")?.value, "studio");
    const ingress = find(plain, "Ingress", "games") as Loose;
    assert.deepEqual(ingress.spec.rules[0].http.paths.map((p: Loose) => p.path), ["/game-duel-1", "/game-duel-2"]);
    assert.equal(ingress.spec.tls, undefined);
    const creatorEnv = new Map(envOf(containers(find(plain, "Deployment", "game-creator"))[0]).map((e) => [e.name, e.value]));
    assert.deepEqual([creatorEnv.get("INGRESS_NAME"), creatorEnv.get("STATIC_GAME_IDS"), creatorEnv.get("MAX_GAMES")], ["games", "duel-1,duel-2", "8"]);
  });

  it("sends every Kubernetes object through the studio's provider", () => {
    const kubernetes = registered.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:"));
    assert.ok(kubernetes.length > 40, String(kubernetes.length));
    const strays = kubernetes.filter((r) => !r.provider?.includes("pulumi:providers:kubernetes::studio-cluster"));
    assert.deepEqual(strays.map((r) => `${r.type} ${r.name} (${r.provider})`), []);
  });

  it("refuses a bad arg with the key as the program wrote it and the fix", async () => {
    const { PomonaCluster } = require(path.join(REPO_ROOT, "infra", "cluster.ts")) as typeof import("../../infra/cluster");
    assert.throws(
      () => new PomonaCluster("broken", { auth: { mode: "anonymous" }, frontDoor: { mode: "subdomain", domain: "play.studio.test" }, connector: { replicas: 0 }, redis: { mode: "in-cluster" }, images: { registry: "registry.studio.test" } }),
      (error: unknown) => error instanceof ConfigError && /PomonaCluster "broken"/.test(error.message) && /args\.connector\.replicas: must be at least 1.* — fix: set args\.connector as docs\/config\.md#connector describes/.test(error.message),
    );
    assert.throws(
      () => new PomonaCluster("short", { auth: { mode: "anonymous" }, frontDoor: { mode: "loadbalancer", publicHost: "ws.studio.test" }, connector: { replicas: 1 }, redis: { mode: "in-cluster" }, images: { registry: "r.studio.test" }, tokenSecrets: "short" }),
      /args\.tokenSecrets: every comma-separated secret must be at least 32 bytes/,
    );
  });
});

/** How Pulumi marks a secret value in serialized properties (the mocks see inputs serialized). */
const pulumiSecretKey = "4dabf18193072939515e22adb298388d";

function unwrap<T>(value: T): T {
  if (Array.isArray(value)) return value.map(unwrap) as T;
  if (value === null || typeof value !== "object") return value;
  const object = value as Loose;
  if (object[pulumiSecretKey] !== undefined) return unwrap(object.value);
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, unwrap(item)])) as T;
}
