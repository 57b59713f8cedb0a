/**
 * The gate: a Deployment that hands each player the least-loaded live connector's public address
 * and a signed connect token, behind a public LoadBalancer Service. It also serves the demo page.
 * Its metrics are on a private port with a Service of their own, for the scraper only.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { AUTH_ENV } from "../../services/src/auth/identity/config";
import type { FrontDoorConfig, StackConfig } from "../config-schema";
import { fieldEnv, metricsAnnotations, plainEnv, podDisruptionBudget, secretEnv, type EnvVar } from "../hardening";
import { NAMES, objectLabels, PORTS, selectorLabels } from "../names";
import { publicPort } from "./connector";
import type { TierContext } from "./context";
import { networkPolicy, tcp, type EgressRule } from "./network-policy";
import { privateMetricsService, publicLoadBalancer, serverContainer, serverPodSpec, surgeFirstDeployment } from "./workload";

export interface GateManifestArgs extends TierContext {
  gate: StackConfig["gate"];
  frontDoor: FrontDoorConfig;
  allowedOrigins?: string[];
  /** Player identity (AUTH_* env); its secrets come from the `gate-auth` Secret. */
  auth: StackConfig["auth"];
}

/** The stack's secrets of the gate's auth mode: they reach the pod by Secret reference only. */
export interface GateAuthSecrets {
  /** HS256 secrets, comma-separated (jwt mode without a JWKS). */
  jwtSecrets?: pulumi.Input<string>;
  /** What the gate sends the studio's webhook as its bearer token. */
  webhookSecret?: pulumi.Input<string>;
}

/** Keys of the `gate-auth` Secret. */
const AUTH_SECRET_KEYS = { jwtSecrets: "jwtSecrets", webhookSecret: "webhookSecret" } as const;

/** AUTH_* as gate-main reads them: the mode's plain settings as values, its secrets as secretKeyRefs. */
export function gateAuthEnv(auth: StackConfig["auth"]): EnvVar[] {
  const plain = Object.fromEntries(Object.entries(auth).map(([field, value]) => [AUTH_ENV[field as keyof typeof AUTH_ENV], Array.isArray(value) ? value.join(",") : (value as string | number)]));
  const secrets: EnvVar[] = [];
  if (auth.mode === "jwt" && auth.jwksUrl === undefined) secrets.push(secretEnv(AUTH_ENV.hs256Secrets, NAMES.gateAuthSecret, AUTH_SECRET_KEYS.jwtSecrets));
  if (auth.mode === "webhook") secrets.push(secretEnv(AUTH_ENV.secret, NAMES.gateAuthSecret, AUTH_SECRET_KEYS.webhookSecret));
  return [...plainEnv(plain), ...secrets];
}

/** The `gate-auth` Secret, when the mode has secrets (HS256 secrets, the webhook's secret). */
export function buildGateAuthSecret(namespace: string, secrets: GateAuthSecrets): k8s.core.v1.SecretArgs | undefined {
  const stringData: Record<string, pulumi.Input<string>> = {};
  if (secrets.jwtSecrets !== undefined) stringData[AUTH_SECRET_KEYS.jwtSecrets] = secrets.jwtSecrets;
  if (secrets.webhookSecret !== undefined) stringData[AUTH_SECRET_KEYS.webhookSecret] = secrets.webhookSecret;
  if (Object.keys(stringData).length === 0) return undefined;
  return { metadata: { name: NAMES.gateAuthSecret, namespace, labels }, type: "Opaque", stringData };
}

const labels = objectLabels("gate");
const selector = selectorLabels("gate");
const PRE_STOP_SEC = 5;
/** WORKDIR /app + services/dist/site, where the Dockerfile's build stage puts the demo bundle. */
export const GATE_SITE_DIR = "/app/services/dist/site";

/** FRONT_DOOR and the fields of that mode, as gate-main reads them. */
function frontDoorEnv(frontDoor: FrontDoorConfig) {
  const common = { PUBLIC_PORT: publicPort(frontDoor) };
  if (frontDoor.mode === "subdomain") return { FRONT_DOOR: "subdomain", DOMAIN: frontDoor.domain, PUBLIC_TLS: frontDoor.tls !== undefined, ...common };
  return { FRONT_DOOR: "loadbalancer", PUBLIC_HOST: frontDoor.publicHost, PUBLIC_TLS: frontDoor.tls, ...common };
}

export function buildGateDeployment(args: GateManifestArgs): k8s.apps.v1.DeploymentArgs {
  const container = serverContainer({
    name: "gate",
    image: args.image,
    entryPoint: "services/dist/src/gate/gate-main.js",
    ports: { http: PORTS.gate, metrics: PORTS.metrics },
    env: [
      fieldEnv("GATE_ID", "metadata.name"),
      fieldEnv("ADVERTISE_HOST", "status.podIP"),
      ...plainEnv({
        HOST: "0.0.0.0",
        PORT: PORTS.gate,
        // /metrics there only: the public LoadBalancer reaches PORT.
        METRICS_PORT: PORTS.metrics,
        HEARTBEAT_SEC: args.heartbeatSec,
        ALLOWED_ORIGINS: args.allowedOrigins?.join(","),
        // The browser demo, bundled into the image by services/Dockerfile.
        SITE_DIR: GATE_SITE_DIR,
        RATE_LIMIT_PER_SEC: args.gate.rateLimit?.perSec,
        RATE_LIMIT_BURST: args.gate.rateLimit?.burst,
        ...frontDoorEnv(args.frontDoor),
      }),
      ...gateAuthEnv(args.auth),
      secretEnv("TOKEN_SECRETS", NAMES.connectTokenSecret, "secrets"),
      ...args.serverEnv.gate,
    ],
    resources: args.gate.resources,
    preStopSec: PRE_STOP_SEC,
  });
  return surgeFirstDeployment({
    name: NAMES.gate,
    namespace: args.namespace,
    labels,
    selector,
    replicas: args.gate.replicas,
    podAnnotations: metricsAnnotations(PORTS.metrics),
    pod: serverPodSpec(args, container, { terminationGracePeriodSeconds: PRE_STOP_SEC + 20, spreadSelector: selector }),
  });
}

/** Players' first stop: public. TLS, when wanted, is terminated by the cloud LB (annotations). */
export function buildGateService(args: GateManifestArgs): k8s.core.v1.ServiceArgs {
  return publicLoadBalancer({
    name: NAMES.gate,
    namespace: args.namespace,
    labels,
    annotations: args.gate.serviceAnnotations,
    selector,
    port: { name: "http", port: args.gate.servicePort, targetPort: "http" },
  });
}

export function buildGateMetricsService(args: GateManifestArgs): k8s.core.v1.ServiceArgs {
  return privateMetricsService({ name: NAMES.gateMetricsService, namespace: args.namespace, labels, selector });
}

export function buildGatePodDisruptionBudget(args: GateManifestArgs): k8s.policy.v1.PodDisruptionBudgetArgs {
  return podDisruptionBudget(NAMES.gate, args.namespace, labels, selector);
}

/**
 * Where the gate's auth mode sends it: the studio's JWKS or webhook host, usually outside the cluster
 * and on an address nobody can pin, so any address on that URL's port (the metadata address excepted
 * by the builder). Other modes call out to nobody.
 */
export function gateAuthEgress(auth: StackConfig["auth"]): EgressRule[] {
  const url = auth.mode === "jwt" ? auth.jwksUrl : auth.mode === "webhook" ? auth.url : undefined;
  if (url === undefined) return [];
  const parsed = new URL(url);
  const port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  return [{ ports: tcp(port), to: [{ cidrs: ["0.0.0.0/0"] }] }];
}

/** The gate is public: anyone may reach its port; only the scrapers its metrics port. */
export function buildGateNetworkPolicy(args: GateManifestArgs): k8s.networking.v1.NetworkPolicyArgs {
  return networkPolicy({
    name: NAMES.gate,
    namespace: args.namespace,
    component: "gate",
    podSelector: selector,
    ingress: [
      { ports: [PORTS.gate], from: ["anywhere"] },
      { ports: [PORTS.metrics], from: [{ namespaces: args.scrapeNamespaces }] },
    ],
    // Names, Redis (discovery) and the studio's identity endpoint if its auth mode has one: the gate calls no peer.
    egress: [args.egress.dns, args.egress.redis, ...gateAuthEgress(args.auth)],
  });
}
