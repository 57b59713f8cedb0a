/**
 * One cluster model, two paths: the same games built by the stack (the Pulumi program under mocks,
 * as `npm run render` evaluates it) and by the game-creator (its Kubernetes backend writing to the
 * in-test Kubernetes API) are the same objects, apart from what must differ: who manages them (the
 * `managed-by` label, so neither touches the other's) and the creator's ownerReferences (its objects
 * die with the game's Deployment; Pulumi deletes the stack's itself). Arena and grid games; the grid
 * game's workers, which only the creator makes, are named and selected by the stack's objects.
 */
import assert from "node:assert/strict";
import { KubeConfig, type V1EnvVar } from "@kubernetes/client-node";
import { evaluateStack, readStackConfig, type Manifest } from "../../infra/offline/evaluate";
import { playerSpec, type GameSpec } from "../../services/src/game-creator/game-spec";
import { KubernetesBackend } from "../../services/src/game-creator/kubernetes/kubernetes-backend";
import { workerPodMemoryMi } from "../../services/src/workers/isolation";
import { FakeKubeApi } from "../game-creator/fake-kube-api";
import { find, type Loose } from "../infra/stacks";

const NS = "pomona-dev";
const GAMES: GameSpec[] = [
  { id: "duel", type: "arena", replicas: 3, tickHz: 30, settings: { rounds: 5, mode: "ffa", hardcore: true }, createdAtMs: 0 },
  { id: "maze", type: "grid", replicas: 1, settings: {}, createdAtMs: 0 },
];
const MANAGED_BY = "app.kubernetes.io/managed-by";

/** What the API server adds, and what differs by design: who manages it and the creator's owner link. */
function comparable(object: Loose): Loose {
  const copy = structuredClone(object);
  for (const field of ["uid", "resourceVersion", "creationTimestamp", "ownerReferences"]) delete copy.metadata[field];
  delete copy.metadata.labels[MANAGED_BY];
  delete copy.status;
  if (copy.spec.template) delete copy.spec.template.metadata.labels[MANAGED_BY];
  return copy;
}

describe("cluster model: the stack and the game-creator build the same game", function () {
  this.timeout(120_000);
  let stack: Manifest[];
  let fake: FakeKubeApi;
  let backend: KubernetesBackend;

  before(async function () {
    // The dev stack file with the two games as static games.
    const config = { ...readStackConfig("dev"), "pomona:games": GAMES.map(({ id, type, replicas, tickHz, settings }) => ({ id, type, replicas, ...(tickHz ? { tickHz } : {}), settings })) };
    stack = (await evaluateStack({ stack: "dev", config })).manifests;
    // The creator as that stack deploys it: its image and the games' env from its own Deployment.
    const creatorEnv = new Map<string, Loose>((find(stack, "Deployment", "game-creator") as Loose).spec.template.spec.containers[0].env.map((e: Loose) => [e.name, e]));
    fake = new FakeKubeApi({ resource: "ingresses", name: creatorEnv.get("INGRESS_NAME").value });
    await fake.start();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "test", server: fake.url, skipTLSVerify: true }],
      users: [{ name: "game-creator", token: "test-service-account-token" }],
      contexts: [{ name: "test", cluster: "test", user: "game-creator", namespace: NS }],
      currentContext: "test",
    });
    backend = new KubernetesBackend({
      kubeConfig,
      namespace: NS,
      route: { kind: "ingress", name: creatorEnv.get("INGRESS_NAME").value },
      staticGameIds: GAMES.map((game) => game.id),
      clusterDomain: "cluster.local",
      image: creatorEnv.get("GAME_IMAGE").value,
      gameEnv: JSON.parse(creatorEnv.get("GAME_ENV").value) as V1EnvVar[],
      workerLimits: { turnDeadlineMs: 50, sandboxMemoryMb: 32, podMemoryMi: workerPodMemoryMi(32), podCpuMilli: 250 },
    });
    for (const game of GAMES) await backend.createGame(game);
    await backend.createWorker("maze", playerSpec("ann", "function turn() { return { move: 'up' }; }", 0));
  });

  after(async function () {
    await fake?.stop();
  });

  for (const game of GAMES) {
    describe(`${game.type} game ${game.id}`, function () {
      it("has the same Deployment: labels, selector, pod template, env (GAME_SETTINGS included), probes, securityContext, resources", function () {
        const fromStack = find(stack, "Deployment", `game-${game.id}`) as Loose;
        const fromCreator = fake.get("deployments", NS, `game-${game.id}`)!;
        assert.equal(fromStack.metadata.labels[MANAGED_BY], "pulumi");
        assert.equal(fromCreator.metadata.labels[MANAGED_BY], "pomona-game-creator");
        assert.deepEqual(comparable(fromCreator), comparable(fromStack));
        const env = fromStack.spec.template.spec.containers[0].env;
        assert.deepEqual(JSON.parse(env.find((e: Loose) => e.name === "GAME_SETTINGS").value), game.settings);
      });

      it("has the same viewer Service", function () {
        assert.deepEqual(comparable(fake.get("services", NS, `game-${game.id}`)!), comparable(find(stack, "Service", `game-${game.id}`)));
      });
    });
  }

  it("gives a game with workers the same headless workers Service, and a game without none", function () {
    assert.deepEqual(comparable(fake.get("services", NS, "game-maze-workers")!), comparable(find(stack, "Service", "game-maze-workers")));
    assert.equal(fake.get("services", NS, "game-duel-workers"), undefined);
    assert.ok(!stack.some((m) => m.kind === "Service" && m.metadata.name === "game-duel-workers"));
  });

  it("makes worker pods that the stack's objects name and fence: the headless Service, the workers' and the games' NetworkPolicies", function () {
    const pod = fake.get("pods", NS, "game-maze-worker-ann")!;
    const labels: Record<string, string> = pod.metadata.labels;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);
    const headless = find(stack, "Service", "game-maze-workers") as Loose;
    assert.ok(selects(headless.spec.selector), "the stack's headless Service selects the creator's worker pod");
    assert.equal(pod.spec.subdomain, headless.metadata.name);
    assert.equal(pod.spec.hostname, pod.metadata.name);
    assert.ok(selects((find(stack, "NetworkPolicy", "workers") as Loose).spec.podSelector.matchLabels), "the workers' fence covers it");
    const otherGame: Record<string, string> = { ...labels, "pomona.dev/game": "duel" };
    assert.ok(!Object.entries(headless.spec.selector).every(([key, value]) => otherGame[key] === value), "another game's worker is not under this game's name");
    const gamesEgress = (find(stack, "NetworkPolicy", "games") as Loose).spec.egress as Loose[];
    assert.ok(
      gamesEgress.some((rule) => rule.ports?.some((p: Loose) => p.port === headless.spec.ports[0].port) && rule.to?.some((peer: Loose) => Object.entries(peer.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v))),
      "game servers may call the worker's port",
    );
  });

  it("sends only schema-valid bodies", function () {
    assert.deepEqual(fake.invalidBodies, []);
  });
});
