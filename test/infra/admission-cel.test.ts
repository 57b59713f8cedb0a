/**
 * The game-creator's ValidatingAdmissionPolicy, evaluated for real: the CEL expressions exactly as the
 * dev stack renders them run in @bufbuild/cel 0.6.1 (a CEL implementation; no Kubernetes API server
 * here) against the objects the creator really builds (services/src/game-creator/kubernetes/manifests.ts
 * with the stack's image and GAME_ENV) and against what a compromised creator would send. As in the
 * API server, variables are lazy and an expression that errors refuses the request (failurePolicy Fail).
 */
import assert from "node:assert/strict";
import { run, type CelInput } from "@bufbuild/cel";
import type { V1EnvVar } from "@kubernetes/client-node";
import { playerSpec } from "../../services/src/game-creator/game-spec";
import { gameDeployment, gameService, workerPod, workersService, type ManifestContext } from "../../services/src/game-creator/kubernetes/manifests";
import { evaluateStack, readStackConfig, type Manifest } from "../../infra/offline/evaluate";
import { parseCreatorConfig } from "../../services/src/game-creator/config";
import { gameTypesWith } from "../../services/src/game-types";
import { find, type Loose } from "./stacks";

/** JSON as the API server hands it to CEL: objects are maps, whole numbers are ints. */
function toCel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") return new Map(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toCel(v)])) as unknown as CelInput;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

interface Policy {
  matchConditions: Array<{ expression: string }>;
  variables: Array<{ name: string; expression: string }>;
  validations: Array<{ expression: string; message: string }>;
}

/** The messages of the validations that refuse `object` (an evaluation error refuses too). */
function refusals(policy: Policy, object: unknown): string[] {
  const input = { object: toCel(JSON.parse(JSON.stringify(object))) };
  const variables = new Map<string, CelInput>();
  for (const variable of policy.variables) {
    try {
      variables.set(variable.name, run(variable.expression, { ...input, variables: variables as unknown as CelInput }) as CelInput);
    } catch {
      // Lazy in the API server: an expression that reads it errors, one that does not is unaffected.
    }
  }
  return policy.validations.flatMap((validation) => {
    try {
      return run(validation.expression, { ...input, variables: variables as unknown as CelInput }) === true ? [] : [validation.message];
    } catch (error) {
      return [`${validation.message} (error: ${(error as Error).message})`];
    }
  });
}

describe("the game-creator's admission policy, evaluated (CEL)", function () {
  this.timeout(60_000);
  let policy: Policy;
  let context: ManifestContext;
  const game = { id: "duel", type: "grid" as const, replicas: 1, settings: {}, createdAtMs: 0 };
  const deployment = () => structuredClone(gameDeployment(context, game)) as Loose;
  const worker = () => structuredClone(workerPod(context, "duel", "uid-1", playerSpec("ann", "function turn(){}", 0))) as Loose;
  const service = () => structuredClone(gameService(context, game, "uid-1")) as Loose;
  const workersHeadless = () => structuredClone(workersService(context, game, "uid-1")) as Loose;

  before(async function () {
    const { manifests } = await evaluateStack({ stack: "dev" });
    policy = (find(manifests, "ValidatingAdmissionPolicy", "pomona-game-creator-pomona-dev") as Loose).spec;
    const creatorEnv = new Map((find(manifests, "Deployment", "game-creator") as Loose).spec.template.spec.containers[0].env.map((e: Loose) => [e.name, e]));
    context = {
      namespace: "pomona-dev",
      image: (creatorEnv.get("GAME_IMAGE") as Loose).value,
      gameEnv: JSON.parse((creatorEnv.get("GAME_ENV") as Loose).value) as V1EnvVar[],
      workerLimits: { turnDeadlineMs: 50, sandboxMemoryMb: 32, podMemoryMi: 128, podCpuMilli: 250 },
    };
    assert.ok((manifests as Manifest[]).some((m) => m.kind === "ValidatingAdmissionPolicyBinding"));
  });

  it("applies to the creator's ServiceAccount only", function () {
    const matches = (username: string) => policy.matchConditions.every((condition) => run(condition.expression, { request: toCel({ userInfo: { username } }) }) === true);
    assert.equal(matches("system:serviceaccount:pomona-dev:game-creator"), true);
    assert.equal(matches("system:serviceaccount:pomona-dev:default"), false);
    assert.equal(matches("system:serviceaccount:kube-system:replicaset-controller"), false);
  });

  it("admits every object the creator builds: a game's Deployment and Service, its workers' headless Service, a worker Pod", function () {
    assert.deepEqual(refusals(policy, deployment()), []);
    assert.deepEqual(refusals(policy, service()), []);
    assert.equal(workersHeadless().spec.clusterIP, "None");
    assert.deepEqual(refusals(policy, workersHeadless()), []);
    assert.deepEqual(refusals(policy, worker()), []);
  });

  /** A copy of one of the creator's objects with `change` applied: what a compromised creator would send. */
  const tamper = (make: () => Loose, change: (o: Loose) => void) => () => {
    const object = make();
    change(object);
    return object;
  };
  const attacks: Array<[string, () => Loose, RegExp]> = [
    ["another image", tamper(worker, (o) => (o.spec.containers[0].image = "evil.example.com/miner:latest")), /stack's image/],
    ["an init container with the right image", tamper(deployment, (o) => (o.spec.template.spec.initContainers = [{ ...o.spec.template.spec.containers[0], name: "init" }])), /init or ephemeral/],
    ["a Deployment whose pods claim to be connectors", tamper(deployment, (o) => (o.spec.template.metadata.labels["app.kubernetes.io/component"] = "connector")), /never another tier's labels/],
    ["a worker labelled as a game (passes the games' NetworkPolicy)", tamper(worker, (o) => (o.metadata.labels["app.kubernetes.io/component"] = "game")), /component game .*or worker \(Pod\)/],
    ["no managed-by label", tamper(deployment, (o) => delete o.metadata.labels["app.kubernetes.io/managed-by"]), /carry app\.kubernetes\.io\/managed-by/],
    ["the token HMAC key in a game's env", tamper(deployment, (o) => o.spec.template.spec.containers[0].env.push({ name: "K", valueFrom: { secretKeyRef: { name: "connect-tokens", key: "secrets" } } })), /only the Secrets redis-auth-game/],
    ["the gate's Redis password through envFrom", tamper(deployment, (o) => (o.spec.template.spec.containers[0].envFrom = [{ secretRef: { name: "redis-auth-gate" } }])), /only the Secrets redis-auth-game/],
    ["any Secret reference in a worker, even the allowed one", tamper(worker, (o) => o.spec.containers[0].env.push({ name: "P", valueFrom: { secretKeyRef: { name: "redis-auth-game", key: "password" } } })), /holds no reference/],
    ["hostNetwork", tamper(worker, (o) => (o.spec.hostNetwork = true)), /no host network/],
    ["hostPID", tamper(deployment, (o) => (o.spec.template.spec.hostPID = true)), /no host network/],
    ["a hostPath volume", tamper(deployment, (o) => o.spec.template.spec.volumes.push({ name: "root", hostPath: { path: "/" } })), /no volume but emptyDir/],
    ["a Secret volume", tamper(worker, (o) => (o.spec.volumes = [{ name: "s", secret: { secretName: "redis-auth" } }])), /no volume but emptyDir/],
    ["privileged", tamper(worker, (o) => (o.spec.containers[0].securityContext.privileged = true)), /not privileged/],
    ["allowPrivilegeEscalation: true", tamper(deployment, (o) => (o.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true)), /no privilege escalation/],
    ["a capability added back", tamper(worker, (o) => (o.spec.containers[0].securityContext.capabilities.add = ["NET_RAW"])), /none added/],
    ["uid 0 in a container", tamper(worker, (o) => (o.spec.containers[0].securityContext.runAsUser = 0)), /never uid 0/],
    ["no runAsNonRoot on the pod", tamper(deployment, (o) => delete o.spec.template.spec.securityContext.runAsNonRoot), /non-root/],
    ["the API token mounted", tamper(worker, (o) => (o.spec.automountServiceAccountToken = true)), /no Kubernetes API token/],
    ["another ServiceAccount", tamper(deployment, (o) => (o.spec.template.spec.serviceAccountName = "game-creator")), /no other ServiceAccount/],
    ["a LoadBalancer Service", tamper(service, (o) => (o.spec.type = "LoadBalancer")), /ClusterIP/],
    ["a Service selecting the connectors", tamper(service, (o) => (o.spec.selector = { "app.kubernetes.io/part-of": "pomona", "app.kubernetes.io/component": "connector" })), /selects one game's server pods/],
    ["a headless Service selecting every game's workers", tamper(workersHeadless, (o) => delete o.spec.selector["pomona.dev/game"]), /selects one game's server pods/],
    ["a Service selecting the gate", tamper(workersHeadless, (o) => (o.spec.selector["app.kubernetes.io/component"] = "gate")), /selects one game's server pods/],
    ["a name outside game-*", tamper(worker, (o) => (o.metadata.name = "connector-9")), /named game-<id>/],
  ];

  for (const [attack, build, reason] of attacks) {
    it(`refuses ${attack}`, function () {
      const messages = refusals(policy, build());
      assert.ok(messages.length >= 1, `admitted: ${attack}`);
      assert.ok(messages.some((message) => reason.test(message)), `${attack}: ${messages.join(" | ")}`);
    });
  }
});

describe("the admission policy with a studio game type (pomona:gameTypes)", function () {
  this.timeout(60_000);
  const studioImage = `ghcr.io/studio/duel@sha256:${"d".repeat(64)}`;
  let policy: Policy;
  let context: ManifestContext;

  before(async function () {
    const dev = readStackConfig("dev");
    const { manifests } = await evaluateStack({ stack: "dev", config: { ...dev, "pomona:gameTypes": { duel: { image: studioImage, main: "dist/main.js" } } } });
    policy = (find(manifests, "ValidatingAdmissionPolicy", "pomona-game-creator-pomona-dev") as Loose).spec;
    const creatorEnv = new Map((find(manifests, "Deployment", "game-creator") as Loose).spec.template.spec.containers[0].env.map((e: Loose) => [e.name, e.value]));
    context = {
      namespace: "pomona-dev",
      image: creatorEnv.get("GAME_IMAGE") as string,
      gameTypes: gameTypesWith(parseCreatorConfig({ BACKEND: "local", REDIS_URL: "redis://x:6379", CREATOR_TOKEN: "t".repeat(32), GAME_TYPES: creatorEnv.get("GAME_TYPES") as string }).GAME_TYPES ?? {}),
      gameEnv: JSON.parse(creatorEnv.get("GAME_ENV") as string) as V1EnvVar[],
      workerLimits: { turnDeadlineMs: 50, sandboxMemoryMb: 32, podMemoryMi: 128, podCpuMilli: 250 },
    };
  });

  it("admits a game of the studio type on the studio's image, and the services image's games as before", function () {
    const duel = gameDeployment(context, { id: "d1", type: "duel", replicas: 1, settings: {}, createdAtMs: 0 });
    assert.equal(duel.spec!.template.spec!.containers[0]!.image, studioImage);
    assert.deepEqual(refusals(policy, duel), []);
    assert.deepEqual(refusals(policy, gameDeployment(context, { id: "a1", type: "arena", replicas: 1, settings: {}, createdAtMs: 0 })), []);
  });

  it("refuses a worker Pod on the studio's image: player code runs only in the services image's sandbox", function () {
    const worker = structuredClone(workerPod(context, "d1", "uid-1", playerSpec("ann", "function turn(){}", 0))) as Loose;
    assert.deepEqual(refusals(policy, worker), []);
    worker.spec.containers[0].image = studioImage;
    assert.ok(refusals(policy, worker).some((message) => /stack's image/.test(message)));
  });

  it("refuses a game on an image the stack did not declare", function () {
    const game = structuredClone(gameDeployment(context, { id: "d1", type: "duel", replicas: 1, settings: {}, createdAtMs: 0 })) as Loose;
    game.spec.template.spec.containers[0].image = `ghcr.io/studio/duel@sha256:${"e".repeat(64)}`;
    assert.ok(refusals(policy, game).some((message) => /stack's image/.test(message)));
  });
});
