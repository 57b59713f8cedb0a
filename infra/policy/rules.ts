/**
 * The hardening rules of Pomona's workloads as plain functions of Kubernetes manifests: the policy
 * pack (index.ts) applies them during `pulumi preview`/`up`, and the tests apply the very same
 * functions to the offline render of every stack and to deliberately bad fixtures.
 */
import { LABELS } from "../names";
import { cidrContains, METADATA_ADDRESS } from "../manifests/network-policy";
import { routeCollisions } from "./route-claims";
import { isEmptySelector, selectorMatches, type LabelSelector } from "./selectors";

/** Manifests arrive as untyped JSON (inputs during preview, parsed YAML in tests): read them loosely. */
type Loose = any;

export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Loose;
  [field: string]: unknown;
}

export interface Violation {
  rule: string;
  /** `Kind/namespace/name` of the offending object. */
  resource: string;
  message: string;
}

export interface ResourceRule {
  name: string;
  description: string;
  /** Messages for one object; empty when it complies or the rule does not apply to it. */
  check(manifest: Manifest): string[];
}

export interface StackRule {
  name: string;
  description: string;
  check(manifests: Manifest[]): Violation[];
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"];

export const describe = (manifest: Manifest): string => `${manifest.kind}/${manifest.metadata?.namespace ?? "-"}/${manifest.metadata?.name ?? "?"}`;

interface PodTemplate {
  labels: Record<string, string>;
  spec: Loose;
}

/** The pod template of a workload (or the Pod itself). */
export function podTemplate(manifest: Manifest): PodTemplate | undefined {
  if (manifest.kind === "Pod") return { labels: manifest.metadata?.labels ?? {}, spec: manifest.spec ?? {} };
  if (!WORKLOAD_KINDS.includes(manifest.kind ?? "")) return undefined;
  const template = manifest.spec?.template;
  return { labels: template?.metadata?.labels ?? {}, spec: template?.spec ?? {} };
}

function containersOf(manifest: Manifest): Array<{ name: string; kind: "container" | "initContainer"; spec: Loose }> {
  const pod = podTemplate(manifest);
  if (pod === undefined) return [];
  return [
    ...(pod.spec.initContainers ?? []).map((spec: { name: string }) => ({ name: spec.name, kind: "initContainer" as const, spec })),
    ...(pod.spec.containers ?? []).map((spec: { name: string }) => ({ name: spec.name, kind: "container" as const, spec })),
  ];
}

/** One message per container failing `ok`, naming the container. */
function perContainer(manifest: Manifest, ok: (container: Loose, pod: Loose) => boolean, what: string): string[] {
  const pod = podTemplate(manifest);
  return containersOf(manifest)
    .filter((container) => !ok(container.spec, pod!.spec))
    .map((container) => `${describe(manifest)} ${container.kind} "${container.name}": ${what}`);
}

export const nonRoot: ResourceRule = {
  name: "pomona-non-root",
  description: "Containers run as a non-root numeric uid (runAsNonRoot, runAsUser ≠ 0).",
  check: (m) =>
    perContainer(
      m,
      (c, pod) => (c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) === true && (c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser ?? 1) !== 0,
      "must set runAsNonRoot: true and a non-zero runAsUser",
    ),
};

export const readOnlyRootFilesystem: ResourceRule = {
  name: "pomona-read-only-root-filesystem",
  description: "Containers mount their root filesystem read-only (writable paths are emptyDir volumes).",
  check: (m) => perContainer(m, (c) => c.securityContext?.readOnlyRootFilesystem === true, "must set securityContext.readOnlyRootFilesystem: true"),
};

export const noPrivilegeEscalation: ResourceRule = {
  name: "pomona-no-privilege-escalation",
  description: "Containers cannot gain privileges (allowPrivilegeEscalation: false, not privileged).",
  check: (m) =>
    perContainer(m, (c) => c.securityContext?.allowPrivilegeEscalation === false && c.securityContext?.privileged !== true, "must set allowPrivilegeEscalation: false and not be privileged"),
};

export const dropAllCapabilities: ResourceRule = {
  name: "pomona-drop-all-capabilities",
  description: "Containers drop ALL Linux capabilities and add none back.",
  check: (m) =>
    perContainer(
      m,
      (c) => (c.securityContext?.capabilities?.drop ?? []).includes("ALL") && (c.securityContext?.capabilities?.add ?? []).length === 0,
      'must drop ["ALL"] capabilities and add none',
    ),
};

export const seccompRuntimeDefault: ResourceRule = {
  name: "pomona-seccomp-runtime-default",
  description: "Containers run under the RuntimeDefault (or a Localhost) seccomp profile.",
  check: (m) =>
    perContainer(
      m,
      (c, pod) => ["RuntimeDefault", "Localhost"].includes(c.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type),
      "must set seccompProfile.type RuntimeDefault (pod or container)",
    ),
};

export const requestsAndLimits: ResourceRule = {
  name: "pomona-requests-and-limits",
  description: "Containers declare cpu and memory requests and limits.",
  check: (m) =>
    perContainer(
      m,
      (c) => ["cpu", "memory"].every((r) => c.resources?.requests?.[r] !== undefined && c.resources?.limits?.[r] !== undefined),
      "must set resources.requests and resources.limits for cpu and memory",
    ),
};

/** Liveness may look at the process only: an HTTP /healthz or an open TCP port, never a command or another path (which could depend on Redis). */
export const probes: ResourceRule = {
  name: "pomona-probes",
  description: "Containers have liveness and readiness probes; liveness is GET /healthz or a TCP check, never something that depends on Redis.",
  check: (m) => {
    const messages: string[] = [];
    for (const container of containersOf(m).filter((c) => c.kind === "container")) {
      const where = `${describe(m)} container "${container.name}"`;
      const { livenessProbe, readinessProbe } = container.spec;
      if (!livenessProbe) messages.push(`${where}: has no livenessProbe`);
      if (!readinessProbe) messages.push(`${where}: has no readinessProbe`);
      if (livenessProbe?.exec) messages.push(`${where}: livenessProbe must not run a command (it could depend on Redis); use httpGet /healthz or tcpSocket`);
      if (livenessProbe?.httpGet && livenessProbe.httpGet.path !== "/healthz") {
        messages.push(`${where}: livenessProbe path is ${livenessProbe.httpGet.path}; it must be /healthz (which never touches Redis)`);
      }
    }
    return messages;
  },
};

/** During `pulumi preview` an image built by the same update is not known yet: only known values are judged. */
export const pinnedImages: ResourceRule = {
  name: "pomona-pinned-images",
  description: "Images are pinned by digest.",
  check: (m) =>
    perContainer(
      m,
      (c) => typeof c.image !== "string" || /@sha256:[0-9a-f]{64}$/.test(c.image),
      "image must be pinned by @sha256 digest (a tag, even an explicit one, can move under a running cluster)",
    ),
};

/** The Redis Service selects the redis pods; it must never leave the cluster network. */
export const redisClusterIpOnly: ResourceRule = {
  name: "pomona-redis-clusterip-only",
  description: "A Service in front of Redis is type ClusterIP with no external IPs.",
  check: (m) => {
    if (m.kind !== "Service") return [];
    const selector = m.spec?.selector ?? {};
    const redisy = selector["app.kubernetes.io/component"] === "redis" || (m.spec?.ports ?? []).some((p: { port?: number }) => p.port === 6379);
    if (!redisy) return [];
    const type = m.spec?.type ?? "ClusterIP";
    if (type !== "ClusterIP" || (m.spec?.externalIPs ?? []).length > 0) {
      return [`${describe(m)}: a Redis Service must be type ClusterIP without externalIPs (it is ${type})`];
    }
    return [];
  },
};

/** Env vars holding secrets of the gate and connectors: only ever by secretKeyRef, so no manifest, diff or `kubectl get` shows them. */
export const SECRET_ENV_NAMES = ["TOKEN_SECRETS", "AUTH_JWT_SECRETS", "AUTH_WEBHOOK_SECRET"];

const envVar = (container: Loose, name: string): Loose => (container.env ?? []).find((variable: { name?: string }) => variable.name === name);

export const secretsByReference: ResourceRule = {
  name: "pomona-secrets-by-reference",
  description: `Secret env vars (${SECRET_ENV_NAMES.join(", ")}) come from a Secret (valueFrom.secretKeyRef), never a plain value.`,
  check: (m) =>
    SECRET_ENV_NAMES.flatMap((name) =>
      perContainer(m, (c) => envVar(c, name) === undefined || (envVar(c, name).value === undefined && envVar(c, name).valueFrom?.secretKeyRef !== undefined), `${name} must come from valueFrom.secretKeyRef, not a plain value`),
    ),
};

const METADATA = METADATA_ADDRESS;
const inCidr = (cidr: string, address: string): boolean => cidrContains(cidr.includes("/") ? cidr : `${cidr}/32`, address);

export const egressNoMetadata: ResourceRule = {
  name: "pomona-egress-no-metadata",
  description: "No egress rule allows every destination, and every address block holding 169.254.169.254 excepts it (node credentials).",
  check: (m) => {
    if (m.kind !== "NetworkPolicy") return [];
    return ((m.spec?.egress ?? []) as Loose[]).flatMap((rule, i) => {
      if (rule.to === undefined || rule.to.length === 0) return [`${describe(m)} egress rule ${i}: allows every destination; list the peers (DNS, Redis, the tier's own)`];
      return (rule.to as Loose[])
        .filter((peer) => peer.ipBlock !== undefined && inCidr(peer.ipBlock.cidr, METADATA) && !(peer.ipBlock.except ?? []).some((except: string) => inCidr(except, METADATA)))
        .map((peer) => `${describe(m)} egress rule ${i}: ${peer.ipBlock.cidr} includes the metadata address ${METADATA}; add except: ["${METADATA}/32"]`);
    });
  },
};

export const redisAclUser: ResourceRule = {
  name: "pomona-redis-acl-user",
  description: "Servers reach Redis as their role's ACL user (redis://<user>:…), never as the all-powerful default user, and read only their role's password Secret.",
  check: (m) =>
    perContainer(
      m,
      (c) => {
        const env = (c.env ?? []) as Loose[];
        const url = env.find((e) => e.name === "REDIS_URL")?.value;
        const password = env.find((e) => e.name === "REDIS_PASSWORD")?.valueFrom?.secretKeyRef?.name;
        return !(typeof url === "string" && /^rediss?:\/\/:/.test(url)) && password !== "redis-auth";
      },
      'must connect to Redis as its role\'s ACL user (REDIS_URL redis://pomona-<role>:$(REDIS_PASSWORD)@…, REDIS_PASSWORD from redis-auth-<role>), not the default user',
    ),
};

export const RESOURCE_RULES: ResourceRule[] = [
  nonRoot,
  readOnlyRootFilesystem,
  noPrivilegeEscalation,
  dropAllCapabilities,
  seccompRuntimeDefault,
  requestsAndLimits,
  probes,
  pinnedImages,
  redisClusterIpOnly,
  secretsByReference,
  egressNoMetadata,
  redisAclUser,
];

const workloads = (manifests: Manifest[]) => manifests.filter((m) => WORKLOAD_KINDS.includes(m.kind ?? "") && m.kind !== "Job");
const sameNamespace = (a: Manifest, b: Manifest) => (a.metadata?.namespace ?? "default") === (b.metadata?.namespace ?? "default");

export const pdbPerWorkload: StackRule = {
  name: "pomona-pdb-per-workload",
  description: "Every Deployment and StatefulSet has a PodDisruptionBudget selecting its pods.",
  check: (manifests) => {
    const budgets = manifests.filter((m) => m.kind === "PodDisruptionBudget");
    return workloads(manifests)
      .filter((w) => !budgets.some((b) => sameNamespace(b, w) && selectorMatches(b.spec?.selector as LabelSelector, podTemplate(w)!.labels)))
      .map((w) => ({ rule: pdbPerWorkload.name, resource: describe(w), message: `${describe(w)}: no PodDisruptionBudget selects its pods` }));
  },
};

export const networkPolicyCoverage: StackRule = {
  name: "pomona-network-policy-coverage",
  description: "Each namespace with workloads has a default-deny ingress NetworkPolicy, and each workload an allow policy selecting its pods.",
  check: (manifests) => {
    const policies = manifests.filter((m) => m.kind === "NetworkPolicy" && (m.spec?.policyTypes ?? ["Ingress"]).includes("Ingress"));
    const violations: Violation[] = [];
    const namespaces = new Set(workloads(manifests).map((w) => w.metadata?.namespace ?? "default"));
    for (const namespace of namespaces) {
      const denies = policies.some((p) => (p.metadata?.namespace ?? "default") === namespace && isEmptySelector(p.spec?.podSelector) && (p.spec?.ingress ?? []).length === 0);
      if (!denies) violations.push({ rule: networkPolicyCoverage.name, resource: `Namespace/${namespace}`, message: `namespace ${namespace} has no default-deny ingress NetworkPolicy (podSelector {}, no ingress rules)` });
    }
    for (const w of workloads(manifests)) {
      const covered = policies.some((p) => sameNamespace(p, w) && !isEmptySelector(p.spec?.podSelector) && selectorMatches(p.spec?.podSelector, podTemplate(w)!.labels));
      if (!covered) violations.push({ rule: networkPolicyCoverage.name, resource: describe(w), message: `${describe(w)}: no NetworkPolicy selects its pods (who may reach them is undeclared)` });
    }
    return violations;
  },
};

export const trustUidDevelopmentOnly: StackRule = {
  name: "pomona-trust-uid-development-only",
  description: `A gate that trusts client-claimed uids (AUTH_MODE=trust-uid) runs only in a Namespace labelled ${LABELS.environment}=development.`,
  check: (manifests) => {
    const environmentOf = new Map(manifests.filter((m) => m.kind === "Namespace").map((m) => [m.metadata?.name ?? "default", m.metadata?.labels?.[LABELS.environment]]));
    return workloads(manifests)
      .filter((w) => containersOf(w).some((c) => envVar(c.spec, "AUTH_MODE")?.value === "trust-uid"))
      .filter((w) => environmentOf.get(w.metadata?.namespace ?? "default") !== "development")
      .map((w) => ({
        rule: trustUidDevelopmentOnly.name,
        resource: describe(w),
        message: `${describe(w)}: AUTH_MODE=trust-uid lets any client log in as any player; its Namespace is not labelled ${LABELS.environment}=development (set pomona:environment: development on a development stack, else pomona:auth.mode jwt, webhook or anonymous)`,
      }));
  },
};

export const egressPerWorkload: StackRule = {
  name: "pomona-egress-per-workload",
  description: "Each namespace denies egress by default, and each workload has an egress policy: whom it may reach is declared.",
  check: (manifests) => {
    const egressPolicies = manifests.filter((m) => m.kind === "NetworkPolicy" && (m.spec?.policyTypes ?? []).includes("Egress"));
    const violations: Violation[] = [];
    const namespaces = new Set(workloads(manifests).map((w) => w.metadata?.namespace ?? "default"));
    for (const namespace of namespaces) {
      const denies = egressPolicies.some((p) => (p.metadata?.namespace ?? "default") === namespace && isEmptySelector(p.spec?.podSelector) && (p.spec?.egress ?? []).length === 0);
      if (!denies) violations.push({ rule: egressPerWorkload.name, resource: `Namespace/${namespace}`, message: `namespace ${namespace} has no default-deny egress NetworkPolicy (podSelector {}, policyTypes Egress, no egress rules)` });
    }
    for (const w of workloads(manifests)) {
      const covered = egressPolicies.some((p) => sameNamespace(p, w) && !isEmptySelector(p.spec?.podSelector) && selectorMatches(p.spec?.podSelector, podTemplate(w)!.labels));
      if (!covered) violations.push({ rule: egressPerWorkload.name, resource: describe(w), message: `${describe(w)}: no NetworkPolicy declares its egress (whom it may reach)` });
    }
    return violations;
  },
};

export const quotaPerNamespace: StackRule = {
  name: "pomona-quota-per-namespace",
  description: "Each namespace with workloads has a ResourceQuota (pods, CPU and memory limits) and a LimitRange with a per-container max.",
  check: (manifests) => {
    const violations: Violation[] = [];
    for (const namespace of new Set(workloads(manifests).map((w) => w.metadata?.namespace ?? "default"))) {
      const inNamespace = (kind: string) => manifests.filter((m) => m.kind === kind && (m.metadata?.namespace ?? "default") === namespace);
      const quotaOk = inNamespace("ResourceQuota").some((q) => ["pods", "limits.cpu", "limits.memory"].every((key) => q.spec?.hard?.[key] !== undefined));
      if (!quotaOk) violations.push({ rule: quotaPerNamespace.name, resource: `Namespace/${namespace}`, message: `namespace ${namespace} has no ResourceQuota bounding pods, limits.cpu and limits.memory` });
      const rangeOk = inNamespace("LimitRange").some((r) => (r.spec?.limits ?? []).some((limit: Loose) => limit.type === "Container" && limit.max?.cpu !== undefined && limit.max?.memory !== undefined));
      if (!rangeOk) violations.push({ rule: quotaPerNamespace.name, resource: `Namespace/${namespace}`, message: `namespace ${namespace} has no LimitRange with a Container max (cpu, memory)` });
    }
    return violations;
  },
};

/** A Role granting `create` on pods or deployments: whoever holds it can start code in the namespace. */
const createsPods = (role: Manifest): boolean =>
  ((role.rules ?? []) as Loose[]).some((rule) => (rule.verbs ?? []).includes("create") && (rule.resources ?? []).some((resource: string) => ["pods", "deployments"].includes(resource)));

export const creatorAdmission: StackRule = {
  name: "pomona-creator-admission",
  description: "A ServiceAccount that may create pods or Deployments is bound by a ValidatingAdmissionPolicy (failurePolicy Fail) matched to its requests, with a binding that denies in its namespace.",
  check: (manifests) => {
    const policies = manifests.filter((m) => m.kind === "ValidatingAdmissionPolicy");
    const bindings = manifests.filter((m) => m.kind === "ValidatingAdmissionPolicyBinding");
    const violations: Violation[] = [];
    for (const binding of manifests.filter((m) => m.kind === "RoleBinding")) {
      const role = manifests.find((m) => m.kind === "Role" && m.metadata?.name === (binding.roleRef as Loose)?.name && sameNamespace(m, binding));
      if (role === undefined || !createsPods(role)) continue;
      for (const subject of ((binding.subjects ?? []) as Loose[]).filter((s) => s.kind === "ServiceAccount")) {
        const username = `system:serviceaccount:${subject.namespace ?? binding.metadata?.namespace}:${subject.name}`;
        const policy = policies.find(
          (p) => p.spec?.failurePolicy === "Fail" && (p.spec?.matchConditions ?? []).some((c: Loose) => String(c.expression).includes(`'${username}'`)) && (p.spec?.validations ?? []).length > 0,
        );
        const bound =
          policy !== undefined &&
          bindings.some(
            (b) =>
              b.spec?.policyName === policy.metadata?.name &&
              (b.spec?.validationActions ?? []).includes("Deny") &&
              b.spec?.matchResources?.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === (subject.namespace ?? binding.metadata?.namespace),
          );
        if (!bound) violations.push({ rule: creatorAdmission.name, resource: describe(binding), message: `${username} may create pods (Role ${role.metadata?.name}) but no ValidatingAdmissionPolicy with failurePolicy Fail matches its requests, or no binding denies in its namespace` });
      }
    }
    return violations;
  },
};

export const routeNoCollision: StackRule = {
  name: "pomona-route-no-collision",
  description: "No two Ingress paths or HTTPRoute matches claim the same host and path, and no two Ingresses of one class declare the same host (except F5 NGINX mergeable master/minions).",
  check: (manifests) => routeCollisions(manifests).map((collision) => ({ rule: routeNoCollision.name, ...collision })),
};

export const STACK_RULES: StackRule[] = [pdbPerWorkload, networkPolicyCoverage, trustUidDevelopmentOnly, egressPerWorkload, quotaPerNamespace, creatorAdmission, routeNoCollision];

/** Every rule over a set of manifests: what the tests assert is empty for each shipped stack. */
export function checkAll(manifests: Manifest[]): Violation[] {
  const perResource = manifests.flatMap((m) => RESOURCE_RULES.flatMap((rule) => rule.check(m).map((message) => ({ rule: rule.name, resource: describe(m), message }))));
  return [...perResource, ...STACK_RULES.flatMap((rule) => rule.check(manifests))];
}
