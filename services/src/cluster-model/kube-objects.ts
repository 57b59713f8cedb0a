/**
 * The few Kubernetes object shapes the cluster model builds, as plain data: no Pulumi and no
 * @kubernetes/client-node types, so the stacks (Pulumi inputs) and the game-creator (API bodies) take
 * the same objects. `Image` and `Env` are type parameters because a stack's image digest and some of
 * its env values are only known once Pulumi resolves them; the creator's are plain strings.
 */

export type StringMap = Record<string, string>;

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: StringMap;
  annotations?: StringMap;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

export interface HttpGetProbe {
  httpGet: { path: string; port: string | number; scheme?: "HTTP" | "HTTPS" };
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold?: number;
}

export interface SecurityContext {
  runAsNonRoot: boolean;
  runAsUser: number;
  runAsGroup: number;
  allowPrivilegeEscalation: boolean;
  readOnlyRootFilesystem: boolean;
  capabilities: { drop: string[] };
  seccompProfile: { type: "RuntimeDefault" };
}

export interface PodSecurityContext {
  runAsNonRoot: boolean;
  runAsUser: number;
  runAsGroup: number;
  fsGroup?: number;
  seccompProfile: { type: "RuntimeDefault" };
}

/** Quantities as the scheduler reads them (`250m`, `512Mi`). */
export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface Container<Image = string, Env = EnvVar> {
  name: string;
  image: Image;
  command: string[];
  ports: Array<{ name: string; containerPort: number }>;
  env: Env[];
  securityContext: SecurityContext;
  resources: Resources;
  startupProbe?: HttpGetProbe;
  livenessProbe?: HttpGetProbe;
  readinessProbe?: HttpGetProbe;
  lifecycle?: { preStop: { exec: { command: string[] } } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface EmptyDirVolume {
  name: string;
  emptyDir: { sizeLimit: string };
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule";
  labelSelector: { matchLabels: StringMap };
}

export interface PodSpec<C = Container, V = EmptyDirVolume> {
  securityContext: PodSecurityContext;
  automountServiceAccountToken: boolean;
  enableServiceLinks: boolean;
  terminationGracePeriodSeconds: number;
  restartPolicy?: "Always" | "Never";
  /** With `subdomain`: the pod's own DNS name under a headless Service. */
  hostname?: string;
  subdomain?: string;
  serviceAccountName?: string;
  imagePullSecrets?: Array<{ name: string }>;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers: C[];
  volumes?: V[];
}

export interface Deployment<P = PodSpec> {
  apiVersion: "apps/v1";
  kind: "Deployment";
  metadata: ObjectMeta;
  spec: {
    replicas: number;
    selector: { matchLabels: StringMap };
    strategy: { type: "RollingUpdate"; rollingUpdate: { maxUnavailable: number; maxSurge: number } };
    template: { metadata: { labels: StringMap; annotations: StringMap }; spec: P };
  };
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort: string;
}

export interface Service {
  apiVersion: "v1";
  kind: "Service";
  metadata: ObjectMeta;
  spec: {
    type: "ClusterIP";
    /** "None": headless, one DNS record per ready pod. */
    clusterIP?: "None";
    publishNotReadyAddresses?: boolean;
    selector: StringMap;
    ports: ServicePort[];
  };
}

export interface Pod<Image = string> {
  apiVersion: "v1";
  kind: "Pod";
  metadata: ObjectMeta;
  spec: PodSpec<Container<Image>, never>;
}
