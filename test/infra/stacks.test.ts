/**
 * Every stack file in stacks/ evaluated under Pulumi's mocks: each object validates against the
 * Kubernetes schemas and carries no undeclared field, and the objects fit together the way the
 * cluster needs them to (selectors, headless Service, backends, nginx map, NetworkPolicies, env).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { listStacks, REPO_ROOT, type Evaluation, type Manifest } from "../../infra/offline/evaluate";
import { NAMES, WORKER_POD_LABELS } from "../../infra/names";
import { selectorMatches } from "../../infra/policy/selectors";
import { parseCreatorConfig } from "../../services/src/game-creator/config";
import { applyPatch, deepClone } from "fast-json-patch";
import { planHttpRoutePatch, type HttpRoute } from "../../services/src/game-creator/kubernetes/httproute-patch";
import { planIngressPatch } from "../../services/src/game-creator/kubernetes/ingress-patch";
import { routeClaims, routeCollisions } from "../../infra/policy/route-claims";
import { unknownFields, validateWithModel } from "./k8s-schema";
import { byKind, containers, envOf, evaluateAllStacks, find, podLabels, spec, stackFile, WORKLOADS, type Loose } from "./stacks";

/** The creator's route object after it routes `runtimeIds` (its own planners, as in the cluster); any other object unchanged. */
function withRuntimeGames(m: Manifest, runtimeIds: string[], staticIds: string[]): Manifest {
  const ownedByCreator = (m.kind === "Ingress" && m.metadata.name === NAMES.gamesRoute) || (m.kind === "HTTPRoute" && m.metadata.name === "games-runtime");
  if (!ownedByCreator) return m;
  // As the API server serves it: with a resourceVersion, which the patch pins.
  const served = { ...deepClone(m), metadata: { ...m.metadata, resourceVersion: "1" } };
  const operations = m.kind === "Ingress" ? planIngressPatch(served as Loose, [...runtimeIds, ...staticIds]) : planHttpRoutePatch(served as HttpRoute, runtimeIds);
  const patched = applyPatch(served, deepClone(operations), true, false).newDocument as Manifest;
  validateWithModel(patched);
  return patched;
}

const podTemplates = (manifests: Manifest[]) => manifests.filter((m) => WORKLOADS.includes(m.kind)).map((m) => ({ workload: m, labels: podLabels(m) }));

describe("Pulumi stacks under mocks", function () {
  this.timeout(60_000);
  let evaluations: Evaluation[];

  before(async () => {
    evaluations = await evaluateAllStacks();
  });

  it("ships a local dev stack, staging and two production clusters, and evaluates every stack file", () => {
    for (const stack of ["dev", "staging", "prod-eu", "prod-us"]) assert.ok(listStacks().includes(stack), stack);
    assert.equal(evaluations.length, listStacks().length);
    for (const evaluation of evaluations) assert.ok(evaluation.manifests.length > 20, `${evaluation.stack}: ${evaluation.manifests.length} objects`);
  });

  it("the stacks differ in size, domain and games", () => {
    const summary = evaluations.map((e) => ({
      replicas: spec(find(e.manifests, "StatefulSet", NAMES.connectorStatefulSet)).replicas,
      games: byKind(e.manifests, "Deployment").filter((d) => d.metadata.name.startsWith("game-") && d.metadata.name !== NAMES.gameCreator).length,
      domain: JSON.stringify(stackFile(e.stack).frontDoor),
    }));
    assert.equal(new Set(summary.map((s) => s.replicas)).size, evaluations.length, JSON.stringify(summary));
    assert.equal(new Set(summary.map((s) => s.domain)).size, evaluations.length);
    assert.ok(new Set(summary.map((s) => s.games)).size >= 3, JSON.stringify(summary));
  });

  it("every Kubernetes object validates against the kubernetes-models 4.x schemas", () => {
    for (const { stack, manifests } of evaluations) {
      for (const manifest of manifests) {
        assert.doesNotThrow(() => validateWithModel(manifest), `${stack}: ${manifest.kind}/${manifest.metadata.name}`);
      }
    }
  });

  it("no object has a field its schema does not declare (container, pod and service specs included)", () => {
    const manifests = evaluations.flatMap((e) => e.manifests);
    const unknown = [...unknownFields(manifests)].filter(([, fields]) => fields.length > 0).map(([m, fields]) => `${m.kind}/${m.metadata.name}: ${fields.join(", ")}`);
    assert.deepEqual(unknown, []);
  });

  it("every object has an explicit name, and every namespaced one the stack's namespace", () => {
    for (const { stack, manifests } of evaluations) {
      const namespace = stackFile(stack).namespace;
      for (const m of manifests) {
        assert.match(m.metadata.name, /^[a-z0-9][a-z0-9.-]*$/, `${stack}: ${m.kind}`);
        // Cluster-scoped: the namespace itself and the creator's admission policy and binding (named after the namespace).
        if (["Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"].includes(m.kind)) assert.match(m.metadata.name, new RegExp(namespace), `${stack}: ${m.kind}`);
        else assert.equal(m.metadata.namespace, namespace, `${stack}: ${m.kind}/${m.metadata.name}`);
      }
    }
  });

  it("each Deployment and StatefulSet selects its own pod template, and every Service selects real pods", () => {
    for (const { stack, manifests } of evaluations) {
      const templates = podTemplates(manifests);
      for (const { workload, labels } of templates) {
        assert.ok(selectorMatches(spec(workload).selector, labels), `${stack}: ${workload.kind}/${workload.metadata.name} selector does not match its pods`);
        const others = templates.filter((t) => t.workload !== workload && selectorMatches(spec(workload).selector, t.labels));
        assert.deepEqual(others.map((t) => t.workload.metadata.name), [], `${stack}: ${workload.metadata.name}'s selector also matches other workloads' pods`);
      }
      for (const service of byKind(manifests, "Service")) {
        const selected = templates.filter((t) => selectorMatches({ matchLabels: spec(service).selector }, t.labels));
        assert.ok(selected.length > 0, `${stack}: Service/${service.metadata.name} selects no pods`);
        for (const port of spec(service).ports) {
          const target = port.targetPort ?? port.port;
          for (const { workload } of selected) {
            const declared = containers(workload).some((c: Loose) => (c.ports ?? []).some((p: Loose) => p.name === target || p.containerPort === target));
            assert.ok(declared, `${stack}: Service/${service.metadata.name} targets ${target}, which ${workload.metadata.name} does not expose`);
          }
        }
      }
    }
  });

  it("the connector StatefulSet is governed by its headless Service, with literal names", () => {
    for (const { stack, manifests } of evaluations) {
      const statefulSet = find(manifests, "StatefulSet", "connector");
      assert.equal(spec(statefulSet).serviceName, "connectors", stack);
      const headless = find(manifests, "Service", spec(statefulSet).serviceName);
      assert.equal(spec(headless).clusterIP, "None", stack);
      assert.equal(spec(headless).publishNotReadyAddresses, true, stack);
      assert.ok(selectorMatches({ matchLabels: spec(headless).selector }, podLabels(statefulSet)), stack);
      assert.equal(spec(statefulSet).replicas, stackFile(stack).connector.replicas, stack);
      for (const other of byKind(manifests, "StatefulSet")) find(manifests, "Service", spec(other).serviceName);
    }
  });

  it("each connector learns its id and address from the pod, and drains within its grace period", () => {
    for (const { stack, manifests } of evaluations) {
      const statefulSet = find(manifests, "StatefulSet", "connector");
      const [connector] = containers(statefulSet);
      const env = new Map(envOf(connector).map((e) => [e.name, e]));
      assert.equal(env.get("SERVER_ID")?.valueFrom.fieldRef.fieldPath, "metadata.name");
      assert.equal(env.get("ADVERTISE_HOST")?.valueFrom.fieldRef.fieldPath, "status.podIP");
      assert.equal(env.get("PORT")?.value, "3010");
      const frontDoor = stackFile(stack).frontDoor;
      assert.equal(env.get("TOKEN_AUDIENCE")?.value, frontDoor.mode === "loadbalancer" ? "any" : "connector", stack);
      const url = frontDoor.mode === "subdomain" ? `${frontDoor.tls ? "wss" : "ws"}://connector-{ordinal}.${frontDoor.domain}/` : `${frontDoor.tls ? "wss" : "ws"}://${frontDoor.publicHost}/`;
      assert.equal(env.get("PUBLIC_URL")?.value, url, stack);
      const drainSec = Number(env.get("DRAIN_TIMEOUT_MS")?.value) / 1000;
      const preStopSec = Number(connector.lifecycle.preStop.exec.command[1]);
      assert.ok(spec(statefulSet).template.spec.terminationGracePeriodSeconds > drainSec + preStopSec, `${stack}: grace period must exceed preStop + drain`);
    }
  });

  it("game servers publish their pod IP, serve HTTP on 8080 and drain within their grace period", () => {
    for (const { stack, manifests } of evaluations) {
      for (const game of stackFile(stack).games ?? []) {
        const deployment = find(manifests, "Deployment", `game-${game.id}`);
        const env = new Map(envOf(containers(deployment)[0]).map((e) => [e.name, e]));
        assert.equal(env.get("HOST")?.valueFrom.fieldRef.fieldPath, "status.podIP");
        assert.equal(env.get("SERVER_ID")?.valueFrom.fieldRef.fieldPath, "metadata.name");
        assert.deepEqual([env.get("PORT")?.value, env.get("HTTP_PORT")?.value, env.get("GAME_ID")?.value], ["4100", "8080", game.id]);
        const preStopSec = Number(containers(deployment)[0].lifecycle.preStop.exec.command[1]);
        assert.ok(spec(deployment).template.spec.terminationGracePeriodSeconds > Number(env.get("DRAIN_TIMEOUT_MS")?.value) / 1000 + preStopSec, stack);
      }
    }
  });

  it("every server gets REDIS_URL as its role's own ACL user, with that role's REDIS_PASSWORD Secret defined before it when Redis is in the cluster", () => {
    for (const { stack, manifests } of evaluations) {
      const external = stackFile(stack).redis.mode === "external";
      for (const workload of manifests.filter((m) => WORKLOADS.includes(m.kind) && m.metadata.name !== "redis" && m.metadata.name !== NAMES.proxy)) {
        const names = envOf(containers(workload)[0]).map((e) => e.name);
        const url = envOf(containers(workload)[0]).find((e) => e.name === "REDIS_URL");
        assert.ok(url, `${stack}: ${workload.metadata.name} has no REDIS_URL`);
        if (external) {
          assert.deepEqual(url.valueFrom.secretKeyRef, stackFile(stack).redis.urlSecret);
        } else {
          assert.ok(names.indexOf("REDIS_PASSWORD") >= 0 && names.indexOf("REDIS_PASSWORD") < names.indexOf("REDIS_URL"), `${stack}: ${workload.metadata.name} env order`);
          const role = workload.metadata.name === NAMES.gameCreator ? "creator" : workload.metadata.name.startsWith("game-") ? "game" : workload.metadata.name;
          assert.match(url.value!, new RegExp(`^redis://pomona-${role}:\\$\\(REDIS_PASSWORD\\)@redis\\.[a-z0-9-]+\\.svc\\.cluster\\.local:6379$`), `${stack}: ${workload.metadata.name}`);
          const password = envOf(containers(workload)[0]).find((e) => e.name === "REDIS_PASSWORD")!;
          assert.deepEqual(password.valueFrom.secretKeyRef, { name: `redis-auth-${role}`, key: "password" }, `${stack}: ${workload.metadata.name} reads only its role's password`);
        }
      }
    }
  });

  it("every Secret, ConfigMap and ServiceAccount a pod references is declared (or is the configured external one)", () => {
    for (const { stack, manifests } of evaluations) {
      const file = stackFile(stack);
      const external = new Set([file.redis.urlSecret?.name, file.frontDoor.tls?.secretName, file.viewer?.tlsSecretName].filter(Boolean));
      const certificates = byKind(manifests, "Certificate").map((c) => spec(c).secretName);
      const secrets = new Set([...byKind(manifests, "Secret").map((m) => m.metadata.name), ...external, ...certificates]);
      const configMaps = new Set(byKind(manifests, "ConfigMap").map((m) => m.metadata.name));
      for (const workload of manifests.filter((m) => WORKLOADS.includes(m.kind))) {
        const pod = spec(workload).template.spec;
        for (const volume of pod.volumes ?? []) {
          if (volume.secret) assert.ok(secrets.has(volume.secret.secretName), `${stack}: ${workload.metadata.name} mounts missing Secret ${volume.secret.secretName}`);
          if (volume.configMap) assert.ok(configMaps.has(volume.configMap.name), `${stack}: ${workload.metadata.name} mounts missing ConfigMap ${volume.configMap.name}`);
        }
        for (const env of pod.containers.flatMap((c: Loose) => envOf(c))) {
          const ref = env.valueFrom?.secretKeyRef;
          if (ref) assert.ok(secrets.has(ref.name), `${stack}: ${workload.metadata.name} env ${env.name} refers to missing Secret ${ref.name}`);
        }
        if (pod.serviceAccountName) find(manifests, "ServiceAccount", pod.serviceAccountName);
      }
    }
  });

  it("every Ingress and HTTPRoute backend is a declared Service with that port", () => {
    for (const { stack, manifests } of evaluations) {
      const backends: Array<{ service: string; port: string | number }> = [];
      for (const ingress of byKind(manifests, "Ingress")) {
        for (const rule of spec(ingress).rules) {
          for (const p of rule.http?.paths ?? []) backends.push({ service: p.backend.service.name, port: p.backend.service.port.name ?? p.backend.service.port.number });
        }
      }
      for (const route of byKind(manifests, "HTTPRoute")) {
        for (const rule of spec(route).rules) for (const ref of rule.backendRefs) backends.push({ service: ref.name, port: ref.port });
      }
      const games = stackFile(stack).games ?? [];
      assert.equal(backends.length, games.length, `${stack}: one viewer route per static game`);
      for (const backend of backends) {
        const service = find(manifests, "Service", backend.service);
        assert.ok(spec(service).ports.some((p: Loose) => p.name === backend.port || p.port === backend.port), `${stack}: ${backend.service} has no port ${backend.port}`);
      }
    }
  });

  it("the viewer Ingress has one /game-<id> path per game and sets its WebSocket timeouts above 2 × heartbeat", () => {
    for (const { stack, manifests } of evaluations) {
      const file = stackFile(stack);
      if (file.viewer?.kind !== "ingress") continue;
      const ingress = find(manifests, "Ingress", "games");
      const paths = spec(ingress).rules[0].http.paths.map((p: Loose) => p.path);
      assert.deepEqual(paths, file.games.map((g: Loose) => `/game-${g.id}`));
      assert.equal(spec(ingress).ingressClassName, file.viewer.className);
      const heartbeat = file.heartbeatSec ?? 10;
      for (const key of file.viewer.timeoutAnnotations ?? []) assert.ok(Number(ingress.metadata.annotations![key]) > 2 * heartbeat, `${stack}: ${key}`);
    }
  });

  it("no two Ingresses or HTTPRoutes claim the same host and path, before and after the creator adds runtime games its own way", () => {
    for (const { stack, manifests } of evaluations) {
      const file = stackFile(stack);
      assert.deepEqual(routeCollisions(manifests), [], `${stack}: as declared`);
      const viewerHost = file.viewer?.kind === "ingress" ? file.viewer.host : file.viewer?.hostnames[0];
      const staticIds: string[] = (file.games ?? []).map((g: Loose) => g.id);
      const runtimeIds = file.gameCreator?.enabled ? ["duel", "rt-2", "rt-3"] : [];
      const withRuntime = file.gameCreator?.enabled ? manifests.map((m) => withRuntimeGames(m, runtimeIds, staticIds)) : manifests;
      assert.deepEqual(routeCollisions(withRuntime), [], `${stack}: with runtime games`);
      const claims = routeClaims(withRuntime).filter((c) => c.host === viewerHost);
      // Every game, static or runtime, answers on the viewer host exactly once.
      assert.deepEqual(claims.map((c) => c.path).sort(), [...staticIds, ...runtimeIds].map((id) => `/game-${id}`).sort(), stack);
      if (file.viewer?.kind === "ingress") assert.equal(new Set(claims.map((c) => c.owner)).size, 1, `${stack}: one Ingress holds every game path of the host`);
    }
  });

  it("prod-eu serves static and runtime /game-<id> on one host from the one Ingress F5 NGINX routes it by", () => {
    const { manifests } = evaluations.find((e) => e.stack === "prod-eu")!;
    const ingresses = byKind(manifests, "Ingress");
    assert.deepEqual(ingresses.map((i) => i.metadata.name), ["games"]);
    const creatorEnv = new Map(envOf(containers(find(manifests, "Deployment", NAMES.gameCreator))[0]).map((e) => [e.name, e.value]));
    assert.equal(creatorEnv.get("INGRESS_NAME"), "games", "the creator patches the host's one Ingress");
    assert.equal(creatorEnv.get("STATIC_GAME_IDS"), "arena-eu-1,arena-eu-2,arena-eu-3,arena-eu-4,arena-eu-5,arena-eu-6", "and keeps the stack's paths in it");
    const [rule] = spec(withRuntimeGames(ingresses[0]!, ["duel"], creatorEnv.get("STATIC_GAME_IDS")!.split(","))).rules;
    assert.equal(rule.host, "games.eu.play.example.com");
    assert.deepEqual(rule.http.paths.map((p: Loose) => p.path), ["/game-arena-eu-1", "/game-arena-eu-2", "/game-arena-eu-3", "/game-arena-eu-4", "/game-arena-eu-5", "/game-arena-eu-6", "/game-duel"]);
  });

  it("the nginx map has exactly one entry per connector replica, each to that pod's DNS name", () => {
    for (const { stack, manifests } of evaluations) {
      const file = stackFile(stack);
      if (file.frontDoor.mode !== "subdomain") {
        assert.equal(byKind(manifests, "ConfigMap").filter((c) => c.metadata.name === NAMES.proxyConfig).length, 0, stack);
        continue;
      }
      const conf = (find(manifests, "ConfigMap", NAMES.proxyConfig) as Loose).data["nginx.conf"] as string;
      const block = /map \$host \$pomona_connector \{\n([\s\S]*?)\n {4}\}/.exec(conf)?.[1];
      assert.ok(block, `${stack}: no Host map`);
      const entries = block.split("\n").map((line) => line.trim().replace(/;$/, "").split(/\s+/)).filter(([key]) => key !== "default");
      const replicas = file.connector.replicas;
      assert.equal(entries.length, replicas, stack);
      entries.forEach(([host, target], i) => {
        assert.equal(host, `connector-${i}.${file.frontDoor.domain}`);
        assert.equal(target, `connector-${i}.connectors.${file.namespace}.svc.cluster.local:3010`);
      });
    }
  });

  it("every NetworkPolicy selects real pods (workers: the labels the game-creator gives them)", () => {
    for (const { stack, manifests } of evaluations) {
      const templates = podTemplates(manifests);
      for (const policy of byKind(manifests, "NetworkPolicy")) {
        const selector = spec(policy).podSelector;
        const matches = templates.filter((t) => selectorMatches(selector, t.labels));
        if (policy.metadata.name === "workers") {
          assert.ok(selectorMatches(selector, WORKER_POD_LABELS), stack);
          assert.deepEqual(matches, [], `${stack}: the worker policy must not select a declared tier`);
        } else {
          assert.ok(matches.length > 0, `${stack}: NetworkPolicy/${policy.metadata.name} selects no pods`);
        }
      }
    }
  });

  it("Redis is reachable only from Pomona's servers and never through a public Service", () => {
    for (const { stack, manifests } of evaluations) {
      if (stackFile(stack).redis.mode === "external") {
        assert.equal(manifests.filter((m) => m.metadata.name === "redis").length, 0, stack);
        continue;
      }
      const policy = find(manifests, "NetworkPolicy", "redis");
      const [rule] = spec(policy).ingress;
      assert.deepEqual(rule.ports, [{ protocol: "TCP", port: 6379 }]);
      assert.deepEqual(rule.from[0].podSelector.matchExpressions[0].values.sort(), ["connector", "game", "game-creator", "gate"]);
      assert.deepEqual(spec(policy).egress, []);
      assert.equal(spec(find(manifests, "Service", "redis")).type, "ClusterIP");
    }
  });

  it("the game-creator's Role grants exactly the namespaced verbs issue 6 needs, nothing cluster-wide", () => {
    for (const { stack, manifests } of evaluations) {
      assert.equal(byKind(manifests, "ClusterRole").length + byKind(manifests, "ClusterRoleBinding").length, 0);
      if (!stackFile(stack).gameCreator?.enabled) continue;
      const rules = (find(manifests, "Role", NAMES.gameCreator) as Loose).rules;
      const creator = find(manifests, "Deployment", NAMES.gameCreator);
      const env = new Map(envOf(containers(creator)[0]).map((e) => [e.name, e]));
      const gateway = stackFile(stack).viewer.kind === "gateway";
      const route = gateway ? find(manifests, "HTTPRoute", env.get("HTTPROUTE_NAME")!.value!) : find(manifests, "Ingress", env.get("INGRESS_NAME")!.value!);
      assert.deepEqual(
        rules.map((r: Loose) => `${r.apiGroups[0]}/${r.resources[0]}${r.resourceNames ? `/${r.resourceNames.join("+")}` : ""}: ${[...r.verbs].sort().join(",")}`),
        [
          "apps/deployments: create,delete,get,list,patch,watch",
          "/services: create,delete,get,list",
          gateway ? `gateway.networking.k8s.io/httproutes/${route.metadata.name}: get,patch` : `networking.k8s.io/ingresses/${route.metadata.name}: get,patch`,
          "/pods: create,delete,get,list,watch",
        ],
      );
      const binding = find(manifests, "RoleBinding", NAMES.gameCreator) as Loose;
      assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: NAMES.gameCreator, namespace: stackFile(stack).namespace }]);
      assert.match(env.get("GAME_IMAGE")!.value!, /@sha256:[0-9a-f]{64}$/);
      // The games it creates get the static games' own env (the game role's Secret references), never a password in plain text.
      const gameEnv = JSON.parse(env.get("GAME_ENV")!.value!) as Array<{ name: string; value?: string; valueFrom?: Loose }>;
      const staticGame = manifests.find((m) => m.kind === "Deployment" && m.metadata.name.startsWith("game-") && m.metadata.name !== NAMES.gameCreator);
      if (staticGame !== undefined) {
        const serverEnvOfGame = envOf(containers(staticGame)[0]).filter((e) => gameEnv.some((g) => g.name === e.name));
        assert.deepEqual(gameEnv, serverEnvOfGame, `${stack}: GAME_ENV is the game servers' env, in order`);
      }
      if (stackFile(stack).redis.mode !== "external") assert.equal(gameEnv.find((e) => e.name === "REDIS_PASSWORD")?.valueFrom.secretKeyRef.name, "redis-auth-game", `${stack}: games get the game role's password`);
      assert.ok(gameEnv.some((e) => e.name === "REDIS_URL"));
      for (const entry of gameEnv) assert.doesNotMatch(entry.value ?? "", /redis:\/\/:[^$]/, `${stack}: no password in ${entry.name}`);
      const creatorEnv = Object.fromEntries(envOf(containers(creator)[0]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
      assert.equal(parseCreatorConfig({ ...creatorEnv, BACKEND: "kubernetes", REDIS_URL: "redis://x:6379", CREATOR_TOKEN: "t".repeat(32), POD_NAMESPACE: "pomona" }).GAME_ENV?.length, gameEnv.length, "the creator accepts its env");
      for (const other of manifests.filter((m) => WORKLOADS.includes(m.kind) && m !== creator)) {
        assert.equal(spec(other).template.spec.automountServiceAccountToken, false, `${stack}: ${other.metadata.name} must not get API credentials`);
      }
    }
  });

  it("every server runs the one services image by digest (the game-creator its own, with the Kubernetes client), with an entry point the image contains", () => {
    for (const { stack, manifests } of evaluations) {
      for (const workload of manifests.filter((m) => WORKLOADS.includes(m.kind) && !["redis", NAMES.proxy].includes(m.metadata.name))) {
        const [container] = containers(workload);
        const repository = workload.metadata.name === NAMES.gameCreator ? "pomona-services-game-creator" : "pomona-services";
        assert.match(container.image, new RegExp(`^[a-z0-9.:/-]+/${repository}(:[A-Za-z0-9_.-]+)?@sha256:[0-9a-f]{64}$`), `${stack}: ${workload.metadata.name}`);
        assert.equal(container.command[0], "node");
        assert.match(container.command.at(-1), /^services\/dist\/(src\/roles\/connector-main|src\/gate\/gate-main|src\/roles\/game-creator-main|games\/arena\/main)\.js$/);
      }
    }
  });

  // Speed is a benchmark's business, not a test's: the figures are printed, the render must succeed.
  it("the largest stack renders in a fresh process and evaluates warm; both times are reported", async function () {
    const largest = [...evaluations].sort((a, b) => b.manifests.length - a.manifests.length)[0]!;
    const fresh = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts", "render.ts"), largest.stack], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(fresh.status, 0, fresh.stderr);
    const coldMs = Number(/evaluated under mocks in (\d+) ms/.exec(fresh.stderr)?.[1]);
    const { evaluateStack } = await import("../../infra/offline/evaluate");
    const warm = await evaluateStack({ stack: largest.stack });
    console.log(`      ${largest.stack}: ${warm.manifests.length} objects; evaluation under mocks ${coldMs} ms in a fresh process (module loading included), ${warm.evaluationMs.toFixed(0)} ms warm; ${fresh.stdout.length} bytes of YAML`);
    assert.ok(Number.isFinite(coldMs), "the render reports its evaluation time");
    assert.equal(warm.manifests.length, largest.manifests.length, "a second evaluation yields the same objects");
  });
});
