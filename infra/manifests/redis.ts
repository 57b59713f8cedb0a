/**
 * Redis for discovery, session bindings and the game registry: one StatefulSet behind a ClusterIP
 * Service, reachable only from Pomona's server pods, with one ACL user per role (services/src/redis/acl.ts:
 * the same rules `npm start` uses) whose passwords are generated Secrets. Or an external Redis whose
 * URL (with auth) lives in an existing Secret.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config-schema";
import { containerSecurityContext, plainEnv, podDisruptionBudget, podSpec, resources, secretEnv, type EnvVar } from "../hardening";
import { redisUsername, type RedisRole } from "../../services/src/redis/acl";
import { NAMES, objectLabels, PORTS, redisRoleSecret, selectorLabels, UIDS } from "../names";
import { networkPolicy, tcp, type EgressRule } from "./network-policy";

export type InClusterRedis = Extract<StackConfig["redis"], { mode: "in-cluster" }>;

const AUTH_CONF = "auth.conf";
const labels = objectLabels("redis");
const selector = selectorLabels("redis");

/** A role's `REDIS_URL`: in-cluster its own ACL user via $(REDIS_PASSWORD) expansion, or the external Secret's URL. */
export function redisClientEnv(redis: StackConfig["redis"], namespace: string, clusterDomain: string, role: RedisRole): EnvVar[] {
  if (redis.mode === "external") return [secretEnv("REDIS_URL", redis.urlSecret.name, redis.urlSecret.key)];
  return [
    // Defined before REDIS_URL: Kubernetes expands $(VAR) only from variables listed earlier.
    secretEnv("REDIS_PASSWORD", redisRoleSecret(role), "password"),
    ...plainEnv({ REDIS_URL: `redis://${redisUsername(role)}:$(REDIS_PASSWORD)@${NAMES.redis}.${namespace}.svc.${clusterDomain}:${PORTS.redis}` }),
  ];
}

/** How servers reach Redis: its pods on 6379, or the external address blocks and port of the stack. */
export function redisEgress(redis: StackConfig["redis"]): EgressRule {
  if (redis.mode === "external") return { ports: tcp(redis.egress.port), to: [{ cidrs: redis.egress.cidrs }] };
  return { ports: tcp(PORTS.redis), to: [{ tiers: ["redis"] }] };
}

/** One role's ACL password. */
export function buildRedisRoleSecret(namespace: string, role: RedisRole, password: pulumi.Input<string>): k8s.core.v1.SecretArgs {
  return { metadata: { name: redisRoleSecret(role), namespace, labels }, type: "Opaque", stringData: { password } };
}

/** The operator (`default` user) password, and every user as redis.conf `user` lines (digests only, never a command line). */
export function buildRedisAuthSecret(namespace: string, password: pulumi.Input<string>, authConf: pulumi.Input<string>): k8s.core.v1.SecretArgs {
  return {
    metadata: { name: NAMES.redisAuthSecret, namespace, labels },
    type: "Opaque",
    stringData: { password, [AUTH_CONF]: authConf },
  };
}

export function buildRedisConfigMap(namespace: string, redis: InClusterRedis): k8s.core.v1.ConfigMapArgs {
  const persistent = redis.persistence !== undefined;
  const conf = [
    "# Pomona discovery/session store. Auth comes from the Secret mounted at /etc/redis-auth.",
    "bind * -::*",
    `port ${PORTS.redis}`,
    "protected-mode yes",
    "dir /data",
    // Without a volume, snapshots would only fill the emptyDir: discovery re-registers every TTL/3 anyway.
    persistent ? "appendonly yes" : "appendonly no",
    persistent ? "save 3600 1 300 100 60 10000" : 'save ""',
    "maxmemory-policy noeviction",
    `include /etc/redis-auth/${AUTH_CONF}`,
    "",
  ].join("\n");
  return { metadata: { name: NAMES.redisConfig, namespace, labels }, data: { "redis.conf": conf } };
}

export function buildRedisStatefulSet(namespace: string, redis: InClusterRedis, configHash: string): k8s.apps.v1.StatefulSetArgs {
  const data = redis.persistence === undefined ? [{ name: "data", emptyDir: {} }] : [];
  return {
    metadata: { name: NAMES.redis, namespace, labels },
    spec: {
      serviceName: NAMES.redis,
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations: { "pomona.dev/config-sha256": configHash } },
        spec: podSpec({
          uid: UIDS.redis,
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: "redis",
              image: redis.image,
              command: ["redis-server", "/etc/redis/redis.conf"],
              ports: [{ name: "redis", containerPort: PORTS.redis }],
              env: [secretEnv("REDISCLI_AUTH", NAMES.redisAuthSecret, "password")],
              securityContext: containerSecurityContext(UIDS.redis),
              resources: resources(redis.resources),
              // Liveness is the TCP port only: a slow command must not get Redis restarted.
              startupProbe: { tcpSocket: { port: "redis" }, periodSeconds: 2, failureThreshold: 30 },
              livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { exec: { command: ["sh", "-c", "redis-cli -h 127.0.0.1 ping | grep -q PONG"] }, periodSeconds: 5, timeoutSeconds: 2 },
              volumeMounts: [
                { name: "config", mountPath: "/etc/redis", readOnly: true },
                { name: "auth", mountPath: "/etc/redis-auth", readOnly: true },
                { name: "data", mountPath: "/data" },
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: NAMES.redisConfig } },
            { name: "auth", secret: { secretName: NAMES.redisAuthSecret, items: [{ key: AUTH_CONF, path: AUTH_CONF }] } },
            ...data,
          ],
        }),
      },
      ...(redis.persistence === undefined
        ? {}
        : {
            volumeClaimTemplates: [
              {
                metadata: { name: "data", labels },
                spec: {
                  accessModes: ["ReadWriteOnce"],
                  resources: { requests: { storage: redis.persistence.size } },
                  ...(redis.persistence.storageClassName ? { storageClassName: redis.persistence.storageClassName } : {}),
                },
              },
            ],
          }),
    },
  };
}

/** ClusterIP only: Redis is never exposed outside the cluster. */
export function buildRedisService(namespace: string): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: NAMES.redis, namespace, labels },
    spec: { type: "ClusterIP", selector, ports: [{ name: "redis", port: PORTS.redis, targetPort: "redis" }] },
  };
}

export function buildRedisPodDisruptionBudget(namespace: string): k8s.policy.v1.PodDisruptionBudgetArgs {
  return podDisruptionBudget(NAMES.redis, namespace, labels, selector);
}

/** Only Pomona's servers reach 6379; Redis itself opens no connection (no egress rule). */
export function buildRedisNetworkPolicy(namespace: string): k8s.networking.v1.NetworkPolicyArgs {
  return networkPolicy({
    name: NAMES.redis,
    namespace,
    component: "redis",
    podSelector: selector,
    ingress: [{ ports: [PORTS.redis], from: [{ tiers: ["gate", "connector", "game", "game-creator"] }] }],
  });
}
