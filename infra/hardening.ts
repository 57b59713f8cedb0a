/**
 * What every Pomona workload shares: the restricted securityContext, probes whose liveness never
 * depends on Redis, requests and limits, a preStop pause, metrics annotations, and the pod-level
 * defaults. Pure builders of plain Kubernetes objects; the components wrap them in resources.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { Resources } from "./config-schema";

export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type Container = k8s.types.input.core.v1.Container;
export type EnvVar = k8s.types.input.core.v1.EnvVar;
export type Volume = k8s.types.input.core.v1.Volume;

/** Pod level of the "restricted" Pod Security Standard, with a numeric uid the kubelet can verify. */
export function podSecurityContext(uid: number): k8s.types.input.core.v1.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } };
}

/** Container level of the "restricted" standard, plus a read-only root filesystem. */
export function containerSecurityContext(uid: number): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export interface HttpProbeOptions {
  /** Port name or number serving the health endpoints. */
  port: string | number;
  scheme?: "HTTP" | "HTTPS";
  /** Answers while the process is alive; never touches Redis (a Redis outage must not restart every pod). */
  livenessPath?: string;
  /** 503 while not registered or draining: the pod leaves the Service endpoints. */
  readinessPath?: string;
  /** How long start-up may take before liveness applies. */
  startupSeconds?: number;
}

export const LIVENESS_PATH = "/healthz";
export const READINESS_PATH = "/readyz";

/** startup + liveness on /healthz, readiness on /readyz (by default). */
export function httpProbes(options: HttpProbeOptions): Pick<Container, "startupProbe" | "livenessProbe" | "readinessProbe"> {
  const get = (path: string) => ({ path, port: options.port, scheme: options.scheme ?? "HTTP" });
  const startupSeconds = options.startupSeconds ?? 60;
  return {
    startupProbe: { httpGet: get(options.livenessPath ?? LIVENESS_PATH), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: Math.ceil(startupSeconds / 2) },
    livenessProbe: { httpGet: get(options.livenessPath ?? LIVENESS_PATH), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet: get(options.readinessPath ?? READINESS_PATH), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 2, successThreshold: 1 },
  };
}

export function resources(spec: Resources): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { ...spec.requests }, limits: { ...spec.limits } };
}

/** Wait before SIGTERM so kube-proxy, nginx and the gate stop sending new players here first. */
export function preStopSleep(seconds: number): k8s.types.input.core.v1.Lifecycle {
  return { preStop: { exec: { command: ["sleep", String(seconds)] } } };
}

/** Annotations that Prometheus' kubernetes-pods scrape config reads. */
export function metricsAnnotations(port: number): Record<string, string> {
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": "/metrics" };
}

/** Env vars from the downward API: the pod's own name and IP. */
export const fieldEnv = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
export const secretEnv = (name: string, secret: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
export const plainEnv = (values: Record<string, string | number | boolean | undefined>): EnvVar[] =>
  Object.entries(values)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }));

/** Spread replicas over nodes when the scheduler can, so one node failure takes few players. */
export function spreadOverNodes(selector: Record<string, string>): k8s.types.input.core.v1.TopologySpreadConstraint[] {
  return [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }];
}

export interface PodOptions {
  uid: number;
  containers: Container[];
  volumes?: k8s.types.input.core.v1.Volume[];
  terminationGracePeriodSeconds: number;
  serviceAccountName?: string;
  /** Only the game-creator talks to the Kubernetes API. */
  automountServiceAccountToken?: boolean;
  imagePullSecret?: string;
  spreadSelector?: Record<string, string>;
}

/**
 * A pod spec with the defaults every tier shares: no service-account token unless asked, no
 * service-link env vars (a Service named `redis` would otherwise inject REDIS_PORT=tcp://…).
 */
export function podSpec(options: PodOptions): PodSpec {
  return {
    securityContext: podSecurityContext(options.uid),
    automountServiceAccountToken: options.automountServiceAccountToken ?? false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: options.terminationGracePeriodSeconds,
    ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
    ...(options.imagePullSecret ? { imagePullSecrets: [{ name: options.imagePullSecret }] } : {}),
    ...(options.spreadSelector ? { topologySpreadConstraints: spreadOverNodes(options.spreadSelector) } : {}),
    containers: options.containers,
    ...(options.volumes ? { volumes: options.volumes } : {}),
  };
}

/** At most one pod of the tier down for voluntary disruptions (node drains); never blocks a drain. */
export function podDisruptionBudget(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>): k8s.policy.v1.PodDisruptionBudgetArgs {
  return {
    metadata: { name, namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}
