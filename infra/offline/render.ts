/**
 * The offline render: an evaluation's Kubernetes objects as one YAML stream, in a stable order,
 * secrets redacted, under a header that says plainly what this is and is not.
 */
import path from "node:path";
import { stringify } from "yaml";
import type { Evaluation, Manifest } from "./evaluate";

/** Apply order a reader expects: what others depend on first. */
const KIND_ORDER = [
  "Namespace",
  "NetworkPolicy",
  "Secret",
  "ConfigMap",
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "Certificate",
  "Service",
  "StatefulSet",
  "Deployment",
  "PodDisruptionBudget",
  "Ingress",
  "HTTPRoute",
  "ServiceMonitor",
];
const REDACTED = "<redacted: secret>";

const rank = (kind: string) => {
  const index = KIND_ORDER.indexOf(kind);
  return index === -1 ? KIND_ORDER.length : index;
};

export function sortManifests(manifests: Manifest[]): Manifest[] {
  return [...manifests].sort((a, b) => rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind) || a.metadata.name.localeCompare(b.metadata.name));
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item)]));
  return REDACTED;
}

/** Replaces every secret value (by path) with a marker; a Secret's data is never printed. */
function redact(manifest: Manifest, secretPaths: string[]): Manifest {
  const copy = structuredClone(manifest);
  const paths = manifest.kind === "Secret" ? [...secretPaths, "data", "stringData"] : secretPaths;
  for (const at of paths) {
    const keys = at.split(".").filter(Boolean);
    const last = keys.pop();
    if (last === undefined) continue;
    let parent: Record<string, unknown> | undefined = copy as Record<string, unknown>;
    for (const key of keys) parent = parent?.[key] as Record<string, unknown> | undefined;
    if (parent && last in parent) parent[last] = redactValue(parent[last]);
  }
  return copy;
}

export function renderYaml(evaluation: Evaluation): string {
  const indexed = evaluation.manifests.map((manifest, index) => redact(manifest, evaluation.secretPaths.get(index) ?? []));
  const manifests = sortManifests(indexed);
  const others = evaluation.others.filter((resource) => !resource.type.startsWith("pomona:infra:"));
  const header = [
    `# Pomona offline render of stack "${evaluation.stack}" (${path.relative(evaluation.root, evaluation.stackFile)})`,
    "#",
    "# THIS IS NOT `pulumi preview`. The Pulumi program was evaluated under Pulumi's runtime mocks: no",
    "# Pulumi CLI, no cluster, no provider plugin and no state were involved. It shows the objects the",
    "# program declares for this stack file; it cannot show drift, what the cluster already runs, or",
    "# values known only after a deployment. Image digests and generated passwords below are",
    "# deterministic placeholders; Secret data is redacted; LoadBalancer addresses are unknown.",
    "#",
    `# ${manifests.length} Kubernetes objects. Also declared (not Kubernetes objects):`,
    ...others.map((resource) => `#   ${resource.type} ${resource.name}`),
    "",
  ];
  const documents = manifests.map((manifest) => `---\n${stringify(manifest, { lineWidth: 0, sortMapEntries: false })}`);
  return `${header.join("\n")}${documents.join("")}`;
}
