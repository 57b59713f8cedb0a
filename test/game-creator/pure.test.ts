/** The game-creator's pure decisions: request validation, the reconcile plan, Ingress and HTTPRoute JSON patches, manifests, the token check. */
import { workerPodMemoryMi } from "../../services/src/workers/isolation";
import assert from "node:assert/strict";
import { applyPatch, deepClone } from "fast-json-patch";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { Pod, Service } from "kubernetes-models/v1";
import type { V1Ingress } from "@kubernetes/client-node";
import { bearerChecker } from "../../services/src/game-creator/auth";
import { parseCreatorConfig } from "../../services/src/game-creator/config";
import { createGameSchema, playerSpec, type GameSpec } from "../../services/src/game-creator/game-spec";
import { gameHttpRouteRule, planHttpRoutePatch, routedGamesOfHttpRoute, type HttpRoute, type HttpRouteRule } from "../../services/src/game-creator/kubernetes/httproute-patch";
import { planIngressPatch, routedGames } from "../../services/src/game-creator/kubernetes/ingress-patch";
import { gameDeployment, gameService, workerPod, type ManifestContext } from "../../services/src/game-creator/kubernetes/manifests";
import { planReconcile, type DesiredGame } from "../../services/src/game-creator/reconcile-plan";
import type { ObservedGame, World } from "../../services/src/game-creator/world";

const spec = (id: string, type: GameSpec["type"] = "arena", replicas = 1): GameSpec => ({ id, type, replicas, settings: {}, createdAtMs: 0 });
const desired = (...games: Array<GameSpec | [GameSpec, string[]]>): Map<string, DesiredGame> =>
  new Map(
    games.map((g) => {
      const [s, players] = Array.isArray(g) ? g : [g, []];
      return [s.id, { spec: s, players: new Map(players.map((p) => [p, playerSpec(p, `function turn(){return '${p}'}`, 0)])) }];
    }),
  );
const observed = (id: string, options: Partial<ObservedGame> = {}): ObservedGame => ({ id, type: "arena", replicas: 1, readyReplicas: 1, workers: new Map(), ...options });
const world = (games: ObservedGame[], routes: string[] = games.map((g) => g.id), routesDirty = false): World => ({ games: new Map(games.map((g) => [g.id, g])), routes: new Set(routes), routesDirty });

describe("game-creator: request validation", function () {
  it("accepts a well-formed game and fills the defaults", function () {
    assert.deepEqual(createGameSchema.parse({ id: "a-1", type: "arena" }), { id: "a-1", type: "arena", replicas: 1, settings: {} });
  });
  for (const [what, input, message] of [
    ["uppercase id", { id: "Alpha", type: "arena" }, /DNS-1123 label/],
    ["id with a dot", { id: "a.b", type: "arena" }, /DNS-1123 label/],
    ["id ending with a dash", { id: "a-", type: "arena" }, /DNS-1123 label/],
    ["31-character id", { id: "a".repeat(31), type: "arena" }, /at most 30/],
    ["unknown type", { id: "a", type: "go" }, /unknown game type "go"/],
    ["replicas 0", { id: "a", type: "arena", replicas: 0 }, /replicas/],
    ["a setting that is an object", { id: "a", type: "arena", settings: { x: { y: 1 } } }, /settings/],
  ] as const) {
    it(`refuses ${what}`, function () {
      const result = createGameSchema.safeParse(input);
      assert.equal(result.success, false);
      assert.match(result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), message);
    });
  }
});

describe("game-creator: reconcile plan", function () {
  it("creates what is wanted and missing, deletes what is unwanted, and sets the route table once", function () {
    const plan = planReconcile(desired(spec("a"), spec("b")), world([observed("b"), observed("orphan")]));
    assert.deepEqual(plan.createGames.map((g) => g.id), ["a"]);
    assert.deepEqual(plan.deleteGames, ["orphan"]);
    assert.deepEqual(plan.routes, ["b"]);
    assert.equal(plan.statuses.get("a")!.phase, "pending");
    assert.equal(plan.statuses.get("b")!.phase, "ready");
    assert.equal(plan.statuses.get("orphan")!.phase, "deleting");
  });

  it("does nothing when the world matches (idempotent)", function () {
    const plan = planReconcile(desired(spec("a"), spec("b")), world([observed("a"), observed("b")]));
    assert.deepEqual([plan.createGames, plan.deleteGames, plan.scaleGames, plan.createWorkers, plan.deleteWorkers], [[], [], [], [], []]);
    assert.equal(plan.routes, undefined);
  });

  it("is pending until every replica is ready and the route is live; failed with the backend's or the last action's reason", function () {
    assert.match(planReconcile(desired(spec("a", "arena", 2)), world([observed("a", { replicas: 2, readyReplicas: 1 })])).statuses.get("a")!.reason!, /1\/2 replicas ready/);
    assert.match(planReconcile(desired(spec("a")), world([observed("a")], [])).statuses.get("a")!.reason!, /waiting for the \/game-a route/);
    assert.equal(planReconcile(desired(spec("a")), world([observed("a", { failure: "CrashLoopBackOff" })])).statuses.get("a")!.phase, "failed");
    const failed = planReconcile(desired(spec("a")), world([]), new Map([["a", "creating the game failed: 403"]])).statuses.get("a")!;
    assert.deepEqual([failed.phase, failed.reason], ["failed", "creating the game failed: 403"]);
  });

  it("rewrites a dirty route table (duplicates) even when the ids match", function () {
    assert.deepEqual(planReconcile(desired(spec("a")), world([observed("a")], ["a"], true)).routes, ["a"]);
  });

  it("scales, replaces a game of another type, and starts, replaces and removes workers by code revision", function () {
    const ann = playerSpec("ann", "function turn(){return 'ann'}", 0);
    const plan = planReconcile(
      desired(spec("a", "arena", 3), [spec("g", "grid"), ["ann", "bob"]], spec("t", "grid")),
      world([
        observed("a"),
        observed("g", { type: "grid", workers: new Map([["ann", { player: "ann", revision: ann.revision, ready: true, url: "http://x:8000" }], ["cat", { player: "cat", revision: "r", ready: true, url: "http://y:8000" }], ["bob", { player: "bob", revision: "old", ready: true, url: "http://z:8000" }]]) }),
        observed("t", { type: "arena" }),
      ]),
    );
    assert.deepEqual(plan.scaleGames, [{ id: "a", replicas: 3 }]);
    assert.deepEqual(plan.deleteGames, ["t"]);
    assert.deepEqual(plan.createGames, []);
    assert.deepEqual(plan.deleteWorkers.map((w) => w.player).sort(), ["bob", "cat"]);
    assert.deepEqual(plan.createWorkers, []);
    assert.deepEqual([...plan.readyWorkers.get("g")!], [["ann", "http://x:8000"]]);
    assert.deepEqual(plan.statuses.get("g")!.workers.map((w) => `${w.player}:${w.phase}`), ["ann:ready", "bob:pending"]);
  });
});

describe("game-creator: reconcile plan, statuses", function () {
  const revision = (player: string) => playerSpec(player, `function turn(){return '${player}'}`, 0).revision;

  it("a game being created, one being replaced by another type, and one being deleted: exact statuses", function () {
    const plan = planReconcile(
      desired([spec("new"), ["ann"]], spec("swap", "grid", 2)),
      world([observed("swap", { type: "arena", replicas: 1 }), observed("gone", { replicas: 2, readyReplicas: 1 })], ["swap", "gone"]),
    );
    assert.deepEqual(plan.createGames.map((g) => g.id), ["new"], "the replaced game is created after its predecessor is gone");
    assert.deepEqual([...plan.deleteGames].sort(), ["gone", "swap"]);
    assert.deepEqual(plan.statuses.get("new"), { phase: "pending", reason: "creating its servers", readyReplicas: 0, replicas: 1, route: false, workers: [{ player: "ann", phase: "pending", revision: revision("ann") }] });
    assert.deepEqual(plan.statuses.get("swap"), { phase: "pending", reason: "replacing the arena game of the same id", readyReplicas: 0, replicas: 2, route: false, workers: [] });
    assert.deepEqual(plan.statuses.get("gone"), { phase: "deleting", reason: "deleted: removing its servers, workers and route", readyReplicas: 1, replicas: 2, route: true, workers: [] });
    assert.deepEqual(plan.routes, [], "neither the replaced nor the deleted game keeps a route");
  });

  it("every worker state maps to its phase and reason; only ready workers with a URL are called", function () {
    const current = (player: string, options: { ready: boolean; url?: string; failure?: string }) => ({ player, revision: revision(player), ...options });
    const plan = planReconcile(
      desired([spec("g", "grid"), ["fresh", "outdated", "crashed", "up", "no-url", "starting"]]),
      world([
        observed("g", {
          type: "grid",
          workers: new Map([
            ["outdated", { player: "outdated", revision: "old", ready: true, url: "http://o:8000" }],
            ["crashed", current("crashed", { ready: false, failure: "OOMKilled" })],
            ["up", current("up", { ready: true, url: "http://u:8000" })],
            ["no-url", current("no-url", { ready: true })],
            ["starting", current("starting", { ready: false, url: "http://s:8000" })],
          ]),
        }),
      ]),
    );
    assert.deepEqual(plan.createWorkers.map((w) => w.player.player), ["fresh"]);
    assert.deepEqual(plan.deleteWorkers, [{ gameId: "g", player: "outdated" }]);
    assert.deepEqual([...plan.readyWorkers.get("g")!], [["up", "http://u:8000"]]);
    assert.deepEqual(plan.statuses.get("g"), {
      phase: "ready",
      readyReplicas: 1,
      replicas: 1,
      route: true,
      workers: [
        { player: "fresh", phase: "pending", reason: "starting its worker", revision: revision("fresh") },
        { player: "outdated", phase: "pending", reason: "replacing the worker with the new code", revision: revision("outdated") },
        { player: "crashed", phase: "failed", reason: "OOMKilled", revision: revision("crashed") },
        { player: "up", phase: "ready", revision: revision("up") },
        { player: "no-url", phase: "pending", reason: "waiting for its worker to be ready", revision: revision("no-url") },
        { player: "starting", phase: "pending", reason: "waiting for its worker to be ready", revision: revision("starting") },
      ],
    });
  });

  it("a running game's statuses: replicas, route and a remembered error, exactly", function () {
    const scaling = planReconcile(desired(spec("a", "arena", 2)), world([observed("a", { replicas: 2, readyReplicas: 1 })])).statuses.get("a");
    assert.deepEqual(scaling, { phase: "pending", reason: "1/2 replicas ready", readyReplicas: 1, replicas: 2, route: true, workers: [] });
    const unrouted = planReconcile(desired(spec("a")), world([observed("a")], [])).statuses.get("a");
    assert.deepEqual(unrouted, { phase: "pending", reason: "waiting for the /game-a route", readyReplicas: 1, replicas: 1, route: false, workers: [] });
    const erred = planReconcile(desired(spec("a")), world([observed("a")]), new Map([["a", "scaling failed: 409"]])).statuses.get("a");
    assert.deepEqual(erred, { phase: "failed", reason: "scaling failed: 409", readyReplicas: 1, replicas: 1, route: true, workers: [] });
  });

  it("writes the route table sorted, and only when it differs from the observed one", function () {
    const both = world([observed("b"), observed("a")], []);
    assert.deepEqual(planReconcile(desired(spec("b"), spec("a")), both).routes, ["a", "b"]);
    assert.equal(planReconcile(desired(spec("b"), spec("a")), world([observed("a"), observed("b")], ["b", "a"])).routes, undefined, "the same set in another order is no change");
    assert.deepEqual(planReconcile(desired(spec("a")), world([observed("a")], ["z"])).routes, ["a"], "same length, other id");
    assert.deepEqual(planReconcile(desired(spec("a"), spec("b")), world([observed("a"), observed("b")], ["a", "c"])).routes, ["a", "b"], "one id of two differs");
  });
});

const ingress = (paths?: Array<{ path: string; service?: string }>): V1Ingress => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "games-runtime", namespace: "games", resourceVersion: "42" },
  spec: {
    ingressClassName: "nginx",
    rules: [
      {
        host: "watch.example.com",
        ...(paths === undefined ? {} : { http: { paths: paths.map((p) => ({ path: p.path, pathType: "Prefix", backend: { service: { name: p.service ?? p.path.slice(1), port: { name: "http" } } } })) } }),
      },
    ],
  },
});
const apply = (doc: V1Ingress, ops: ReturnType<typeof planIngressPatch>) => applyPatch(deepClone(doc), deepClone(ops), true, false).newDocument as V1Ingress;
const pathsOf = (doc: V1Ingress) => (doc.spec!.rules![0].http?.paths ?? []).map((p) => p.path);

describe("game-creator: Ingress JSON patches", function () {
  it("adds the http block to a host-only rule, then appends; the result is a valid Ingress", function () {
    const first = apply(ingress(), planIngressPatch(ingress(), ["b", "a"]));
    assert.deepEqual(pathsOf(first), ["/game-a", "/game-b"]);
    new Ingress(first as never).validate();
    const second = apply(first, planIngressPatch(first, ["a", "b", "c"]));
    assert.deepEqual(pathsOf(second), ["/game-a", "/game-b", "/game-c"]);
    new Ingress(second as never).validate();
  });

  it("pins the resourceVersion first (409 when stale) and removes by index, highest first, with a test of each path", function () {
    const doc = ingress([{ path: "/game-a" }, { path: "/game-b" }, { path: "/game-c" }, { path: "/game-b" }]);
    const ops = planIngressPatch(doc, ["a", "c"]);
    assert.deepEqual(ops[0], { op: "replace", path: "/metadata/resourceVersion", value: "42" });
    assert.deepEqual(ops.filter((op) => op.op === "remove").map((op) => op.path), ["/spec/rules/0/http/paths/3", "/spec/rules/0/http/paths/1"]);
    assert.deepEqual(pathsOf(apply(doc, ops)), ["/game-a", "/game-c"]);
    assert.equal(routedGames(doc).dirty, true);
  });

  it("drops the http block when the last game goes (an http block needs paths), and leaves other paths alone", function () {
    const alone = apply(ingress([{ path: "/game-a" }]), planIngressPatch(ingress([{ path: "/game-a" }]), []));
    assert.equal(alone.spec!.rules![0].http, undefined);
    new Ingress(alone as never).validate();
    const mixed = ingress([{ path: "/docs", service: "docs" }, { path: "/game-a" }]);
    assert.deepEqual(pathsOf(apply(mixed, planIngressPatch(mixed, []))), ["/docs"]);
  });

  it("replaces an entry of ours that points elsewhere, and is empty when nothing changes", function () {
    const wrong = ingress([{ path: "/game-a", service: "evil" }]);
    assert.deepEqual(pathsOf(apply(wrong, planIngressPatch(wrong, ["a"]))), ["/game-a"]);
    assert.equal(apply(wrong, planIngressPatch(wrong, ["a"])).spec!.rules![0].http!.paths[0].backend.service!.name, "game-a");
    assert.deepEqual(planIngressPatch(ingress([{ path: "/game-a" }]), ["a"]), []);
  });

  it("property: from any table, the patch yields exactly one entry per wanted id, valid", function () {
    const ids = ["a", "b", "c", "d", "e"];
    for (let round = 0; round < 200; round++) {
      const current = Array.from({ length: Math.floor(Math.random() * 8) }, () => ({ path: `/game-${ids[Math.floor(Math.random() * ids.length)]}` }));
      const wanted = ids.filter(() => Math.random() < 0.5);
      const doc = ingress(current.length === 0 ? undefined : current);
      const result = apply(doc, planIngressPatch(doc, wanted));
      assert.deepEqual(pathsOf(result).sort(), wanted.map((id) => `/game-${id}`).sort(), JSON.stringify({ current, wanted }));
      new Ingress(result as never).validate();
    }
  });
});

describe("game-creator: manifests", function () {
  const context: ManifestContext = {
    namespace: "games",
    image: "registry.example.com/pomona/services@sha256:" + "b".repeat(64),
    gameEnv: [{ name: "POMONA_NAMESPACE", value: "prod" }],
    workerLimits: { turnDeadlineMs: 50, sandboxMemoryMb: 32, podMemoryMi: workerPodMemoryMi(32), podCpuMilli: 250 },
  };
  const longest = "a".repeat(30);
  it("Deployment, Service and worker Pod validate against the Kubernetes schemas at the longest ids", function () {
    const game = { ...spec(longest, "grid"), settings: { speed: 2 } };
    new Deployment(gameDeployment(context, game) as never).validate();
    new Service(gameService(context, game, "uid-1") as never).validate();
    const pod = workerPod(context, longest, "uid-1", playerSpec("b".repeat(20), "function turn(){}", 0));
    new Pod(pod as never).validate();
    assert.equal(pod.metadata!.name!.length, 63);
    assert.match(pod.metadata!.name!, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it("a worker can reach nothing on its own: no token, no service links, read-only root, no capabilities, restartPolicy Never", function () {
    const pod = workerPod(context, "g", "uid", playerSpec("ann", "x", 0));
    assert.equal(pod.spec!.automountServiceAccountToken, false);
    assert.equal(pod.spec!.enableServiceLinks, false);
    assert.equal(pod.spec!.restartPolicy, "Never");
    const container = pod.spec!.containers[0];
    assert.equal(container.securityContext!.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext!.capabilities, { drop: ["ALL"] });
    assert.deepEqual(container.resources!.limits, { cpu: "250m", memory: "320Mi" /* 128 + 6 × the 32 MB heap */ });
    assert.ok(!container.env!.some((e) => e.name === "REDIS_URL"), "workers get no Redis");
  });
});

describe("game-creator: bearer token", function () {
  const check = bearerChecker("s3cret-token-of-the-stack");
  it("accepts the token and refuses a missing, malformed or wrong one", function () {
    assert.equal(check("Bearer s3cret-token-of-the-stack"), "ok");
    assert.equal(check(""), "missing");
    assert.equal(check("Basic abc"), "invalid");
    assert.equal(check("Bearer s3cret-token-of-the-stacK"), "invalid");
    assert.equal(check("Bearer s3cret"), "invalid");
  });
});

describe("game-creator: configuration from the environment", function () {
  const base = { CREATOR_TOKEN: "t".repeat(20), REDIS_URL: "redis://127.0.0.1:6379" };
  it("defaults to the local backend outside a pod and to Kubernetes inside one", function () {
    assert.equal(parseCreatorConfig(base).BACKEND, "local");
    assert.throws(() => parseCreatorConfig({ ...base, KUBERNETES_SERVICE_HOST: "10.96.0.1" }), /env\.POD_NAMESPACE: is required with BACKEND=kubernetes/);
    const config = parseCreatorConfig({ ...base, KUBERNETES_SERVICE_HOST: "10.96.0.1", POD_NAMESPACE: "games", INGRESS_NAME: "games", STATIC_GAME_IDS: "arena-1, arena-2", GAME_IMAGE: "img@sha256:x", GAME_ENV: '[{"name":"REDIS_URL","valueFrom":{"secretKeyRef":{"name":"redis-auth","key":"url"}}}]' });
    assert.deepEqual([config.BACKEND, config.PORT, config.GAME_ENV![0].name, config.STATIC_GAME_IDS], ["kubernetes", 8090, "REDIS_URL", ["arena-1", "arena-2"]]);
  });
  it("owns exactly one route object in Kubernetes: an Ingress, or an HTTPRoute with at most 16 games", function () {
    const kube = { ...base, BACKEND: "kubernetes", POD_NAMESPACE: "games", GAME_IMAGE: "img@sha256:x" };
    assert.throws(() => parseCreatorConfig(kube), /env\.INGRESS_NAME: give exactly one of INGRESS_NAME .* or HTTPROUTE_NAME/);
    assert.throws(() => parseCreatorConfig({ ...kube, INGRESS_NAME: "games", HTTPROUTE_NAME: "games-runtime" }), /give exactly one/);
    assert.throws(() => parseCreatorConfig({ ...kube, HTTPROUTE_NAME: "games-runtime" }), /env\.MAX_GAMES: must be at most 16 with HTTPROUTE_NAME/);
    assert.equal(parseCreatorConfig({ ...kube, HTTPROUTE_NAME: "games-runtime", MAX_GAMES: "16" }).HTTPROUTE_NAME, "games-runtime");
    assert.throws(() => parseCreatorConfig({ ...kube, INGRESS_NAME: "games", STATIC_GAME_IDS: "ok,Not_An_Id" }), /env\.STATIC_GAME_IDS/);
  });
  it("names the variable and the fix when a value is wrong", function () {
    assert.throws(() => parseCreatorConfig({ ...base, CREATOR_TOKEN: "short" }), /env\.CREATOR_TOKEN: must be at least 16 characters/);
    assert.throws(() => parseCreatorConfig({ CREATOR_TOKEN: "t".repeat(20) }), /env\.REDIS_URL: is required/);
    assert.throws(() => parseCreatorConfig({ ...base, GAME_ENV: "{" }), /env\.GAME_ENV: must be a JSON array of Kubernetes EnvVar objects/);
    assert.throws(() => parseCreatorConfig({ ...base, NGINX_ROUTES_FILE: "/x/games.conf" }), /go together/);
    assert.throws(() => parseCreatorConfig({ ...base, MAX_GAMES: "0" }), /env\.MAX_GAMES: /);
    assert.throws(() => parseCreatorConfig({ ...base, MAX_PLAYERS_PER_GAME: "10", MAX_WORKERS: "5" }), /env\.MAX_PLAYERS_PER_GAME: must not exceed MAX_WORKERS \(5\)/);
  });
});

const httpRoute = (rules?: HttpRouteRule[]): HttpRoute => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name: "games-runtime", namespace: "games", resourceVersion: "7" },
  spec: { parentRefs: [{ name: "public" }], hostnames: ["watch.example.com"], ...(rules === undefined ? {} : { rules }) },
});
const applyToRoute = (doc: HttpRoute, ops: ReturnType<typeof planHttpRoutePatch>) => applyPatch(deepClone(doc), deepClone(ops), true, false).newDocument as HttpRoute;
const rulePaths = (doc: HttpRoute) => (doc.spec!.rules ?? []).map((rule) => rule.matches![0]!.path!.value);
const docsRule: HttpRouteRule = { matches: [{ path: { type: "PathPrefix", value: "/docs" } }], backendRefs: [{ name: "docs", port: 80 }] };

describe("game-creator: HTTPRoute JSON patches", function () {
  it("adds rules to a route declared without any (and with an empty list), pinning the resourceVersion; the result is a valid HTTPRoute", function () {
    for (const declared of [httpRoute(), httpRoute([])]) {
      const ops = planHttpRoutePatch(declared, ["b", "a"]);
      assert.deepEqual(ops[0], { op: "replace", path: "/metadata/resourceVersion", value: "7" });
      const result = applyToRoute(declared, ops);
      assert.deepEqual(rulePaths(result), ["/game-a", "/game-b"]);
      new HTTPRoute(result as never).validate();
    }
  });

  it("removes by index, highest first, each after a test of its path; leaves other rules alone; empty when nothing changes", function () {
    const doc = httpRoute([gameHttpRouteRule("a"), docsRule, gameHttpRouteRule("b"), gameHttpRouteRule("a")]);
    assert.equal(routedGamesOfHttpRoute(doc).dirty, true, "a duplicate is dirty");
    const ops = planHttpRoutePatch(doc, ["a"]);
    assert.deepEqual(ops.slice(1, 5), [
      { op: "test", path: "/spec/rules/3/matches/0/path/value", value: "/game-a" },
      { op: "remove", path: "/spec/rules/3" },
      { op: "test", path: "/spec/rules/2/matches/0/path/value", value: "/game-b" },
      { op: "remove", path: "/spec/rules/2" },
    ]);
    const result = applyToRoute(doc, ops);
    assert.deepEqual(rulePaths(result), ["/game-a", "/docs"]);
    assert.deepEqual(planHttpRoutePatch(result, ["a"]), []);
    assert.deepEqual(rulePaths(applyToRoute(result, planHttpRoutePatch(result, []))), ["/docs"], "the last game leaves an empty or foreign-only list");
  });

  it("replaces a rule of ours that points elsewhere (another Service, another namespace, a timeout), as the API server defaults it or not", function () {
    const elsewhere = [
      { ...gameHttpRouteRule("a"), backendRefs: [{ name: "gate", port: 8080 }] },
      { ...gameHttpRouteRule("a"), backendRefs: [{ name: "game-a", port: 8080, namespace: "other" }] },
      { ...gameHttpRouteRule("a"), timeouts: { request: "10s" } },
    ];
    for (const rule of elsewhere) {
      const doc = httpRoute([rule]);
      assert.equal(routedGamesOfHttpRoute(doc).dirty, true, JSON.stringify(rule));
      assert.deepEqual(applyToRoute(doc, planHttpRoutePatch(doc, ["a"])).spec!.rules, [gameHttpRouteRule("a")]);
    }
    const defaulted = httpRoute([{ ...gameHttpRouteRule("a"), backendRefs: [{ group: "", kind: "Service", name: "game-a", port: 8080, weight: 1 }] }]);
    assert.deepEqual(planHttpRoutePatch(defaulted, ["a"]), [], "the CRD's defaults (group, kind, weight) are still ours");
  });

  it("refuses to plan past the Gateway API's 16 rules, naming the cap", function () {
    const full = httpRoute(Array.from({ length: 15 }, (_, i) => gameHttpRouteRule(`g${i}`)));
    const wanted = Array.from({ length: 15 }, (_, i) => `g${i}`);
    new HTTPRoute(applyToRoute(full, planHttpRoutePatch(full, [...wanted, "last"])) as never).validate();
    assert.throws(() => planHttpRoutePatch(full, [...wanted, "x", "y"]), /would hold 17 rules; the Gateway API allows 16/);
  });

  it("property: from any rule list, the patch yields exactly one rule per wanted id, valid", function () {
    const ids = ["a", "b", "c", "d", "e"];
    for (let round = 0; round < 200; round++) {
      const current = Array.from({ length: Math.floor(Math.random() * 8) }, () => gameHttpRouteRule(ids[Math.floor(Math.random() * ids.length)]!));
      const wanted = ids.filter(() => Math.random() < 0.5);
      const doc = httpRoute(current.length === 0 && Math.random() < 0.5 ? undefined : current);
      const result = applyToRoute(doc, planHttpRoutePatch(doc, wanted));
      assert.deepEqual(rulePaths(result).sort(), wanted.map((id) => `/game-${id}`).sort(), JSON.stringify({ current, wanted }));
      assert.deepEqual(routedGamesOfHttpRoute(result), { ids: new Set(wanted), dirty: false });
      new HTTPRoute(result as never).validate();
    }
  });
});
