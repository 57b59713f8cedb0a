/**
 * The stack file's schema key by key, on the pure parser alone (no Pulumi, no stack file): every
 * refused value yields exactly one line naming its `pomona:` key, the reason and the fix; the edge
 * values are accepted; an omitted key gets the default docs/config.md states. Fast on purpose: it is
 * what `npm run mutate -- config-validation` runs per mutant. test/infra/config.test.ts covers the
 * shipped dev stack and the program.
 */
import assert from "node:assert/strict";
import { parseStackConfig, THIRD_PARTY_IMAGES } from "../../infra/config-schema";
import { ConfigError } from "../../services/src/config/validate";

type Raw = Record<string, any>;

const STACK = "edge";
const DIGEST = "0123456789abcdef".repeat(4);
const SECRET = "s".repeat(32);

/** The fewest keys a stack needs; every other key takes its default. */
function minimalStack(): Raw {
  return {
    auth: { mode: "anonymous" },
    frontDoor: { mode: "subdomain", domain: "play.example.com" },
    connector: { replicas: 2 },
    redis: { mode: "in-cluster" },
    images: { registry: "ghcr.io/studio" },
  };
}

const INGRESS_VIEWER = { kind: "ingress", className: "traefik", host: "games.play.example.com", controllerNamespaces: ["traefik"] };
const GATEWAY_VIEWER = { kind: "gateway", parentRefs: [{ name: "public" }], hostnames: ["games.play.example.com"], controllerNamespaces: ["gateway"] };

/** `stack` with `value` at the dotted `key` (a number indexes an array), intermediate objects created. */
function withValue(stack: Raw, key: string, value: unknown): Raw {
  const copy = structuredClone(stack);
  const parts = key.split(".");
  let node = copy;
  parts.slice(0, -1).forEach((part, index) => (node = node[part] ??= /^\d+$/.test(parts[index + 1]!) ? [] : {}));
  node[parts.at(-1)!] = value;
  return copy;
}

/** The ConfigError's lines for `raw`, or none when it is accepted. */
function issuesOf(raw: Raw, stack = STACK): readonly string[] {
  try {
    parseStackConfig(stack, raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

/** The one line a refused plain key must produce: the key, the reason, the fix for its top-level key. */
function line(key: string, reason: string): string {
  const top = key.split(".")[0]!;
  return `pomona:${key}: ${reason} — fix: set pomona:${top} in stacks/Pulumi.${STACK}.yaml as described in docs/config.md#${top.toLowerCase()}`;
}

function assertAccepted(raw: Raw, what: string): void {
  assert.deepEqual(issuesOf(raw), [], what);
}

interface Refusal {
  readonly key: string;
  readonly value: unknown;
  readonly reason: string;
  /** Keys the case needs besides the minimal stack (the section the key lives in). */
  readonly base?: Raw;
}

const LABEL = 'a-z, 0-9 and "-", at most 63 characters';
const dnsLabelReason = (what: string) => `must be a lowercase DNS-1123 label (${what}): ${LABEL}`;
const dnsNameReason = (what: string, example: string) =>
  `must be a lowercase DNS name (${what}) such as "${example}": a-z, 0-9, "-" and dots, no wildcard, no scheme, no trailing dot, at most 230 characters`;
const QUANTITY_REASON = 'must be a Kubernetes quantity such as "250m", "1", "256Mi" or "2Gi"';
const CIDR_REASON = 'must be an IPv4 CIDR such as "10.0.0.1/32" or "0.0.0.0/0"';
const ANNOTATION_REASON = "annotation keys look like prefix.example.com/name";
const PINNED_REF_REASON = "must be pinned by digest: <registry>/<repo>@sha256:<64 hex>";
const pinnedThirdParty = (image: string) =>
  `must be pinned by digest, such as "${image}": append @sha256:<digest of the multi-platform index> (\`docker buildx imagetools inspect <image>\` prints it as "Digest")`;
const ORIGIN_REASON = 'must be an exact origin such as "https://play.example.com" (scheme, host, optional port; no path)';

/** A label of `n` characters, and a DNS name of `n` characters made of 63-character labels. */
const labelOf = (n: number) => "a".repeat(n);
function nameOf(n: number): string {
  const labels: string[] = [];
  let left = n;
  while (left > 0) {
    const size = Math.min(63, left);
    labels.push("b".repeat(size));
    left -= size + 1;
  }
  return labels.join(".");
}

const INGRESS = { games: [{ id: "arena-1", type: "arena", replicas: 1 }], viewer: INGRESS_VIEWER };
const EXTERNAL_REDIS = { redis: { mode: "external", urlSecret: { name: "redis-url", key: "url" } } };
const CERT_MANAGER = { frontDoor: { mode: "subdomain", domain: "play.example.com", tls: { certManager: { issuer: "letsencrypt" } } } };
const LOAD_BALANCER = { frontDoor: { mode: "loadbalancer", publicHost: "ws.play.example.com" } };

describe("stack config schema: every refused value names its key, the reason and the fix", () => {
  const refusals: Refusal[] = [
    // DNS-1123 labels: no leading or trailing "-", no uppercase, at most 63 characters.
    { key: "namespace", value: "-pomona", reason: dnsLabelReason("the namespace") },
    { key: "namespace", value: "pomona-", reason: dnsLabelReason("the namespace") },
    { key: "namespace", value: "Pomona", reason: dnsLabelReason("the namespace") },
    { key: "namespace", value: labelOf(64), reason: dnsLabelReason("the namespace") },
    { key: "frontDoor.tls.secretName", value: "Wildcard", reason: dnsLabelReason("the TLS Secret") },
    { key: "frontDoor.tls.certManager.issuer", value: "Issuer", reason: dnsLabelReason("the issuer") },
    { key: "redis.urlSecret.name", value: "Redis", reason: dnsLabelReason("the Secret"), base: EXTERNAL_REDIS },
    { key: "viewer.className", value: "Traefik", reason: dnsLabelReason("the IngressClass"), base: INGRESS },
    { key: "viewer.tlsSecretName", value: "Tls", reason: dnsLabelReason("the TLS Secret"), base: INGRESS },
    { key: "viewer.controllerNamespaces.0", value: "Ns", reason: dnsLabelReason("a namespace"), base: INGRESS },
    { key: "viewer.parentRefs.0.name", value: "Gw", reason: dnsLabelReason("the Gateway"), base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    { key: "viewer.parentRefs.0.namespace", value: "Ns", reason: dnsLabelReason("a namespace"), base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    { key: "viewer.parentRefs.0.sectionName", value: "Https", reason: dnsLabelReason("a listener"), base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    { key: "viewer.controllerNamespaces.0", value: "Ns", reason: dnsLabelReason("a namespace"), base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    { key: "images.repository", value: "Services", reason: dnsLabelReason("the image repository") },
    { key: "images.pullSecret", value: "Pull", reason: dnsLabelReason("the pull Secret") },
    { key: "gameCreator.apiClientNamespaces.0", value: "Ops", reason: dnsLabelReason("a namespace") },
    { key: "dns.namespace", value: "Kube-system", reason: dnsLabelReason("the DNS namespace") },
    { key: "metrics.scrapeNamespaces.0", value: "Monitoring", reason: dnsLabelReason("a namespace") },
    // DNS names: no leading "-", no trailing dot, no uppercase, labels of at most 63, 230 in all.
    { key: "frontDoor.domain", value: "-play.example.com", reason: dnsNameReason("the wildcard domain", "play.example.com") },
    { key: "frontDoor.domain", value: "play.example.com.", reason: dnsNameReason("the wildcard domain", "play.example.com") },
    { key: "frontDoor.domain", value: "play.-example.com", reason: dnsNameReason("the wildcard domain", "play.example.com") },
    { key: "frontDoor.domain", value: `play.${labelOf(64)}.com`, reason: dnsNameReason("the wildcard domain", "play.example.com") },
    { key: "frontDoor.domain", value: `${labelOf(64)}.com`, reason: dnsNameReason("the wildcard domain", "play.example.com") },
    { key: "frontDoor.domain", value: nameOf(231), reason: dnsNameReason("the wildcard domain", "play.example.com") },
    { key: "frontDoor.domain", value: "", reason: dnsNameReason("the wildcard domain", "play.example.com") },
    { key: "frontDoor.publicHost", value: "WS.example.com", reason: dnsNameReason("the load balancer's public name", "ws.play.example.com"), base: LOAD_BALANCER },
    { key: "clusterDomain", value: "cluster.local.", reason: dnsNameReason("the cluster DNS domain", "cluster.local") },
    { key: "gate.publicHost", value: "https://gate.example.com", reason: dnsNameReason("the gate's public name", "gate.play.example.com") },
    { key: "redis.persistence.storageClassName", value: "Fast", reason: dnsNameReason("a StorageClass", "standard") },
    { key: "viewer.host", value: "*.example.com", reason: dnsNameReason("the viewer host", "games.play.example.com"), base: INGRESS },
    { key: "viewer.hostnames.0", value: "Games.example.com", reason: dnsNameReason("a viewer host", "games.play.example.com"), base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    // Kubernetes quantities: a number, an optional fraction, one of the scheduler's suffixes.
    { key: "quota.limitsCpu", value: "lots", reason: QUANTITY_REASON },
    { key: "quota.limitsCpu", value: "-1", reason: QUANTITY_REASON },
    { key: "quota.requestsMemory", value: "512MB", reason: QUANTITY_REASON },
    { key: "quota.requestsCpu", value: "1.", reason: QUANTITY_REASON },
    { key: "redis.persistence.size", value: "1 Gi", reason: QUANTITY_REASON },
    { key: "connector.resources.limits.memory", value: "1gb", reason: QUANTITY_REASON },
    // IPv4 CIDRs (egress rules).
    { key: "gameCreator.apiServerCidrs.0", value: "10.0.0.1", reason: CIDR_REASON },
    { key: "gameCreator.apiServerCidrs.0", value: "1.10.0.0.0/8", reason: CIDR_REASON },
    { key: "gameCreator.apiServerCidrs.0", value: "10.0.0.0/123", reason: CIDR_REASON },
    { key: "gameCreator.apiServerCidrs.0", value: "10.0.0.1000/32", reason: CIDR_REASON },
    { key: "redis.egress.cidrs.0", value: "10.0.0.0/x", reason: CIDR_REASON, base: EXTERNAL_REDIS },
    // Annotation keys: an optional DNS prefix and "/", then a name of at most 63 characters.
    { key: "frontDoor.serviceAnnotations", value: { "-lb.example.com/type": "x" }, reason: ANNOTATION_REASON },
    { key: "frontDoor.serviceAnnotations", value: { "lb-type-": "x" }, reason: ANNOTATION_REASON },
    { key: "frontDoor.serviceAnnotations", value: { "lb.example.com/": "x" }, reason: ANNOTATION_REASON },
    { key: "frontDoor.serviceAnnotations", value: { "Lb.example.com/type": "x" }, reason: ANNOTATION_REASON },
    { key: "frontDoor.serviceAnnotations", value: { [labelOf(64)]: "x" }, reason: ANNOTATION_REASON },
    { key: "gate.serviceAnnotations", value: { "lb type": "x" }, reason: ANNOTATION_REASON },
    { key: "viewer.annotations", value: { "a/b/c": "x" }, reason: ANNOTATION_REASON, base: INGRESS },
    { key: "viewer.timeoutAnnotations.0", value: "timeout/", reason: ANNOTATION_REASON, base: INGRESS },
    // Images: third-party ones pinned by digest; the services image's registry, tag and refs.
    { key: "redis.image", value: "redis:7.4", reason: pinnedThirdParty(THIRD_PARTY_IMAGES.redis) },
    { key: "redis.image", value: `Redis:7.4@sha256:${DIGEST}`, reason: pinnedThirdParty(THIRD_PARTY_IMAGES.redis) },
    { key: "redis.image", value: `redis:7.4@sha256:${DIGEST}0`, reason: pinnedThirdParty(THIRD_PARTY_IMAGES.redis) },
    { key: "redis.image", value: `redis:7.4@sha256:${DIGEST.toUpperCase()}`, reason: pinnedThirdParty(THIRD_PARTY_IMAGES.redis) },
    { key: "redis.image", value: `redis:-7@sha256:${DIGEST}`, reason: pinnedThirdParty(THIRD_PARTY_IMAGES.redis) },
    { key: "redis.image", value: `redis:V${"7".repeat(128)}@sha256:${DIGEST}`, reason: pinnedThirdParty(THIRD_PARTY_IMAGES.redis) },
    { key: "proxy.image", value: "nginxinc/nginx-unprivileged:1.27", reason: pinnedThirdParty(THIRD_PARTY_IMAGES.nginx) },
    { key: "images.registry", value: "https://ghcr.io/studio", reason: 'must be a registry and optional path such as "ghcr.io/studio" or "localhost:5001"' },
    { key: "images.registry", value: "ghcr.io/Studio", reason: 'must be a registry and optional path such as "ghcr.io/studio" or "localhost:5001"' },
    { key: "images.registry", value: "localhost:123456", reason: 'must be a registry and optional path such as "ghcr.io/studio" or "localhost:5001"' },
    { key: "images.tag", value: "-dev", reason: "must be a Docker tag" },
    { key: "images.tag", value: "dev build", reason: "must be a Docker tag" },
    { key: "images.tag", value: `v${"1".repeat(128)}`, reason: "must be a Docker tag" },
    { key: "images.tag", value: "latest", reason: "must not be latest: pods reference the digest, the tag only names the build" },
    { key: "images.ref", value: "ghcr.io/studio/pomona-services:v1", reason: PINNED_REF_REASON },
    { key: "images.ref", value: `Ghcr.io/studio/pomona-services@sha256:${DIGEST}`, reason: PINNED_REF_REASON },
    { key: "images.ref", value: `ghcr.io/studio/pomona-services@sha256:${DIGEST}0`, reason: PINNED_REF_REASON },
    { key: "images.ref", value: `ghcr.io/studio/pomona-services@sha256:${DIGEST.replace("a", "g")}`, reason: PINNED_REF_REASON },
    { key: "images.creatorRef", value: `Ghcr.io/studio/creator@sha256:${DIGEST}`, reason: PINNED_REF_REASON },
    { key: "images.creatorRef", value: `ghcr.io/studio/creator@sha256:${DIGEST}0`, reason: PINNED_REF_REASON },
    { key: "images.creatorRef", value: `ghcr.io/studio/creator@sha256:${DIGEST.slice(1)}`, reason: PINNED_REF_REASON },
    { key: "images.platforms.0", value: "windows/amd64", reason: 'Invalid option: expected one of "linux/amd64"|"linux/arm64"' },
    // Routes, origins, the discovery namespace, the external Redis Secret's key, a game's id.
    { key: "routes.0", value: "arena room join", reason: "must be a route such as arena.room.join" },
    { key: "routes.0", value: "r".repeat(256), reason: "must be a route such as arena.room.join" },
    { key: "allowedOrigins.0", value: "https://play.example.com/lobby", reason: ORIGIN_REASON },
    { key: "allowedOrigins.0", value: "xhttps://play.example.com", reason: ORIGIN_REASON },
    { key: "allowedOrigins.0", value: "https://play.example.com:123456", reason: ORIGIN_REASON },
    { key: "allowedOrigins.0", value: "https://Play.example.com", reason: ORIGIN_REASON },
    { key: "discoveryNamespace", value: "my ns", reason: "must be 1-64 characters of A-Z a-z 0-9 _ -" },
    { key: "discoveryNamespace", value: "n".repeat(65), reason: "must be 1-64 characters of A-Z a-z 0-9 _ -" },
    { key: "redis.urlSecret.key", value: "redis url", reason: "must be a Secret data key", base: EXTERNAL_REDIS },
    ...["-arena", "arena-", "Arena", "a".repeat(51)].map((id) => ({
      key: "games.0.id",
      value: id,
      reason: 'must be 1-50 characters of a-z, 0-9 and "-", starting and ending with a letter or digit (it becomes game-<id>)',
      base: INGRESS,
    })),
    { key: "games.0.type", value: 7, reason: "must be a game type name such as arena", base: INGRESS },
    // Replicas: whole, at least 1, at most the tier's maximum.
    { key: "connector.replicas", value: 1.5, reason: "must be a whole number of connector replicas" },
    { key: "connector.replicas", value: "2", reason: "must be a whole number of connector replicas" },
    { key: "gate.replicas", value: 0, reason: "must be at least 1: a tier with 0 replicas serves no player" },
    { key: "gate.replicas", value: 101, reason: "must be at most 100" },
    { key: "connector.replicas", value: 1001, reason: "must be at most 1000" },
    { key: "proxy.replicas", value: 0.5, reason: "must be a whole number of proxy replicas" },
    { key: "games.0.replicas", value: "one", reason: "must be a whole number of game server replicas", base: INGRESS },
    // Lists that must not be empty.
    { key: "viewer.controllerNamespaces", value: [], reason: "must name the namespace(s) the ingress controller runs in, or nothing may reach the viewers", base: INGRESS },
    { key: "viewer.controllerNamespaces", value: [], reason: "must name the namespace(s) the Gateway's data plane runs in, or nothing may reach the viewers", base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    { key: "viewer.parentRefs", value: [], reason: "must name at least one Gateway", base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    { key: "viewer.hostnames", value: [], reason: "must list the viewer host(s)", base: { ...INGRESS, viewer: GATEWAY_VIEWER } },
    { key: "routes", value: [], reason: "Too small: expected array to have >=1 items" },
    { key: "allowedOrigins", value: [], reason: "Too small: expected array to have >=1 items" },
    { key: "proxy.resolvers", value: [], reason: "Too small: expected array to have >=1 items" },
    { key: "proxy.resolvers.0", value: "", reason: "Too small: expected string to have >=1 characters" },
    { key: "images.platforms", value: [], reason: "Too small: expected array to have >=1 items" },
    { key: "gameCreator.apiServerCidrs", value: [], reason: "Too small: expected array to have >=1 items" },
    { key: "redis.egress.cidrs", value: [], reason: "Too small: expected array to have >=1 items", base: EXTERNAL_REDIS },
    // Unions name their choices.
    { key: "environment", value: "prod", reason: 'must be "development", "staging" or "production"' },
    { key: "auth.mode", value: "oauth", reason: 'must be an object whose mode is "jwt", "webhook", "anonymous" or "trust-uid" (development only: any client claims any uid)' },
    { key: "frontDoor.mode", value: "nodeport", reason: 'must be an object whose mode is "subdomain" (gate + nginx + wildcard DNS) or "loadbalancer" (one public address for all connectors)' },
    { key: "redis.mode", value: "sentinel", reason: 'must be an object whose mode is "in-cluster" (a Redis StatefulSet with a generated password) or "external" (a URL from an existing Secret)' },
    { key: "viewer.kind", value: "nodeport", reason: 'must be an object whose kind is "ingress" (networking.k8s.io Ingress) or "gateway" (Gateway API HTTPRoute)', base: INGRESS },
    { key: "frontDoor.tls.certManager.kind", value: "Certificate", reason: 'Invalid option: expected one of "ClusterIssuer"|"Issuer"', base: CERT_MANAGER },
  ];
  for (const { key, value, reason, base } of refusals) {
    it(`pomona:${key} = ${JSON.stringify(value).slice(0, 60)} is refused: ${reason.slice(0, 60)}`, () => {
      const stack = withValue({ ...minimalStack(), ...base }, key, value);
      assert.deepEqual(issuesOf(stack), [line(annotationKeyPath(key, value), reason)]);
    });
  }

  it("an unknown key names itself in full, one line each, with the fix to remove or rename it", () => {
    const stack = { ...minimalStack(), conector: { replicas: 2 }, connector: { replicas: 2, replica: 3, drain: 1 } };
    const fix = `remove or rename it in stacks/Pulumi.${STACK}.yaml; the keys are listed in docs/config.md`;
    assert.deepEqual([...issuesOf(stack)].sort(), [
      `pomona:conector: is not a known key (typo?) — fix: ${fix}`,
      `pomona:connector.drain: is not a known key (typo?) — fix: ${fix}`,
      `pomona:connector.replica: is not a known key (typo?) — fix: ${fix}`,
    ]);
  });

  it("HS256 secrets and the webhook's secret are not plain auth fields: they are Pulumi secrets", () => {
    const jwt = { ...minimalStack(), auth: { mode: "jwt", jwksUrl: "https://studio.example.com/jwks.json", issuer: "studio", audience: "pomona", hs256Secrets: [SECRET] } };
    const unknown = (key: string) => `pomona:${key}: is not a known key (typo?) — fix: remove or rename it in stacks/Pulumi.${STACK}.yaml; the keys are listed in docs/config.md`;
    assert.deepEqual(issuesOf(jwt), [unknown("auth.hs256Secrets")]);
    const webhook = { ...minimalStack(), auth: { mode: "webhook", url: "https://studio.example.com/login", secret: SECRET }, authWebhookSecret: SECRET };
    assert.deepEqual(issuesOf(webhook), [unknown("auth.secret")]);
  });

  it("protos are checked as Pomelo's JSON format, naming the message and field inside them", () => {
    const stack = { ...minimalStack(), protos: { server: { onAck: { "required uInt64 seq": 1 } } } };
    assert.deepEqual(issuesOf(stack), [
      line("protos", 'protos.server["onAck"]["required uInt64 seq"]: type uInt64 is not supported by pomelo-protobuf; use uInt32, int32, sInt32, float, double, string or a message (Pomelo\'s JSON proto format: docs/protocol.md#protobuf-bodies)'),
    ]);
  });
});

/** A record's bad key is reported under the key itself (`frontDoor.serviceAnnotations.<key>`). */
function annotationKeyPath(key: string, value: unknown): string {
  if (!/Annotations$|annotations$/.test(key) || typeof value !== "object" || value === null) return key;
  return `${key}.${Object.keys(value)[0]}`;
}

const requestsAndLimits = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

/** What a stack of only the required keys becomes: the defaults of docs/config.md. */
const DEFAULTS = {
  environment: "production",
  auth: { mode: "anonymous" },
  clusterDomain: "cluster.local",
  heartbeatSec: 10,
  frontDoor: { mode: "subdomain", domain: "play.example.com", serviceAnnotations: {} },
  gate: { replicas: 2, serviceAnnotations: {}, servicePort: 80, resources: requestsAndLimits("100m", "128Mi", "500m", "256Mi") },
  connector: { replicas: 2, drainTimeoutSec: 30, preStopSec: 5, resources: requestsAndLimits("500m", "512Mi", "2", "1Gi") },
  proxy: { replicas: 2, image: THIRD_PARTY_IMAGES.nginx, preStopSec: 5, drainSec: 60, resources: requestsAndLimits("100m", "64Mi", "1", "256Mi") },
  redis: { mode: "in-cluster", image: THIRD_PARTY_IMAGES.redis, resources: requestsAndLimits("100m", "128Mi", "1", "512Mi") },
  gameTypes: {},
  games: [],
  gameCreator: {
    enabled: false,
    resources: requestsAndLimits("100m", "128Mi", "500m", "256Mi"),
    apiClientNamespaces: [],
    limits: { maxGames: 20, maxPlayersPerGame: 16, maxWorkers: 64 },
    apiServerCidrs: ["0.0.0.0/0"],
  },
  quota: { requestsCpu: "16", requestsMemory: "32Gi", limitsCpu: "64", limitsMemory: "64Gi", containerMaxCpu: "2", containerMaxMemory: "2Gi" },
  dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } },
  images: { registry: "ghcr.io/studio", repository: "pomona-services", build: true, buildOnPreview: false, push: true, platforms: ["linux/amd64"] },
  metrics: { serviceMonitor: false, serviceMonitorLabels: {}, scrapeNamespaces: ["monitoring"] },
  stack: STACK,
  namespace: "pomona-edge",
  discoveryNamespace: "edge",
  viewerTimeoutSec: 30,
  givenSecrets: new Set(),
};

/** Every key given, none at its default: the parser must keep each as written. */
function everyKeyGiven(): Raw {
  return {
    environment: "staging",
    auth: { mode: "anonymous" },
    namespace: "games-prod",
    discoveryNamespace: "games_EU-1",
    clusterDomain: "k8s.example.net",
    heartbeatSec: 7,
    routes: ["arena.room.join", "onState"],
    protos: { server: { onAck: { "required uInt32 seq": 1 } } },
    allowedOrigins: ["https://play.example.com", "http://localhost:8080"],
    frontDoor: { mode: "subdomain", domain: "play.example.com", tls: { secretName: "wildcard-tls" }, publicPort: 8443, serviceAnnotations: { "lb.example.com/type": "nlb" } },
    gate: {
      replicas: 3,
      serviceAnnotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
      servicePort: 443,
      publicHost: "gate.play.example.com",
      resources: requestsAndLimits("200m", "200Mi", "2", "300Mi"),
      rateLimit: { perSec: 2.5, burst: 10 },
    },
    connector: { replicas: 4, drainTimeoutSec: 45, preStopSec: 3, resources: requestsAndLimits("1", "1Gi", "3", "2Gi") },
    proxy: {
      replicas: 3,
      image: `mirror.example.com/nginx:1.27@sha256:${DIGEST}`,
      resolvers: ["10.96.0.10"],
      maxConnectionsPerIp: 50,
      workerConnections: 4096,
      preStopSec: 2,
      drainSec: 120,
      resources: requestsAndLimits("50m", "32Mi", "2", "128Mi"),
    },
    redis: { mode: "in-cluster", image: `mirror.example.com/redis:7.4@sha256:${DIGEST}`, persistence: { size: "5Gi", storageClassName: "fast-ssd" }, resources: requestsAndLimits("300m", "1Gi", "2", "2Gi") },
    gameTypes: { chess: { image: `ghcr.io/studio/chess@sha256:${DIGEST}`, main: "dist/main.js", maxReplicas: 4, defaultTickHz: 5 } },
    games: [
      { id: "arena-1", type: "arena", replicas: 3, tickHz: 30, settings: { mode: "ffa" }, resources: requestsAndLimits("500m", "300Mi", "2", "600Mi") },
      { id: "chess-1", type: "chess", replicas: 4, resources: requestsAndLimits("100m", "100Mi", "200m", "200Mi") },
    ],
    viewer: {
      kind: "ingress",
      className: "nginx",
      host: "games.play.example.com",
      annotations: { "nginx.ingress.kubernetes.io/ssl-redirect": "true" },
      timeoutAnnotations: ["nginx.ingress.kubernetes.io/proxy-read-timeout"],
      tlsSecretName: "games-tls",
      controllerNamespaces: ["ingress-nginx"],
      timeoutSec: 600,
    },
    gameCreator: {
      enabled: true,
      resources: requestsAndLimits("150m", "150Mi", "1", "1Gi"),
      apiClientNamespaces: ["ops"],
      limits: { maxGames: 5, maxPlayersPerGame: 8, maxWorkers: 40 },
      apiServerCidrs: ["172.20.0.1/32"],
    },
    quota: { requestsCpu: "8", requestsMemory: "16Gi", limitsCpu: "32", limitsMemory: "32Gi", containerMaxCpu: "4", containerMaxMemory: "4Gi" },
    dns: { namespace: "dns", podLabels: { app: "coredns" } },
    images: { registry: "localhost:5001/team", repository: "services", tag: "v1.2.3", build: true, buildOnPreview: true, push: true, platforms: ["linux/amd64", "linux/arm64"], pullSecret: "regcred" },
    metrics: { serviceMonitor: true, serviceMonitorLabels: { release: "prom" }, scrapeNamespaces: ["observability"] },
  };
}

/** The same with the other branch of every union: load balancer, external Redis, Gateway API, an image built elsewhere. */
function otherBranchesGiven(): Raw {
  return {
    ...everyKeyGiven(),
    frontDoor: { mode: "loadbalancer", publicHost: "ws.play.example.com", tls: true, publicPort: 443, serviceAnnotations: { "lb.example.com/type": "nlb" } },
    redis: { mode: "external", urlSecret: { name: "redis-url", key: "redis.url" }, egress: { cidrs: ["10.0.0.0/8"], port: 6380 } },
    viewer: { kind: "gateway", parentRefs: [{ name: "public", namespace: "gateways", sectionName: "https" }], hostnames: ["games.play.example.com"], tls: false, controllerNamespaces: ["envoy"] },
    images: {
      registry: "ghcr.io",
      repository: "services",
      build: false,
      buildOnPreview: false,
      push: false,
      platforms: ["linux/arm64"],
      ref: `ghcr.io/studio/pomona-services@sha256:${DIGEST}`,
      creatorRef: `ghcr.io/studio/pomona-creator@sha256:${DIGEST}`,
    },
  };
}

/** The parsed config without what the program derives from the stack's name. */
function withoutDerived(raw: Raw, stack = STACK): Raw {
  const { stack: _stack, namespace: _namespace, discoveryNamespace: _discovery, viewerTimeoutSec: _timeout, givenSecrets: _secrets, ...plain } = parseStackConfig(stack, raw);
  const { namespace: _n, discoveryNamespace: _d, ...given } = raw;
  return { plain, given };
}

describe("stack config schema: defaults and the values kept", () => {
  it("a stack of only the required keys gets every default docs/config.md states", () => {
    assert.deepEqual({ ...parseStackConfig(STACK, minimalStack()) }, DEFAULTS);
  });

  it("an empty section, empty resources, or empty requests and limits mean their defaults, exactly as omitted ones", () => {
    const bounds = (resources: unknown) => ({
      ...minimalStack(),
      gate: { resources },
      connector: { replicas: 2, resources },
      proxy: { resources },
      redis: { mode: "in-cluster", resources },
      gameCreator: { resources, limits: {} },
      quota: {},
      dns: {},
      metrics: {},
    });
    assert.deepEqual({ ...parseStackConfig(STACK, { ...minimalStack(), gate: {}, proxy: {}, gameCreator: {}, quota: {}, dns: {}, metrics: {} }) }, DEFAULTS, "empty sections");
    assert.deepEqual({ ...parseStackConfig(STACK, bounds({})) }, DEFAULTS, "empty resources");
    assert.deepEqual({ ...parseStackConfig(STACK, bounds({ requests: {}, limits: {} })) }, DEFAULTS, "empty requests and limits");
  });

  it("a game's resources default to the cluster model's, at every level left out", () => {
    const gameResources = requestsAndLimits("250m", "256Mi", "1", "512Mi");
    for (const resources of [undefined, {}, { requests: {}, limits: {} }]) {
      const config = parseStackConfig(STACK, { ...minimalStack(), ...INGRESS, games: [{ id: "arena-1", type: "arena", replicas: 1, resources }] });
      assert.deepEqual(config.games, [{ id: "arena-1", type: "arena", replicas: 1, resources: gameResources }], JSON.stringify(resources));
    }
  });

  it("the other branches' defaults: external Redis egress, load balancer without TLS, Gateway with TLS, cert-manager's ClusterIssuer, a 1Gi volume", () => {
    for (const egress of [undefined, {}]) {
      const redis = parseStackConfig(STACK, { ...minimalStack(), redis: { ...EXTERNAL_REDIS.redis, egress } }).redis;
      assert.deepEqual(redis, { mode: "external", urlSecret: { name: "redis-url", key: "url" }, egress: { cidrs: ["0.0.0.0/0"], port: 6379 } });
    }
    assert.deepEqual(parseStackConfig(STACK, { ...minimalStack(), ...LOAD_BALANCER }).frontDoor, { mode: "loadbalancer", publicHost: "ws.play.example.com", tls: false, serviceAnnotations: {} });
    const gateway = parseStackConfig(STACK, { ...minimalStack(), ...INGRESS, viewer: GATEWAY_VIEWER });
    assert.deepEqual(gateway.viewer, { ...GATEWAY_VIEWER, tls: true });
    assert.equal(gateway.viewerTimeoutSec, 30, "3 × heartbeatSec: a Gateway has no timeout of its own");
    assert.deepEqual(parseStackConfig(STACK, { ...minimalStack(), ...INGRESS }).viewer, { ...INGRESS_VIEWER, annotations: {}, timeoutAnnotations: [] });
    assert.deepEqual(parseStackConfig(STACK, { ...minimalStack(), ...CERT_MANAGER }).frontDoor.tls, { certManager: { issuer: "letsencrypt", kind: "ClusterIssuer" } });
    const volume = parseStackConfig(STACK, { ...minimalStack(), redis: { mode: "in-cluster", persistence: {} } }).redis;
    assert.deepEqual(volume.mode === "in-cluster" && volume.persistence, { size: "1Gi" });
  });

  it("every key given is kept as written, in both branches of every union", () => {
    for (const raw of [everyKeyGiven(), otherBranchesGiven()]) {
      const { plain, given } = withoutDerived(raw);
      assert.deepEqual(plain, given, raw.frontDoor.mode);
    }
    const config = parseStackConfig(STACK, everyKeyGiven());
    assert.deepEqual([config.namespace, config.discoveryNamespace, config.viewerTimeoutSec], ["games-prod", "games_EU-1", 600]);
  });

  it("the discovery namespace defaults to the stack name made safe for Redis keys, at most 64 characters", () => {
    assert.equal(parseStackConfig("eu.west/2", minimalStack()).discoveryNamespace, "eu-west-2");
    assert.equal(parseStackConfig("s".repeat(70), minimalStack()).discoveryNamespace, "s".repeat(64));
    assert.equal(parseStackConfig("Prod_EU-1", minimalStack()).namespace, "pomona-Prod_EU-1");
  });
});

describe("stack config schema: edge values are accepted", () => {
  const accepted: Array<{ readonly key: string; readonly values: readonly unknown[]; readonly base?: Raw }> = [
    { key: "namespace", values: ["a", "a-1", labelOf(63)] },
    { key: "frontDoor.domain", values: ["localhost", "x.y", `${labelOf(63)}.${labelOf(63)}`, nameOf(230), "a1.b-2.c3"] },
    { key: "quota.limitsCpu", values: ["1", "0.25", "250m", "1.5", "7k"] },
    { key: "quota.limitsMemory", values: ["2Gi", "512Mi", "1Ti", "3T", "100M", "1G", "10Ki"] },
    { key: "gameCreator.apiServerCidrs", values: [["10.0.0.10/32"], ["0.0.0.0/0"], ["192.168.100.0/24", "172.16.0.1/8"]] },
    {
      key: "frontDoor.serviceAnnotations",
      values: [{ name: "" }, { x: "1" }, { "a/x": "1" }, { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" }, { [`example.com/${labelOf(63)}`]: "1" }, { "example.com/Name_v2.x": "1" }],
    },
    { key: "redis.image", values: [`redis@sha256:${DIGEST}`, `redis:V7.4-Alpine_x@sha256:${DIGEST}`, `registry.example.com/mirror/redis:7.4@sha256:${DIGEST}`, `redis:V${"7".repeat(127)}@sha256:${DIGEST}`] },
    { key: "images.registry", values: ["ghcr.io", "localhost:5001", "ghcr.io/studio/team", "localhost:65535/x", "registry-1.example.com/a.b_c-d"] },
    { key: "images.tag", values: ["dev", "_", "V1.2-rc_3", `v${"1".repeat(127)}`, "latest-1"] },
    { key: "routes", values: [["a"], ["r".repeat(255)], ["Arena_room.join-2"]] },
    { key: "allowedOrigins", values: [["http://localhost:8080"], ["https://play.example.com"], ["https://a.b:65535"], ["http://10.0.0.1:1"]] },
    { key: "discoveryNamespace", values: ["n", "n".repeat(64), "A_b-9"] },
    { key: "redis.urlSecret.key", values: ["url", "a", "redis.URL_1-x"], base: EXTERNAL_REDIS },
    { key: "games.0.id", values: ["a", "a".repeat(50), "arena-1"], base: INGRESS },
    { key: "frontDoor.tls.certManager.kind", values: ["Issuer", "ClusterIssuer"], base: CERT_MANAGER },
    { key: "images.creatorRef", values: [`ghcr.io/studio/creator@sha256:${DIGEST}`, `localhost:5001/creator_x@sha256:${DIGEST}`] },
  ];
  for (const { key, values, base } of accepted) {
    it(`pomona:${key} accepts ${values.map((value) => JSON.stringify(value).slice(0, 30)).join(", ")}`, () => {
      for (const value of values) assertAccepted(withValue({ ...minimalStack(), ...base }, key, value), JSON.stringify(value));
    });
  }
  it("pomona:images.ref accepts an image pinned by digest when nothing is built", () => {
    const images = { registry: "ghcr.io", build: false, push: false, ref: `ghcr.io/studio/pomona-services@sha256:${DIGEST}` };
    assertAccepted({ ...minimalStack(), images }, "ref");
    assertAccepted({ ...minimalStack(), images: { ...images, ref: `a@sha256:${DIGEST}` } }, "a one-character name");
  });
});

describe("stack config schema: numbers take their bounds inclusive and whole", () => {
  interface Bound {
    readonly key: string;
    readonly min: number;
    readonly max: number;
    readonly base?: Raw;
    readonly tooSmall?: string;
    readonly tooBig?: string;
    readonly fraction?: string;
    /** Other rules the value below the minimum also breaks. */
    readonly alsoBelow?: readonly string[];
  }
  const tier = (what: string, max: number) => ({
    tooSmall: "must be at least 1: a tier with 0 replicas serves no player",
    tooBig: `must be at most ${max}`,
    fraction: `must be a whole number of ${what} replicas`,
  });
  const GATE_LIMIT = { gate: { rateLimit: { perSec: 5, burst: 1 } } };
  const bounds: Bound[] = [
    { key: "heartbeatSec", min: 1, max: 300 },
    { key: "frontDoor.publicPort", min: 1, max: 65535 },
    { key: "frontDoor.publicPort", min: 1, max: 65535, base: LOAD_BALANCER },
    { key: "gate.replicas", min: 1, max: 100, ...tier("gate", 100) },
    { key: "gate.servicePort", min: 1, max: 65535 },
    { key: "gate.rateLimit.burst", min: 1, max: 1_000_000, base: GATE_LIMIT },
    { key: "connector.replicas", min: 1, max: 1000, ...tier("connector", 1000) },
    { key: "connector.drainTimeoutSec", min: 1, max: 3600 },
    { key: "connector.preStopSec", min: 0, max: 60 },
    { key: "proxy.replicas", min: 1, max: 100, ...tier("proxy", 100) },
    { key: "proxy.maxConnectionsPerIp", min: 1, max: 1_000_000 },
    { key: "proxy.workerConnections", min: 64, max: 1_000_000 },
    { key: "proxy.preStopSec", min: 0, max: 60 },
    { key: "proxy.drainSec", min: 1, max: 3600 },
    { key: "games.0.tickHz", min: 1, max: 120, base: INGRESS },
    { key: "gameCreator.limits.maxGames", min: 1, max: 10_000 },
    { key: "gameCreator.limits.maxPlayersPerGame", min: 1, max: 1_000, base: { gameCreator: { limits: { maxWorkers: 100_000 } } } },
    {
      key: "gameCreator.limits.maxWorkers",
      min: 1,
      max: 100_000,
      base: { gameCreator: { limits: { maxPlayersPerGame: 1 } } },
      alsoBelow: [line("gameCreator.limits.maxPlayersPerGame", "maxPlayersPerGame must not exceed maxWorkers (every player is one worker)")],
    },
    { key: "redis.egress.port", min: 1, max: 65535, base: EXTERNAL_REDIS },
  ];
  for (const { key, min, max, base, tooSmall, tooBig, fraction, alsoBelow = [] } of bounds) {
    it(`pomona:${key} accepts ${min} and ${max}, refuses ${min - 1}, ${max + 1} and ${min + 0.5}`, () => {
      const at = (value: number) => withValue({ ...minimalStack(), ...base }, key, value);
      assertAccepted(at(min), `${min}`);
      assertAccepted(at(max), `${max}`);
      assert.deepEqual(issuesOf(at(min - 1)), [line(key, tooSmall ?? `Too small: expected number to be >=${min}`), ...alsoBelow]);
      assert.deepEqual(issuesOf(at(max + 1)), [line(key, tooBig ?? `Too big: expected number to be <=${max}`)]);
      assert.deepEqual(issuesOf(at(min + 0.5)), [line(key, fraction ?? "Invalid input: expected int, received number")]);
    });
  }

  it("pomona:gate.rateLimit.perSec may be a fraction above 0, at most 100000", () => {
    const at = (perSec: number) => ({ ...minimalStack(), gate: { rateLimit: { perSec, burst: 20 } } });
    assertAccepted(at(0.1), "0.1");
    assertAccepted(at(100_000), "100000");
    assert.deepEqual(issuesOf(at(0)), [line("gate.rateLimit.perSec", "Too small: expected number to be >0")]);
    assert.deepEqual(issuesOf(at(100_000.5)), [line("gate.rateLimit.perSec", "Too big: expected number to be <=100000")]);
  });

  it("pomona:viewer.timeoutSec is at most a day", () => {
    const at = (timeoutSec: number) => ({ ...minimalStack(), ...INGRESS, viewer: { ...INGRESS_VIEWER, timeoutSec } });
    assertAccepted(at(86_400), "86400");
    assert.deepEqual(issuesOf(at(86_401)), [line("viewer.timeoutSec", "Too big: expected number to be <=86400")]);
  });

  it("a game's replicas: at least 1, at most 100 for any type and at most its type's maximum", () => {
    const at = (replicas: number, type = "arena") => ({ ...minimalStack(), ...INGRESS, games: [{ id: "g", type, replicas }] });
    assertAccepted(at(16), "arena's maximum");
    assert.deepEqual(issuesOf(at(17)), [line("games.0.replicas", "must be at most 16: a arena game runs at most 16 replica(s)")]);
    assert.deepEqual(issuesOf(at(0)), [line("games.0.replicas", "must be at least 1: a tier with 0 replicas serves no player")]);
    assert.deepEqual(issuesOf(at(101)), [line("games.0.replicas", "must be at most 100"), line("games.0.replicas", "must be at most 16: a arena game runs at most 16 replica(s)")]);
  });
});

describe("stack config schema: rules across keys", () => {
  const withGames = (extra: Raw) => ({ ...minimalStack(), ...INGRESS, ...extra });

  it("trust-uid is refused outside a development stack, whatever its environment, and accepted in one", () => {
    for (const environment of [undefined, "staging", "production"]) {
      const stack = { ...minimalStack(), environment, auth: { mode: "trust-uid" } };
      assert.deepEqual(issuesOf(stack), [
        line(
          "auth.mode",
          `trust-uid lets any client log in as any player: it is for development stacks only (this one is ${environment ?? "production"}); use jwt, webhook or anonymous, or set pomona:environment: development on a stack no real player reaches`,
        ),
      ]);
    }
    assertAccepted({ ...minimalStack(), environment: "development", auth: { mode: "trust-uid" } }, "development");
    assertAccepted({ ...minimalStack(), environment: "production", auth: { mode: "anonymous" } }, "anonymous in production");
  });

  it("a static game's type is one of the image's or the stack's own, within that type's replicas", () => {
    assert.deepEqual(issuesOf(withGames({ games: [{ id: "g", type: "chess", replicas: 1 }] })), [
      line("games.0.type", '"chess" is not a known game type: a static game is one of arena, grid, or a studio type you declare under pomona:gameTypes.chess with its image and main'),
    ]);
    const chess = { chess: { image: `ghcr.io/studio/chess@sha256:${DIGEST}`, main: "dist/main.js", maxReplicas: 3 } };
    assertAccepted(withGames({ gameTypes: chess, games: [{ id: "g", type: "chess", replicas: 3 }] }), "a studio type at its maximum");
    assert.deepEqual(issuesOf(withGames({ gameTypes: chess, games: [{ id: "g", type: "chess", replicas: 4 }] })), [line("games.0.replicas", "must be at most 3: a chess game runs at most 3 replica(s)")]);
    assertAccepted(withGames({ games: [{ id: "g", type: "grid", replicas: 1 }] }), "grid at its maximum of 1");
    assert.deepEqual(issuesOf(withGames({ games: [{ id: "g", type: "grid", replicas: 2 }] })), [line("games.0.replicas", "must be at most 1: a grid game runs at most 1 replica(s)")]);
    assert.deepEqual(issuesOf(withGames({ games: [{ id: "g", type: "", replicas: 1 }] })), [
      line("games.0.type", "must be a game type name such as arena"),
      line("games.0.type", '"" is not a known game type: a static game is one of arena, grid, or a studio type you declare under pomona:gameTypes. with its image and main'),
    ]);
  });

  it("two games with one id are refused at the second, naming the id", () => {
    const games = [
      { id: "a", type: "arena", replicas: 1 },
      { id: "b", type: "arena", replicas: 1 },
      { id: "a", type: "grid", replicas: 1 },
    ];
    assert.deepEqual(issuesOf(withGames({ games })), [line("games.2.id", '"a" is used twice: every game needs its own id')]);
  });

  it("a viewer is required by games or by a game-creator, not otherwise", () => {
    const reason = "is required when there are games or a game-creator: browsers reach /game-<id> through an Ingress or an HTTPRoute";
    assert.deepEqual(issuesOf({ ...minimalStack(), games: [{ id: "g", type: "arena", replicas: 1 }] }), [line("viewer", reason)]);
    assert.deepEqual(issuesOf({ ...minimalStack(), gameCreator: { enabled: true } }), [line("viewer", reason)]);
    assertAccepted({ ...minimalStack(), gameCreator: { enabled: false } }, "no games, no creator");
  });

  it("an ingress timeout must be above 2 × heartbeatSec", () => {
    const at = (timeoutSec: number, heartbeatSec: number) => withGames({ heartbeatSec, viewer: { ...INGRESS_VIEWER, timeoutSec } });
    assert.deepEqual(issuesOf(at(14, 7)), [line("viewer.timeoutSec", "must be above 2 × heartbeatSec (14 s), or the ingress cuts idle viewers; omit it for 3 × heartbeatSec")]);
    assertAccepted(at(15, 7), "just above");
    assert.equal(parseStackConfig(STACK, at(15, 7)).viewerTimeoutSec, 15);
    assert.equal(parseStackConfig(STACK, withGames({ heartbeatSec: 7 })).viewerTimeoutSec, 21, "omitted: 3 × heartbeatSec");
    assert.equal(parseStackConfig(STACK, withGames({ heartbeatSec: 7, viewer: GATEWAY_VIEWER })).viewerTimeoutSec, 21, "a Gateway: 3 × heartbeatSec");
  });

  it("a game-creator with an image built elsewhere needs its own pinned image", () => {
    const elsewhere = { registry: "ghcr.io", build: false, ref: `ghcr.io/studio/pomona-services@sha256:${DIGEST}` };
    assert.deepEqual(issuesOf(withGames({ gameCreator: { enabled: true }, images: elsewhere })), [
      line("images.creatorRef", "is required with build: false and a game-creator: the digest-pinned image of services/Dockerfile's game-creator target (the services image lacks its Kubernetes client)"),
    ]);
    assertAccepted(withGames({ gameCreator: { enabled: true }, images: { ...elsewhere, creatorRef: `ghcr.io/studio/creator@sha256:${DIGEST}` } }), "with creatorRef");
    assertAccepted(withGames({ images: elsewhere }), "no creator");
    assertAccepted(withGames({ gameCreator: { enabled: true } }), "built here");
  });

  it("a game-creator behind a Gateway holds at most one HTTPRoute's rules of games", () => {
    const at = (maxGames: number, enabled = true, viewer: Raw = GATEWAY_VIEWER) => withGames({ viewer, gameCreator: { enabled, limits: { maxGames } } });
    assert.deepEqual(issuesOf(at(17)), [
      line("gameCreator.limits.maxGames", "must be at most 16 with viewer.kind gateway (it is 17): the creator's HTTPRoute holds one rule per game and the Gateway API caps a route at 16"),
    ]);
    assertAccepted(at(16), "16 rules");
    assertAccepted(at(17, false), "no creator");
    assertAccepted(at(17, true, INGRESS_VIEWER), "an Ingress has no such cap");
  });

  it("the creator's players per game fit in its workers", () => {
    const at = (maxPlayersPerGame: number, maxWorkers: number) => ({ ...minimalStack(), gameCreator: { limits: { maxPlayersPerGame, maxWorkers } } });
    assert.deepEqual(issuesOf(at(11, 10)), [line("gameCreator.limits.maxPlayersPerGame", "maxPlayersPerGame must not exceed maxWorkers (every player is one worker)")]);
    assertAccepted(at(10, 10), "equal");
  });

  it("the proxy's TLS is exactly one of an existing Secret or cert-manager", () => {
    const reason = "give exactly one of secretName (an existing TLS Secret) or certManager (an issuer that creates one)";
    const at = (tls: Raw) => ({ ...minimalStack(), frontDoor: { mode: "subdomain", domain: "play.example.com", tls } });
    assert.deepEqual(issuesOf(at({})), [line("frontDoor.tls", reason)]);
    assert.deepEqual(issuesOf(at({ secretName: "wildcard", certManager: { issuer: "letsencrypt" } })), [line("frontDoor.tls", reason)]);
    assertAccepted(at({ secretName: "wildcard" }), "a Secret");
    assertAccepted(at({ certManager: { issuer: "letsencrypt" } }), "cert-manager");
  });

  it("an image is either built and pushed here, or pinned by digest and built elsewhere", () => {
    const at = (images: Raw) => ({ ...minimalStack(), images: { registry: "ghcr.io", ...images } });
    assert.deepEqual(issuesOf(at({ build: false })), [line("images.ref", "is required when build is false (the digest-pinned image to deploy)")]);
    assert.deepEqual(issuesOf(at({ push: false })), [
      line(
        "images.push",
        "must be true when build is true: pods pull the image by the digest the push returns; set push: true, or build: false with ref: <registry>/<repo>@sha256:… of an image pushed elsewhere",
      ),
    ]);
    assertAccepted(at({ build: false, push: false, ref: `ghcr.io/studio/pomona-services@sha256:${DIGEST}` }), "built elsewhere");
    assertAccepted(at({ build: true, push: true, ref: `ghcr.io/studio/pomona-services@sha256:${DIGEST}` }), "built here, ref ignored");
  });

  it("reports every problem at once, one line each, in one ConfigError naming the stack", () => {
    const stack = { ...minimalStack(), connector: { replicas: 0 }, frontDoor: { mode: "subdomain", domain: "*.x" } };
    const error = (() => {
      try {
        parseStackConfig(STACK, stack);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError);
    const lines = [line("frontDoor.domain", dnsNameReason("the wildcard domain", "play.example.com")), line("connector.replicas", "must be at least 1: a tier with 0 replicas serves no player")];
    assert.deepEqual(error.issues, lines);
    assert.equal(error.message, `invalid stack "edge" config:\n  - ${lines.join("\n  - ")}`);
    assert.equal(error.code, "CONFIG_INVALID");
  });
});

describe("stack config secrets: checked when given, never kept in the plain config", () => {
  const setSecret = (key: string, what: string) => `pulumi config set --secret --stack ${STACK} pomona:${key} "…" (${what})`;
  const generatedFix = (key: string) => setSecret(key, "or leave it out to have one generated");
  const JWKS = "https://studio.example.com/.well-known/jwks.json";
  const jwt = (fields: Raw = {}) => ({ mode: "jwt", issuer: "https://studio.example.com", audience: "pomona", ...fields });

  it("each comma-separated token secret needs 32 bytes after trimming; the count of short ones is named", () => {
    const short = `pomona:tokenSecrets: every comma-separated secret must be at least 32 bytes (2 is shorter) — fix: ${generatedFix("tokenSecrets")}, each from \`openssl rand -base64 48\``;
    assert.deepEqual(issuesOf({ ...minimalStack(), tokenSecrets: `short,${SECRET},also-short` }), [short]);
    assert.deepEqual(issuesOf({ ...minimalStack(), tokenSecrets: `${"x".repeat(31)} ,${" ".repeat(3)}${"y".repeat(31)}` }), [short], "spaces do not count");
    assertAccepted({ ...minimalStack(), tokenSecrets: `${SECRET},${"t".repeat(48)}` }, "two secrets of 32 and 48 bytes");
    assertAccepted({ ...minimalStack(), tokenSecrets: "é".repeat(16) }, "32 bytes of UTF-8");
  });

  it("a secret that is empty or not a string is refused; a Pulumi secret object counts as given", () => {
    for (const value of ["", 5, null, true]) {
      assert.deepEqual(issuesOf({ ...minimalStack(), creatorToken: value }), [`pomona:creatorToken: must be a non-empty secret string — fix: ${generatedFix("creatorToken")}`], JSON.stringify(value));
    }
    const config = parseStackConfig(STACK, { ...minimalStack(), tokenSecrets: { secure: "v1:ciphertext" }, creatorToken: "c", authJwtSecrets: undefined });
    assert.deepEqual([...config.givenSecrets], ["tokenSecrets", "creatorToken"]);
    assert.ok(!("tokenSecrets" in config) && !("creatorToken" in config), "secret values are not part of the plain config");
  });

  it("the jwt mode needs exactly one of a JWKS URL or HS256 secrets of 32 bytes each", () => {
    const exactlyOne = `pomona:auth.jwksUrl: give exactly one of pomona:auth.jwksUrl or the secret pomona:authJwtSecrets — fix: set jwksUrl to the studio's JWKS, or ${setSecret("authJwtSecrets", "comma-separated HS256 secrets, each from `openssl rand -base64 48`")} and remove jwksUrl`;
    assert.deepEqual(issuesOf({ ...minimalStack(), auth: jwt() }), [exactlyOne]);
    assert.deepEqual(issuesOf({ ...minimalStack(), auth: jwt({ jwksUrl: JWKS }), authJwtSecrets: SECRET }), [exactlyOne]);
    assertAccepted({ ...minimalStack(), auth: jwt({ jwksUrl: JWKS }) }, "a JWKS");
    assertAccepted({ ...minimalStack(), auth: jwt(), authJwtSecrets: `${SECRET},${SECRET}` }, "HS256 secrets");
    assert.deepEqual(issuesOf({ ...minimalStack(), auth: jwt(), authJwtSecrets: "short" }), [
      `pomona:authJwtSecrets: every comma-separated secret must be at least 32 bytes (1 is shorter) — fix: ${generatedFix("authJwtSecrets")}, each from \`openssl rand -base64 48\``,
    ]);
  });

  it("the webhook mode needs its secret, one value of 32 bytes that may hold commas", () => {
    const webhook = { mode: "webhook", url: "https://studio.example.com/login" };
    assert.deepEqual(issuesOf({ ...minimalStack(), auth: webhook }), [
      `pomona:authWebhookSecret: is required with auth.mode webhook (the gate proves itself to the studio with it) — fix: ${setSecret("authWebhookSecret", "`openssl rand -base64 48`, the value the studio's endpoint expects")}`,
    ]);
    assertAccepted({ ...minimalStack(), auth: webhook, authWebhookSecret: `${"w".repeat(20)},${"v".repeat(20)}` }, "one secret with a comma");
    assert.deepEqual(issuesOf({ ...minimalStack(), auth: webhook, authWebhookSecret: "w".repeat(31) }), [
      `pomona:authWebhookSecret: every comma-separated secret must be at least 32 bytes (1 is shorter) — fix: ${generatedFix("authWebhookSecret")}, each from \`openssl rand -base64 48\``,
    ]);
  });

  it("a secret only another auth mode reads is refused with the command that removes it", () => {
    assert.deepEqual(issuesOf({ ...minimalStack(), authJwtSecrets: SECRET, authWebhookSecret: SECRET }), [
      `pomona:authJwtSecrets: only the jwt mode reads it — fix: pulumi config rm --stack ${STACK} pomona:authJwtSecrets`,
      `pomona:authWebhookSecret: only the webhook mode reads it — fix: pulumi config rm --stack ${STACK} pomona:authWebhookSecret`,
    ]);
  });

  it("secret problems and plain problems are reported together", () => {
    assert.deepEqual(issuesOf({ ...minimalStack(), tokenSecrets: "", connector: { replicas: 0 } }), [
      `pomona:tokenSecrets: must be a non-empty secret string — fix: ${generatedFix("tokenSecrets")}`,
      line("connector.replicas", "must be at least 1: a tier with 0 replicas serves no player"),
    ]);
  });
});
