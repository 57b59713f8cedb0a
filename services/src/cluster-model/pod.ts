/**
 * What every Pomona pod shares: requests and limits, a preStop pause, the scrape annotations, env from
 * the downward API, spreading over nodes, and the pod-level defaults (no service-account token, no
 * service-link env vars).
 */
import type { EnvVar, PodSpec, Resources, StringMap, TopologySpreadConstraint } from "./kube-objects";
import { podSecurityContext } from "./security";

/** A copy, so no two objects share the stack's config object. */
export function resources(spec: Resources): Resources {
  return { requests: { ...spec.requests }, limits: { ...spec.limits } };
}

/** Wait before SIGTERM so kube-proxy, nginx and the gate stop sending new players here first. */
export function preStopSleep(seconds: number): { preStop: { exec: { command: string[] } } } {
  return { preStop: { exec: { command: ["sleep", String(seconds)] } } };
}

/** Annotations that Prometheus' kubernetes-pods scrape config reads. */
export function metricsAnnotations(port: number): StringMap {
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": "/metrics" };
}

/** Env vars from the downward API (the pod's own name and IP) and from Secrets. */
export const fieldEnv = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
export const secretEnv = (name: string, secret: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
export const plainEnv = (values: Record<string, string | number | boolean | undefined>): EnvVar[] =>
  Object.entries(values)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }));

/** Spread replicas over nodes when the scheduler can, so one node failure takes few players. */
export function spreadOverNodes(selector: StringMap): TopologySpreadConstraint[] {
  return [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }];
}

export interface PodOptions<C, V> {
  uid: number;
  containers: C[];
  volumes?: V[];
  terminationGracePeriodSeconds: number;
  serviceAccountName?: string;
  /** Only the game-creator talks to the Kubernetes API. */
  automountServiceAccountToken?: boolean;
  imagePullSecret?: string;
  spreadSelector?: StringMap;
}

/**
 * A pod spec with the defaults every tier shares: no service-account token unless asked, no
 * service-link env vars (a Service named `redis` would otherwise inject REDIS_PORT=tcp://…).
 */
export function podSpec<C, V>(options: PodOptions<C, V>): PodSpec<C, V> {
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
