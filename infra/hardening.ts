/**
 * What every Pomona workload shares — the restricted securityContext, probes whose liveness never
 * depends on Redis, requests and limits, a preStop pause, metrics annotations, pod-level defaults —
 * is the cluster model's (services/src/cluster-model), which the game-creator builds from too. This
 * module names it for the infra modules, with the Pulumi input types they declare resources with.
 */
import type * as k8s from "@pulumi/kubernetes";

export {
  containerSecurityContext,
  fieldEnv,
  httpProbes,
  LIVENESS_PATH,
  metricsAnnotations,
  plainEnv,
  podSecurityContext,
  podSpec,
  preStopSleep,
  READINESS_PATH,
  resources,
  secretEnv,
  spreadOverNodes,
  type HttpProbeOptions,
  type PodOptions,
} from "../services/src/cluster-model";

export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type Container = k8s.types.input.core.v1.Container;
export type EnvVar = k8s.types.input.core.v1.EnvVar;
export type Volume = k8s.types.input.core.v1.Volume;

/** At most one pod of the tier down for voluntary disruptions (node drains); never blocks a drain. */
export function podDisruptionBudget(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>): k8s.policy.v1.PodDisruptionBudgetArgs {
  return {
    metadata: { name, namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}
