/**
 * The Kubernetes backend against an in-test server speaking the Kubernetes API (fake-kube-api.ts):
 * @kubernetes/client-node 1.x requests, schema-valid bodies, JSON patches of the route object retried
 * on 409, adoption after a restart, cleanup by name, label and ownerReferences, the Role's verbs only.
 * Run once per route layout (docs/ingress-routes.md): the viewer host's one Ingress, whose static
 * path the creator keeps, and the Gateway API's HTTPRoute of the creator's own.
 * No live cluster is involved anywhere in this repository's tests.
 */
import { workerPodMemoryMi } from "../../services/src/workers/isolation";
import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import Redis from "ioredis";
import { GameCreatorApi } from "../../services/src/game-creator/api";
import { DesiredStore } from "../../services/src/game-creator/desired-store";
import { KubernetesBackend } from "../../services/src/game-creator/kubernetes/kubernetes-backend";
import { Reconciler } from "../../services/src/game-creator/reconciler";
import { workerKeys } from "../../services/src/workers/keys";
import { RedisServer } from "../helpers/redis-server";
import { waitUntil } from "../helpers/wait";
import type { RouteObject } from "../../services/src/game-creator/kubernetes/route-table";
import { FakeKubeApi } from "./fake-kube-api";

const NS = "games";
type Loose = any;

interface RouteLayout {
  readonly route: RouteObject;
  readonly resource: "ingresses" | "httproutes";
  /** The route object as the stack (Pulumi) creates it. */
  readonly seed: Loose;
  /** Static games whose entries share the object, and their paths. */
  readonly staticGameIds: string[];
  /** Every `/game-<id>` path the object routes, in order. */
  gamePaths(object: Loose): string[];
  /** What an operator's hand edit does: drops one game's entry. */
  dropEntry(object: Loose, path: string): void;
}

const LAYOUTS: RouteLayout[] = [
  {
    route: { kind: "ingress", name: "games" },
    resource: "ingresses",
    seed: {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "games", namespace: NS },
      spec: { ingressClassName: "nginx", rules: [{ host: "watch.example.com", http: { paths: [{ path: "/game-static", pathType: "Prefix", backend: { service: { name: "game-static", port: { name: "http" } } } }] } }] },
    },
    staticGameIds: ["static"],
    gamePaths: (ingress) => (ingress.spec.rules[0].http?.paths ?? []).map((p: Loose) => p.path),
    dropEntry: (ingress, path) => (ingress.spec.rules[0].http.paths = ingress.spec.rules[0].http.paths.filter((p: Loose) => p.path !== path)),
  },
  {
    route: { kind: "httproute", name: "games-runtime" },
    resource: "httproutes",
    seed: {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "games-runtime", namespace: NS },
      spec: { parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "envoy-gateway-system" }], hostnames: ["watch.example.com"], rules: [] },
    },
    staticGameIds: [],
    gamePaths: (route) => (route.spec.rules ?? []).map((rule: Loose) => rule.matches[0].path.value),
    dropEntry: (route, path) => (route.spec.rules = route.spec.rules.filter((rule: Loose) => rule.matches[0].path.value !== path)),
  },
];

for (const layout of LAYOUTS) describe(`game-creator Kubernetes backend, routes on ${layout.seed.kind}/${layout.route.name} (in-test Kubernetes API server)`, function () {
  this.timeout(30_000);
  let redisServer: RedisServer;
  let redis: Redis;
  let fake: FakeKubeApi;
  let store: DesiredStore;
  let backend: KubernetesBackend;
  let reconciler: Reconciler;
  let api: GameCreatorApi;

  const kubeConfig = () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "test", server: fake.url, skipTLSVerify: true }],
      users: [{ name: "game-creator", token: "test-service-account-token" }],
      contexts: [{ name: "test", cluster: "test", user: "game-creator", namespace: NS }],
      currentContext: "test",
    });
    return config;
  };
  const startCreator = () => {
    backend = new KubernetesBackend({
      kubeConfig: kubeConfig(),
      namespace: NS,
      route: layout.route,
      staticGameIds: layout.staticGameIds,
      clusterDomain: "cluster.local",
      image: "registry.example.com/pomona/services@sha256:" + "a".repeat(64),
      gameEnv: [{ name: "REDIS_URL", valueFrom: { secretKeyRef: { name: "redis-auth", key: "url" } } }, { name: "POMONA_NAMESPACE", value: "prod" }],
      workerLimits: { turnDeadlineMs: 50, sandboxMemoryMb: 32, podMemoryMi: workerPodMemoryMi(32), podCpuMilli: 250 },
    });
    reconciler = new Reconciler(store, backend, { resyncMs: 100, followUpMs: 30, concurrency: 8 });
    api = new GameCreatorApi(store, reconciler);
    reconciler.start();
  };
  const phase = (id: string) => reconciler.status(id)?.phase;
  const staticPaths = layout.staticGameIds.map((id) => `/game-${id}`);
  const routeObject = () => fake.get(layout.resource, NS, layout.route.name)!;
  /** Runtime game paths, sorted; the static ones must always be there too. */
  const paths = () => {
    const all = layout.gamePaths(routeObject());
    for (const path of staticPaths) assert.equal(all.filter((p) => p === path).length, 1, `the static ${path} is kept, once`);
    return all.filter((p) => !staticPaths.includes(p)).sort();
  };
  const settle = async (what: string, condition: () => boolean) => {
    await waitUntil(() => (fake.markReady(), condition()), 10_000, what, 20);
  };

  before(async function () {
    redisServer = await RedisServer.start();
    redis = new Redis(redisServer.url);
    fake = new FakeKubeApi({ resource: layout.resource, name: layout.route.name });
    await fake.start();
    // As the stack (Pulumi) creates them: the route object (with the static game's entry in the Ingress layout), and a static game.
    fake.seed(layout.resource, layout.seed);
    fake.seed("deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "game-static", namespace: NS, labels: { "app.kubernetes.io/managed-by": "pulumi", "pomona.dev/game": "static" } },
      spec: { selector: { matchLabels: { app: "static" } }, template: { metadata: { labels: { app: "static" } }, spec: { containers: [{ name: "game", image: "x" }] } } },
    });
    store = new DesiredStore(redis, "prod", { maxGames: 100, maxPlayersPerGame: 8, maxWorkers: 16 });
    startCreator();
  });

  after(async function () {
    await reconciler?.stop();
    await fake?.stop();
    redis?.disconnect();
    await redisServer?.stop();
  });

  it(`creates a Deployment and a Service game-<id> per game and one ${layout.seed.kind} entry each; every body and every patched object is schema-valid`, async function () {
    for (const id of ["a1", "a2", "a3"]) assert.equal((await api.createGame({ id, type: "arena", replicas: 2 })).status, 201);
    await settle("3 games ready", () => ["a1", "a2", "a3"].every((id) => phase(id) === "ready"));
    assert.deepEqual(paths(), ["/game-a1", "/game-a2", "/game-a3"]);
    assert.deepEqual(fake.invalidBodies, []);
    assert.ok(fake.routeHistory.length >= 1);
    const deployment = fake.get("deployments", NS, "game-a1")!;
    const container = deployment.spec.template.spec.containers[0];
    assert.deepEqual(container.command, ["node", "services/dist/games/arena/main.js"]);
    const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    assert.equal(env.GAME_ID, "a1");
    assert.equal(env.HTTP_PORT, "8080");
    assert.ok(container.env.some((e: { name: string; valueFrom?: unknown }) => e.name === "REDIS_URL" && e.valueFrom !== undefined), "Redis from the stack's Secret, not a literal");
    assert.deepEqual(deployment.spec.selector.matchLabels, { "app.kubernetes.io/part-of": "pomona", "app.kubernetes.io/component": "game", "pomona.dev/game": "a1" });
    assert.equal(deployment.spec.template.spec.automountServiceAccountToken, false);
    const service = fake.get("services", NS, "game-a1")!;
    assert.deepEqual(service.spec.ports, [{ name: "http", port: 8080, targetPort: "http" }]);
    assert.equal(service.metadata.ownerReferences[0].uid, deployment.metadata.uid, "the Service is owned by the Deployment");
    if (layout.route.kind === "ingress") {
      const ingressPath = routeObject().spec.rules[0].http.paths.find((p: Loose) => p.path === "/game-a1");
      assert.deepEqual(ingressPath, { path: "/game-a1", pathType: "Prefix", backend: { service: { name: "game-a1", port: { name: "http" } } } });
    } else {
      const rule = routeObject().spec.rules.find((r: Loose) => r.matches[0].path.value === "/game-a1");
      assert.deepEqual(rule, { matches: [{ path: { type: "PathPrefix", value: "/game-a1" } }], backendRefs: [{ name: "game-a1", port: 8080 }], timeouts: { request: "0s" } });
    }
  });

  it(`retries JSON patches of the ${layout.seed.kind} that hit 409 Conflict, counts them, and never duplicates an entry`, async function () {
    const before = backend.counters().routeConflicts;
    fake.conflictsToInject = 3;
    await api.createGame({ id: "a4", type: "arena" });
    await settle("a4 ready", () => phase("a4") === "ready");
    assert.equal(fake.conflictsAnswered >= 3, true);
    assert.equal(backend.counters().routeConflicts - before, 3);
    assert.deepEqual(paths(), ["/game-a1", "/game-a2", "/game-a3", "/game-a4"]);
    assert.deepEqual(fake.invalidBodies, []);
  });

  it("runs workers as Pods game-<id>-worker-<player> owned by the game's Deployment and publishes them to the game by readiness", async function () {
    await api.createGame({ id: "g1", type: "grid" });
    await settle("g1 ready", () => phase("g1") === "ready");
    for (const player of ["ann", "bob"]) assert.equal((await api.putPlayer("g1", player, { code: "function turn(v) { return { move: 'up' }; }" })).status, 202);
    await waitUntil(() => fake.list("pods").length === 2, 5_000, "two worker pods");
    const pod = fake.get("pods", NS, "game-g1-worker-ann")!;
    const deployment = fake.get("deployments", NS, "game-g1")!;
    assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: "apps/v1", kind: "Deployment", name: "game-g1", uid: deployment.metadata.uid, controller: false, blockOwnerDeletion: false }]);
    assert.equal(pod.metadata.labels["app.kubernetes.io/component"], "worker");
    assert.equal(pod.spec.restartPolicy, "Never");
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.ok(pod.spec.containers[0].command.includes("--permission"), "the images' Node 24 flag (Node 24 refuses --experimental-permission)");
    // The supervisor starts the sandbox process; the pod is its network and PID namespace (docs/workers.md).
    assert.ok(pod.spec.containers[0].command.includes("--allow-child-process"));
    assert.ok(!pod.spec.containers[0].command.includes("--allow-worker"));
    assert.deepEqual(pod.spec.containers[0].env.find((e: { name: string }) => e.name === "WORKER_ISOLATION"), { name: "WORKER_ISOLATION", value: "pod" });
    // RLIMIT_DATA sized for the image's Node 24 (which aborts a worker thread's start under 1,024 MB of address space).
    assert.equal(pod.spec.containers[0].env.find((e: { name: string }) => e.name === "SANDBOX_PROCESS_MEMORY_MB").value, "1280");
    assert.equal(pod.spec.containers[0].ports[0].containerPort, 8000);
    // Not ready yet: the game sees no worker.
    assert.deepEqual(await redis.hgetall(workerKeys("prod", "g1").endpoints), {});
    fake.markReady();
    await waitUntil(async () => Object.keys(await redis.hgetall(workerKeys("prod", "g1").endpoints)).length === 2, 5_000, "both workers published");
    const table = await redis.hgetall(workerKeys("prod", "g1").endpoints);
    // By name, never by pod IP: the pod's hostname under the game's headless Service (AI:MMO's worker naming).
    assert.equal(JSON.parse(table.ann).url, `http://game-g1-worker-ann.game-g1-workers.${NS}.svc.cluster.local:8000`);
    assert.equal(pod.spec.hostname, "game-g1-worker-ann");
    assert.equal(pod.spec.subdomain, "game-g1-workers");
    const workers = fake.get("services", NS, "game-g1-workers")!;
    assert.equal(workers.spec.clusterIP, "None", "headless: one DNS record per worker pod");
    assert.ok(Object.entries(workers.spec.selector).every(([key, value]) => pod.metadata.labels[key] === value), "the headless Service selects the game's worker pods");
    assert.equal(workers.metadata.ownerReferences[0].uid, deployment.metadata.uid, "it dies with the game");
    assert.equal(fake.get("services", NS, "game-a1-workers"), undefined, "a game type without workers has no workers Service");
    assert.deepEqual(fake.invalidBodies, []);
  });

  it("after a restart, adopts every existing game without re-creating it, re-adds a lost path and removes orphans", async function () {
    await reconciler.stop();
    // While it was down: someone removed a1's entry, and a game nobody wants was left behind.
    layout.dropEntry(routeObject(), "/game-a1");
    fake.seed("deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "game-orphan", namespace: NS, labels: { "app.kubernetes.io/managed-by": "pomona-game-creator", "pomona.dev/game": "orphan", "pomona.dev/game-type": "arena" } },
      spec: { replicas: 1, selector: { matchLabels: { "pomona.dev/game": "orphan" } }, template: { metadata: { labels: { "pomona.dev/game": "orphan" } }, spec: { containers: [{ name: "game", image: "x" }] } } },
    });
    const before = fake.requests.length;
    startCreator();
    await settle("adopted", () => ["a1", "a2", "a3", "a4", "g1"].every((id) => phase(id) === "ready") && fake.get("deployments", NS, "game-orphan") === undefined);
    const writes = fake.requests.slice(before).filter((r) => r.method !== "GET");
    assert.deepEqual(writes.filter((r) => r.method === "POST"), [], "nothing re-created");
    assert.ok(writes.some((r) => r.method === "DELETE" && r.name === "game-orphan"), "the orphan was deleted");
    assert.deepEqual(paths(), ["/game-a1", "/game-a2", "/game-a3", "/game-a4", "/game-g1"]);
    assert.ok(fake.get("deployments", NS, "game-static") !== undefined, "the stack's static game is never touched");
  });

  it("deletes a game's Deployment, Service, worker Pods and path, leaving the others; a static game's id is refused with a reason", async function () {
    assert.equal((await api.deleteGame("g1")).status, 202);
    await waitUntil(() => fake.get("deployments", NS, "game-g1") === undefined && fake.list("pods").length === 0 && !paths().includes("/game-g1"), 5_000, "g1 gone");
    assert.equal(fake.get("services", NS, "game-g1"), undefined);
    assert.equal(fake.get("services", NS, "game-g1-workers"), undefined);
    await waitUntil(async () => (await redis.exists(workerKeys("prod", "g1").endpoints)) === 0, 5_000, "g1's worker table gone");
    assert.deepEqual(paths(), ["/game-a1", "/game-a2", "/game-a3", "/game-a4"]);

    await api.createGame({ id: "static", type: "arena" });
    await waitUntil(() => phase("static") === "failed", 5_000, "static failed");
    assert.match(reconciler.status("static")!.reason!, /did not create .*pick another id/);
    assert.equal(fake.get("deployments", NS, "game-static")!.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
    assert.ok(!paths().includes("/game-static"), "no runtime entry for it");
    await api.deleteGame("static");
  });

  it("uses only the verbs of its Role (no 403), and every request body validated", function () {
    assert.deepEqual(fake.requests.filter((r) => r.status === 403), []);
    assert.deepEqual(fake.invalidBodies, []);
    const verbs = new Set(fake.requests.map((r) => `${r.method} ${r.resource}`));
    assert.ok(!verbs.has(`PUT ${layout.resource}`) && !verbs.has("PATCH services"));
  });
  it("the in-test API refuses what a real one would: a schema-invalid body (422) and a verb outside the Role (403)", async function () {
    const headers = { Authorization: "Bearer test-service-account-token", "Content-Type": "application/json" };
    const invalid = await fetch(`${fake.url}/apis/apps/v1/namespaces/${NS}/deployments`, { method: "POST", headers, body: JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "bad" }, spec: { replicas: "two" } }) });
    assert.equal(invalid.status, 422);
    const forbidden = await fetch(`${fake.url}/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/other`, { headers });
    assert.equal(forbidden.status, 403);
    // A patch whose result breaks the schema is refused whole: an HTTPRoute past the Gateway API's 16 rules, an Ingress path without a backend.
    const object = routeObject();
    const group = layout.resource === "ingresses" ? "networking.k8s.io" : "gateway.networking.k8s.io";
    const breaking =
      layout.resource === "httproutes"
        ? Array.from({ length: 17 }, (_, i) => ({ op: "add", path: "/spec/rules/-", value: { matches: [{ path: { type: "PathPrefix", value: `/game-x${i}` } }], backendRefs: [{ name: `game-x${i}`, port: 8080 }] } }))
        : [{ op: "add", path: "/spec/rules/0/http/paths/-", value: { path: "/game-x", pathType: "Prefix" } }];
    const patched = await fetch(`${fake.url}/apis/${group}/v1/namespaces/${NS}/${layout.resource}/${layout.route.name}`, {
      method: "PATCH",
      headers: { ...headers, "Content-Type": "application/json-patch+json" },
      body: JSON.stringify([{ op: "replace", path: "/metadata/resourceVersion", value: object.metadata.resourceVersion }, ...breaking]),
    });
    assert.equal(patched.status, 422);
    assert.match(fake.invalidBodies.at(-1)!, layout.resource === "httproutes" ? /rules must NOT have more than 16 items/ : /backend/);
    fake.invalidBodies.length = 0;
  });
});
