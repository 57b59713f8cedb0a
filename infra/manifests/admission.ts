/**
 * What the game-creator may create, enforced by the API server whatever the creator's code does: a
 * ValidatingAdmissionPolicy (CEL, admissionregistration.k8s.io/v1) matched to requests of the
 * creator's ServiceAccount only, bound to the stack's namespace. Its Role already limits the kinds
 * (Deployments, Services, Pods); this limits their content to what `services/src/game-creator/
 * kubernetes/manifests.ts` builds from the cluster model: the stack's image digest, the creator's labels (a game or a worker,
 * never another tier), the restricted securityContext, no host namespaces, only emptyDir volumes, no
 * Secret but the games' own Redis password, and workers with no Secret at all.
 * The expressions are plain CEL (no Kubernetes-only functions), so the tests evaluate them as written.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY } from "../../services/src/cluster-model";
import { LABELS, NAMES } from "../names";

/** The creator's objects carry this. */
export const CREATOR_MANAGED_BY = MANAGED_BY.creator;

export interface CreatorAdmissionArgs {
  namespace: string;
  /** The stack's services image, by digest: what every worker runs, and every game but a studio type's. */
  image: string;
  /** The images of the stack's studio game types (pomona:gameTypes), by digest: a game's pods may run one of these instead. */
  studioImages: string[];
  /** Secrets a game's env may reference (the game role's Redis password). */
  allowedSecrets: string[];
}

export interface Validation {
  name: string;
  expression: string;
  message: string;
}

/** A CEL string literal. */
const literal = (text: string): string => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
const list = (items: string[]): string => `[${items.map(literal).join(", ")}]`;
/** `key` is in `map` and equals `value` (a missing key is a refusal, never an error). */
const labelIs = (map: string, key: string, value: string): string => `(${literal(key)} in ${map} && ${map}[${literal(key)}] == ${value})`;
const unsetOr = (field: string, allowed: string): string => `(!has(${field}) || ${allowed})`;

export const policyName = (namespace: string): string => `pomona-game-creator-${namespace}`;
export const creatorUsername = (namespace: string): string => `system:serviceaccount:${namespace}:${NAMES.gameCreator}`;

/** Evaluated in order; `pod` is only read for Deployments and Pods. */
export const ADMISSION_VARIABLES = [
  { name: "labels", expression: "has(object.metadata.labels) ? object.metadata.labels : {}" },
  { name: "isService", expression: "object.kind == 'Service'" },
  { name: "component", expression: "object.kind == 'Pod' ? 'worker' : 'game'" },
  { name: "pod", expression: "object.kind == 'Deployment' ? object.spec.template.spec : object.spec" },
  {
    name: "podLabels",
    expression: "object.kind == 'Deployment' ? (has(object.spec.template.metadata) && has(object.spec.template.metadata.labels) ? object.spec.template.metadata.labels : {}) : variables.labels",
  },
];

export function admissionValidations(args: CreatorAdmissionArgs): Validation[] {
  const c = "c.securityContext";
  return [
    {
      name: "creator-labels",
      expression: `${labelIs("variables.labels", LABELS.managedBy, literal(CREATOR_MANAGED_BY))} && ${labelIs("variables.labels", LABELS.partOf, "'pomona'")} && ${labelIs("variables.labels", LABELS.component, "variables.component")}`,
      message: `the game-creator's objects carry ${LABELS.managedBy}=${CREATOR_MANAGED_BY}, part-of=pomona and component game (Deployment, Service) or worker (Pod)`,
    },
    {
      name: "game-names",
      expression: "object.metadata.name.startsWith('game-')",
      message: "the game-creator's objects are named game-<id> or game-<id>-worker-<player>",
    },
    {
      name: "pod-labels",
      expression: `variables.isService || (${labelIs("variables.podLabels", LABELS.component, "variables.component")} && ${labelIs("variables.podLabels", LABELS.partOf, "'pomona'")})`,
      message: "the pods of a game are component=game and a worker is component=worker: never another tier's labels (NetworkPolicies select by them)",
    },
    {
      name: "internal-services",
      expression: `!variables.isService || (${unsetOr("object.spec.type", "object.spec.type == 'ClusterIP'")} && !has(object.spec.externalIPs) && has(object.spec.selector) && ${literal(LABELS.component)} in object.spec.selector && object.spec.selector[${literal(LABELS.component)}] in ['game', 'worker'] && ${literal(LABELS.game)} in object.spec.selector)`,
      message: "a game's Service is ClusterIP without external IPs and selects one game's server pods (game-<id>) or worker pods (game-<id>-workers)",
    },
    {
      name: "stack-image",
      expression: `variables.isService || (variables.pod.containers.all(c, c.image == ${literal(args.image)} || (object.kind == 'Deployment' && c.image in ${list(args.studioImages)})) && !has(variables.pod.initContainers) && !has(variables.pod.ephemeralContainers))`,
      message: `every container runs the stack's image ${args.image}${args.studioImages.length > 0 ? ` (a game's may run a studio image: ${args.studioImages.join(", ")})` : ""}, and there are no init or ephemeral containers`,
    },
    {
      name: "no-host-access",
      expression:
        "variables.isService || (" +
        ["hostNetwork", "hostPID", "hostIPC"].map((field) => unsetOr(`variables.pod.${field}`, `!variables.pod.${field}`)).join(" && ") +
        ` && ${unsetOr("variables.pod.volumes", "variables.pod.volumes.all(v, has(v.emptyDir))")} && !has(variables.pod.nodeName))`,
      message: "no host network, PID or IPC namespace, no volume but emptyDir (no hostPath, Secret, token or claim), no pinned node",
    },
    {
      name: "restricted-pod",
      expression:
        "variables.isService || (has(variables.pod.securityContext) && has(variables.pod.securityContext.runAsNonRoot) && variables.pod.securityContext.runAsNonRoot" +
        " && has(variables.pod.securityContext.seccompProfile) && variables.pod.securityContext.seccompProfile.type == 'RuntimeDefault'" +
        ` && ${unsetOr("variables.pod.securityContext.runAsUser", "variables.pod.securityContext.runAsUser != 0")})`,
      message: "pods run as non-root with the RuntimeDefault seccomp profile",
    },
    {
      name: "restricted-containers",
      expression:
        `variables.isService || variables.pod.containers.all(c, has(${c}) && has(${c}.allowPrivilegeEscalation) && !${c}.allowPrivilegeEscalation` +
        ` && ${unsetOr(`${c}.privileged`, `!${c}.privileged`)} && has(${c}.readOnlyRootFilesystem) && ${c}.readOnlyRootFilesystem` +
        ` && has(${c}.capabilities) && has(${c}.capabilities.drop) && 'ALL' in ${c}.capabilities.drop && !has(${c}.capabilities.add)` +
        ` && ${unsetOr(`${c}.runAsUser`, `${c}.runAsUser != 0`)})`,
      message: "containers: no privilege escalation, not privileged, read-only root, every capability dropped and none added, never uid 0",
    },
    {
      name: "allowed-secrets",
      expression:
        "variables.isService || variables.pod.containers.all(c, " +
        `${unsetOr("c.env", `c.env.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef) || e.valueFrom.secretKeyRef.name in ${list(args.allowedSecrets)})`)}` +
        ` && ${unsetOr("c.envFrom", "c.envFrom.all(f, !has(f.secretRef))")})`,
      message: `a game may reference only the Secrets ${args.allowedSecrets.join(", ")} (its own Redis password); nothing reads the token keys or another role's password`,
    },
    {
      name: "workers-hold-no-secret",
      expression: "object.kind != 'Pod' || variables.pod.containers.all(c, !has(c.envFrom) && (!has(c.env) || c.env.all(e, !has(e.valueFrom))))",
      message: "a worker runs a player's code: its env holds no reference to any Secret, ConfigMap or field",
    },
    {
      name: "no-api-token",
      expression: `variables.isService || (has(variables.pod.automountServiceAccountToken) && !variables.pod.automountServiceAccountToken && ${unsetOr("variables.pod.serviceAccountName", "variables.pod.serviceAccountName == 'default'")})`,
      message: "games and workers get no Kubernetes API token and no other ServiceAccount",
    },
  ];
}

export function buildCreatorAdmissionPolicy(args: Omit<CreatorAdmissionArgs, "image"> & { image: pulumi.Input<string> }): k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs {
  const operations = ["CREATE", "UPDATE"];
  return {
    metadata: { name: policyName(args.namespace), labels: { [LABELS.partOf]: "pomona", [LABELS.managedBy]: "pulumi" } },
    spec: {
      // An expression that cannot be evaluated refuses the request.
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          { apiGroups: ["apps"], apiVersions: ["v1"], operations, resources: ["deployments"] },
          { apiGroups: [""], apiVersions: ["v1"], operations, resources: ["pods", "services"] },
        ],
      },
      // Only the creator's own requests: the stack (Pulumi) and the controllers are not bound by it.
      matchConditions: [{ name: "from-the-game-creator", expression: `request.userInfo.username == ${literal(creatorUsername(args.namespace))}` }],
      variables: ADMISSION_VARIABLES,
      validations: pulumi.output(args.image).apply((image) => admissionValidations({ ...args, image }).map(({ expression, message }) => ({ expression, message, reason: "Forbidden" }))),
    },
  };
}

export function buildCreatorAdmissionBinding(namespace: string): k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingArgs {
  return {
    metadata: { name: policyName(namespace), labels: { [LABELS.partOf]: "pomona", [LABELS.managedBy]: "pulumi" } },
    spec: {
      policyName: policyName(namespace),
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } },
    },
  };
}
