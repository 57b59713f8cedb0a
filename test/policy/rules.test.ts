/**
 * The hardening policy rules, as the policy pack runs them: every rule passes on every shipped
 * stack, and every rule fires on a deliberately broken copy of a real manifest.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import type { Evaluation, Manifest } from "../../infra/offline/evaluate";
import { REPO_ROOT } from "../../infra/offline/evaluate";
import {
  checkAll,
  creatorAdmission,
  dropAllCapabilities,
  egressNoMetadata,
  egressPerWorkload,
  networkPolicyCoverage,
  noPrivilegeEscalation,
  nonRoot,
  pdbPerWorkload,
  pinnedImages,
  probes,
  quotaPerNamespace,
  readOnlyRootFilesystem,
  redisAclUser,
  redisClusterIpOnly,
  requestsAndLimits,
  RESOURCE_RULES,
  routeNoCollision,
  seccompRuntimeDefault,
  secretsByReference,
  STACK_RULES,
  trustUidDevelopmentOnly,
  type ResourceRule,
} from "../../infra/policy/rules";
import { envOf, evaluateAllStacks, find, spec, type Loose } from "../infra/stacks";

describe("hardening policy rules", function () {
  this.timeout(60_000);
  let stacks: Evaluation[];
  let dev: Manifest[];

  before(async () => {
    stacks = await evaluateAllStacks();
    dev = stacks.find((s) => s.stack === "dev")!.manifests;
  });

  /** A copy of a dev manifest with one thing broken. */
  function broken(kind: string, name: string, breakIt: (m: Loose) => void): Manifest {
    const copy = structuredClone(find(dev, kind, name)) as Loose;
    breakIt(copy);
    return copy;
  }
  const container = (m: Loose) => m.spec.template.spec.containers[0];
  const envVar = (m: Loose, name: string) => container(m).env.find((e: Loose) => e.name === name);
  const withoutRule = (kind: string, name: string) => dev.filter((m) => !(m.kind === kind && m.metadata.name === name));

  it("every rule passes on every shipped stack", () => {
    for (const { stack, manifests } of stacks) assert.deepEqual(checkAll(manifests), [], stack);
  });

  const resourceCases: Array<[ResourceRule, string, string, string, (m: Loose) => void, RegExp]> = [
    [nonRoot, "Deployment", "gate", "no runAsNonRoot anywhere", (m) => { delete m.spec.template.spec.securityContext.runAsNonRoot; delete container(m).securityContext.runAsNonRoot; }, /runAsNonRoot/],
    [nonRoot, "StatefulSet", "connector", "runAsUser 0", (m) => (container(m).securityContext.runAsUser = 0), /non-zero runAsUser/],
    [readOnlyRootFilesystem, "Deployment", "subdomain-proxy", "a writable root filesystem", (m) => (container(m).securityContext.readOnlyRootFilesystem = false), /readOnlyRootFilesystem/],
    [noPrivilegeEscalation, "StatefulSet", "redis", "allowPrivilegeEscalation: true", (m) => (container(m).securityContext.allowPrivilegeEscalation = true), /allowPrivilegeEscalation/],
    [noPrivilegeEscalation, "Deployment", "gate", "privileged: true", (m) => (container(m).securityContext.privileged = true), /privileged/],
    [dropAllCapabilities, "Deployment", "game-arena-1", "capabilities not dropping ALL", (m) => (container(m).securityContext.capabilities = { drop: ["NET_RAW"] }), /drop \["ALL"\]/],
    [dropAllCapabilities, "Deployment", "game-arena-1", "a capability added back", (m) => (container(m).securityContext.capabilities.add = ["NET_BIND_SERVICE"]), /add none/],
    [seccompRuntimeDefault, "Deployment", "game-creator", "no seccomp profile", (m) => { delete m.spec.template.spec.securityContext.seccompProfile; delete container(m).securityContext.seccompProfile; }, /seccompProfile/],
    [requestsAndLimits, "StatefulSet", "connector", "no limits", (m) => delete container(m).resources.limits, /requests and resources.limits/],
    [requestsAndLimits, "Deployment", "gate", "no memory request", (m) => delete container(m).resources.requests.memory, /cpu and memory/],
    [probes, "StatefulSet", "connector", "liveness on /readyz", (m) => (container(m).livenessProbe.httpGet.path = "/readyz"), /livenessProbe path is \/readyz; it must be \/healthz/],
    [probes, "Deployment", "gate", "an exec liveness probe calling Redis", (m) => (container(m).livenessProbe = { exec: { command: ["redis-cli", "ping"] } }), /must not run a command/],
    [probes, "Deployment", "game-arena-1", "no readiness probe", (m) => delete container(m).readinessProbe, /no readinessProbe/],
    [probes, "StatefulSet", "redis", "no liveness probe", (m) => delete container(m).livenessProbe, /no livenessProbe/],
    [pinnedImages, "StatefulSet", "redis", "the latest tag", (m) => (container(m).image = "redis:latest"), /pinned/],
    [pinnedImages, "Deployment", "subdomain-proxy", "an untagged image", (m) => (container(m).image = "nginxinc/nginx-unprivileged"), /pinned/],
    [pinnedImages, "StatefulSet", "redis", "an explicit tag without a digest", (m) => (container(m).image = "redis:7.4"), /pinned/],
    [redisClusterIpOnly, "Service", "redis", "type LoadBalancer", (m) => (m.spec.type = "LoadBalancer"), /must be type ClusterIP .*LoadBalancer/],
    [redisClusterIpOnly, "Service", "redis", "an external IP", (m) => (m.spec.externalIPs = ["203.0.113.7"]), /without externalIPs/],
    [secretsByReference, "Deployment", "gate", "TOKEN_SECRETS as a plain value", (m) => (envOf(container(m)).find((v) => v.name === "TOKEN_SECRETS")!.valueFrom = undefined, (envOf(container(m)).find((v) => v.name === "TOKEN_SECRETS")!.value = "0123456789abcdef0123456789abcdef")), /TOKEN_SECRETS must come from valueFrom\.secretKeyRef/],
    [secretsByReference, "Deployment", "gate", "AUTH_WEBHOOK_SECRET inline", (m) => container(m).env.push({ name: "AUTH_WEBHOOK_SECRET", value: "studio-secret-in-plain-text-0123456789" }), /AUTH_WEBHOOK_SECRET must come from valueFrom\.secretKeyRef/],
    [egressNoMetadata, "NetworkPolicy", "game-creator", "an API-server block without the metadata exception", (m) => delete m.spec.egress.find((rule: Loose) => rule.to[0].ipBlock).to[0].ipBlock.except, /includes the metadata address 169\.254\.169\.254/],
    [egressNoMetadata, "NetworkPolicy", "gate", "an egress rule to anywhere", (m) => m.spec.egress.push({ ports: [{ port: 443, protocol: "TCP" }] }), /allows every destination/],
    [redisAclUser, "Deployment", "gate", "the default user's URL", (m) => (envVar(m, "REDIS_URL").value = "redis://:$(REDIS_PASSWORD)@redis.pomona-dev.svc.cluster.local:6379"), /role's ACL user/],
    [redisAclUser, "StatefulSet", "connector", "the operators' password Secret", (m) => (envVar(m, "REDIS_PASSWORD").valueFrom.secretKeyRef.name = "redis-auth"), /role's ACL user/],
  ];

  for (const [rule, kind, name, change, breakIt, message] of resourceCases) {
    it(`${rule.name} fires on ${kind}/${name} given ${change}`, () => {
      assert.deepEqual(rule.check(find(dev, kind, name)), [], "passes before the change");
      const messages = rule.check(broken(kind, name, breakIt));
      assert.equal(messages.length, 1, messages.join("\n"));
      assert.match(messages[0]!, new RegExp(`${kind}/pomona-dev/${name}`));
      assert.match(messages[0]!, message);
    });
  }

  it("pomona-pinned-images leaves an image that is unknown during a preview (built by the same update) to the update", () => {
    assert.deepEqual(pinnedImages.check(broken("Deployment", "gate", (m) => delete container(m).image)), []);
  });

  it("every resource rule has a failing fixture above", () => {
    assert.deepEqual(RESOURCE_RULES.filter((rule) => !resourceCases.some(([r]) => r === rule)).map((r) => r.name), []);
  });

  it("pomona-pdb-per-workload fires when a workload has no PodDisruptionBudget", () => {
    const violations = pdbPerWorkload.check(withoutRule("PodDisruptionBudget", "connector"));
    assert.deepEqual(violations.map((v) => v.resource), ["StatefulSet/pomona-dev/connector"]);
    const mismatched = dev.map((m) => (m.kind === "PodDisruptionBudget" && m.metadata.name === "gate" ? broken("PodDisruptionBudget", "gate", (p) => (p.spec.selector.matchLabels["app.kubernetes.io/component"] = "gates")) : m));
    assert.deepEqual(pdbPerWorkload.check(mismatched).map((v) => v.resource), ["Deployment/pomona-dev/gate"]);
  });

  it("pomona-network-policy-coverage fires without a default deny, and for a workload no policy selects", () => {
    assert.deepEqual(networkPolicyCoverage.check(withoutRule("NetworkPolicy", "default-deny")).map((v) => v.resource), ["Namespace/pomona-dev"]);
    assert.deepEqual(networkPolicyCoverage.check(withoutRule("NetworkPolicy", "gate")).map((v) => v.resource), ["Deployment/pomona-dev/gate"]);
    const games = spec(find(dev, "NetworkPolicy", "games"));
    assert.ok(games.podSelector.matchLabels["app.kubernetes.io/component"] === "game");
    assert.deepEqual(networkPolicyCoverage.check(withoutRule("NetworkPolicy", "games")).map((v) => v.resource), ["Deployment/pomona-dev/game-arena-1"]);
  });

  it("pomona-trust-uid-development-only fires for a trust-uid gate outside a development namespace, and for a production gate switched to trust-uid", () => {
    assert.equal(envOf(container(find(dev, "Deployment", "gate"))).find((v) => v.name === "AUTH_MODE")?.value, "trust-uid", "the dev stack trusts uids");
    assert.deepEqual(trustUidDevelopmentOnly.check(dev), [], "…in a namespace marked development");
    const unmarked = dev.map((m) => (m.kind === "Namespace" ? broken("Namespace", "pomona-dev", (n) => (n.metadata.labels["pomona.dev/environment"] = "production")) : m));
    const violations = trustUidDevelopmentOnly.check(unmarked);
    assert.deepEqual(violations.map((v) => v.resource), ["Deployment/pomona-dev/gate"]);
    assert.match(violations[0]!.message, /AUTH_MODE=trust-uid lets any client log in as any player; its Namespace is not labelled pomona\.dev\/environment=development/);
    const withoutNamespace = dev.filter((m) => m.kind !== "Namespace");
    assert.equal(trustUidDevelopmentOnly.check(withoutNamespace).length, 1, "no Namespace in the stack: no marker, refused");
    const prod = stacks.find((s) => s.stack === "prod-eu")!.manifests;
    assert.deepEqual(trustUidDevelopmentOnly.check(prod), []);
    const switched = prod.map((m) => {
      if (!(m.kind === "Deployment" && m.metadata.name === "gate")) return m;
      const copy = structuredClone(m) as Loose;
      envOf(container(copy)).find((v) => v.name === "AUTH_MODE")!.value = "trust-uid";
      return copy;
    });
    assert.deepEqual(trustUidDevelopmentOnly.check(switched).map((v) => v.resource), ["Deployment/pomona/gate"]);
  });

  it("pomona-egress-per-workload fires without a default deny of egress, and for a workload no egress policy selects", () => {
    assert.deepEqual(egressPerWorkload.check(withoutRule("NetworkPolicy", "default-deny")).map((v) => v.resource), ["Namespace/pomona-dev"]);
    assert.deepEqual(egressPerWorkload.check(withoutRule("NetworkPolicy", "gate")).map((v) => v.resource), ["Deployment/pomona-dev/gate"]);
    const ingressOnly = dev.map((m) => (m.kind === "NetworkPolicy" && m.metadata.name === "connector" ? broken("NetworkPolicy", "connector", (p) => (p.spec.policyTypes = ["Ingress"])) : m));
    assert.deepEqual(egressPerWorkload.check(ingressOnly).map((v) => v.resource), ["StatefulSet/pomona-dev/connector"]);
  });

  it("pomona-quota-per-namespace fires without the ResourceQuota, without the LimitRange, and for a quota that bounds no pods", () => {
    assert.match(quotaPerNamespace.check(withoutRule("ResourceQuota", "pomona")).map((v) => v.message).join(), /no ResourceQuota/);
    assert.match(quotaPerNamespace.check(withoutRule("LimitRange", "pomona")).map((v) => v.message).join(), /no LimitRange/);
    const unbounded = dev.map((m) => (m.kind === "ResourceQuota" ? broken("ResourceQuota", "pomona", (q) => delete q.spec.hard.pods) : m));
    assert.equal(quotaPerNamespace.check(unbounded).length, 1);
  });

  it("pomona-creator-admission fires without the binding, with a policy that fails open, and with one matched to another account", () => {
    const name = "pomona-game-creator-pomona-dev";
    assert.deepEqual(creatorAdmission.check(withoutRule("ValidatingAdmissionPolicyBinding", name)).map((v) => v.resource), ["RoleBinding/pomona-dev/game-creator"]);
    const swap = (change: (p: Loose) => void) => dev.map((m) => (m.kind === "ValidatingAdmissionPolicy" ? broken("ValidatingAdmissionPolicy", name, change) : m));
    assert.equal(creatorAdmission.check(swap((p) => (p.spec.failurePolicy = "Ignore"))).length, 1);
    assert.equal(creatorAdmission.check(swap((p) => (p.spec.matchConditions[0].expression = "request.userInfo.username == 'system:serviceaccount:pomona-dev:someone-else'"))).length, 1);
    const auditOnly = dev.map((m) => (m.kind === "ValidatingAdmissionPolicyBinding" ? broken("ValidatingAdmissionPolicyBinding", name, (b) => (b.spec.validationActions = ["Audit"])) : m));
    assert.equal(creatorAdmission.check(auditOnly).length, 1);
  });

  it("pomona-route-no-collision fires for prod-eu's former second Ingress on the viewer host, and for a runtime rule shadowing a static game's path", () => {
    const eu = stacks.find((s) => s.stack === "prod-eu")!.manifests;
    assert.deepEqual(routeNoCollision.check(eu), []);
    // The layout of issue 14: static paths in `games`, runtime ones in `games-runtime`, one host, class nginx (F5 NGINX).
    const runtime = structuredClone(find(eu, "Ingress", "games")) as Loose;
    runtime.metadata.name = "games-runtime";
    runtime.spec.rules[0].http.paths = [{ path: "/game-duel", pathType: "Prefix", backend: { service: { name: "game-duel", port: { name: "http" } } } }];
    const twoIngresses = routeNoCollision.check([...eu, runtime]);
    assert.deepEqual(twoIngresses.map((v) => v.resource), ["Ingress/pomona/games-runtime"]);
    assert.match(twoIngresses[0]!.message, /host games\.eu\.play\.example\.com is declared by 2 Ingresses of class nginx .*F5 NGINX serves it from the oldest alone/);
    const mergeable = [find(eu, "Ingress", "games"), runtime].map((m) => ({ ...structuredClone(m), metadata: { ...m.metadata, annotations: { ...m.metadata.annotations, "nginx.org/mergeable-ingress-type": "minion" } } }));
    assert.deepEqual(routeNoCollision.check([...eu.filter((m) => m.kind !== "Ingress"), ...mergeable]), [], "F5's mergeable form is one host on purpose");

    const us = stacks.find((s) => s.stack === "prod-us")!.manifests;
    assert.deepEqual(routeNoCollision.check(us), []);
    const shadowing = us.map((m) => {
      if (!(m.kind === "HTTPRoute" && m.metadata.name === "games-runtime")) return m;
      const copy = structuredClone(m) as Loose;
      copy.spec.rules = [{ matches: [{ path: { type: "PathPrefix", value: "/game-arena-us-1" } }], backendRefs: [{ name: "game-arena-us-1", port: 8080 }] }];
      return copy;
    });
    const violations = routeNoCollision.check(shadowing);
    assert.deepEqual(violations.map((v) => v.resource), ["HTTPRoute/pomona/games-runtime"]);
    assert.match(violations[0]!.message, /games\.us\.play\.example\.com\/game-arena-us-1 is claimed 2 times \(HTTPRoute\/pomona\/games-0, HTTPRoute\/pomona\/games-runtime\)/);
  });

  it("every stack rule has a failing fixture above", () => {
    assert.deepEqual(STACK_RULES.map((r) => r.name).sort(), [networkPolicyCoverage.name, pdbPerWorkload.name, trustUidDevelopmentOnly.name, egressPerWorkload.name, quotaPerNamespace.name, creatorAdmission.name, routeNoCollision.name].sort());
  });

  it("the policy pack loads and serves its policies to the Pulumi engine (prints its gRPC port)", async () => {
    const pack = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "infra", "policy", "index.ts")], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        pack.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const line = /^(\d+)\s*$/m.exec(out);
          if (line) resolve(line[1]!);
        });
        pack.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
        pack.once("exit", (code) => reject(new Error(`policy pack exited ${code}: ${err}`)));
        setTimeout(() => reject(new Error(`no port within 30 s: ${out}${err}`)), 30_000);
      });
      assert.ok(Number(port) > 0);
    } finally {
      pack.kill("SIGKILL");
    }
  });
});
