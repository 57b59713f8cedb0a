/**
 * The shapes every Pomona server tier shares: a Node server container from the services image
 * (restricted, probed on its `http` port, preStop pause, writable /tmp only), its pod, and a
 * surge-first Deployment.
 */
import type { Container, Deployment, EmptyDirVolume, PodSpec, Resources, StringMap } from "./kube-objects";
import { podSpec, preStopSleep, resources, type PodOptions } from "./pod";
import { httpProbes } from "./probes";
import { containerSecurityContext, UIDS } from "./security";

export interface ServerContainerOptions<Image, Env> {
  name: string;
  image: Image;
  /** Under /app: `services/dist/...js`. */
  entryPoint: string;
  /** Node flags before the entry point (the role's own: node-flags.ts). */
  nodeArgs?: readonly string[];
  /** Named ports; `http` serves /healthz and /readyz, and /metrics unless a `metrics` port does. */
  ports: Record<string, number>;
  env: Env[];
  resources: Resources;
  preStopSec: number;
}

export function serverContainer<Image, Env>(options: ServerContainerOptions<Image, Env>): Container<Image, Env> {
  return {
    name: options.name,
    image: options.image,
    command: ["node", ...(options.nodeArgs ?? []), options.entryPoint],
    ports: Object.entries(options.ports).map(([name, containerPort]) => ({ name, containerPort })),
    env: options.env,
    securityContext: containerSecurityContext(UIDS.services),
    resources: resources(options.resources),
    ...httpProbes({ port: "http" }),
    lifecycle: preStopSleep(options.preStopSec),
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
  };
}

/** The pod of a server tier: one server container, an emptyDir /tmp, the stack's pull secret. */
export function serverPodSpec<C>(
  context: { imagePullSecret?: string },
  container: C,
  options: Omit<PodOptions<C, EmptyDirVolume>, "uid" | "containers" | "volumes" | "imagePullSecret">,
): PodSpec<C, EmptyDirVolume> {
  return podSpec({
    ...options,
    uid: UIDS.services,
    ...(context.imagePullSecret ? { imagePullSecret: context.imagePullSecret } : {}),
    containers: [container],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
  });
}

export interface DeploymentOptions<P> {
  name: string;
  namespace: string;
  labels: StringMap;
  selector: StringMap;
  replicas: number;
  pod: P;
  podAnnotations: StringMap;
}

/** A new pod is ready before an old one goes (maxUnavailable 0, maxSurge 1). */
export function surgeFirstDeployment<P>(options: DeploymentOptions<P>): Deployment<P> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: options.selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: { metadata: { labels: options.labels, annotations: options.podAnnotations }, spec: options.pod },
    },
  };
}
