/**
 * Redis: the in-cluster StatefulSet with one generated ACL user per role, or an external Redis from an
 * existing Secret. Either way `clientEnv[role]` is what that role's servers put in their environment.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PomonaComponent } from "./component";
import type { StackConfig } from "./config-schema";
import { aclUsersConf, REDIS_ROLES, type RedisRole } from "../services/src/redis/acl";
import type { EnvVar } from "./hardening";
import {
  buildRedisAuthSecret,
  buildRedisRoleSecret,
  buildRedisConfigMap,
  buildRedisNetworkPolicy,
  buildRedisPodDisruptionBudget,
  buildRedisService,
  buildRedisStatefulSet,
  redisClientEnv,
} from "./manifests/redis";

export interface RedisArgs {
  namespace: string;
  clusterDomain: string;
  /** POMONA_NAMESPACE: the key prefix the ACL users are confined to. */
  discoveryNamespace: string;
  redis: StackConfig["redis"];
}

export class Redis extends PomonaComponent {
  /** Per role: REDIS_URL (and REDIS_PASSWORD, that role's own, before it). */
  readonly clientEnv: Record<RedisRole, EnvVar[]>;
  /** In-cluster address, or the Secret reference of the external URL. */
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Redis", name, opts);
    const { namespace, redis } = args;
    this.clientEnv = Object.fromEntries(REDIS_ROLES.map((role) => [role, redisClientEnv(redis, namespace, args.clusterDomain, role)])) as Record<RedisRole, EnvVar[]>;

    if (redis.mode === "external") {
      this.endpoint = pulumi.output(`secret ${redis.urlSecret.name}/${redis.urlSecret.key}`);
    } else {
      // The operators' (`default` user) password; alphanumeric so it sits in a redis:// URL unescaped.
      const password = new random.RandomPassword(`${name}-password`, { length: 40, special: false }, { parent: this });
      const rolePasswords = Object.fromEntries(
        REDIS_ROLES.map((role) => {
          // Each role's own ACL password: a leaked one opens only that role's keys and commands.
          const rolePassword = new random.RandomPassword(`${name}-${role}-password`, { length: 40, special: false }, { parent: this }).result;
          // The role's pods reference this Secret and no other Redis secret.
          new k8s.core.v1.Secret(`${name}-auth-${role}`, buildRedisRoleSecret(namespace, role, rolePassword), this.child);
          return [role, rolePassword];
        }),
      ) as Record<RedisRole, pulumi.Output<string>>;
      const usersConf = pulumi.all([password.result, pulumi.all(rolePasswords)]).apply(([admin, roles]) => aclUsersConf(args.discoveryNamespace, admin, roles as Record<RedisRole, string>));
      // The operators' password and the `user` lines Redis includes (digests only).
      new k8s.core.v1.Secret(`${name}-auth`, buildRedisAuthSecret(namespace, password.result, usersConf), this.child);
      const configMap = buildRedisConfigMap(namespace, redis);
      const confHash = createHash("sha256").update(JSON.stringify(configMap.data)).digest("hex");
      // redis.conf: bind, persistence mode, the auth include.
      new k8s.core.v1.ConfigMap(`${name}-config`, configMap, this.child);
      // One Redis pod with a stable name and, when persistent, its own volume.
      new k8s.apps.v1.StatefulSet(`${name}-statefulset`, buildRedisStatefulSet(namespace, redis, confHash), this.child);
      // The one address servers use; ClusterIP, never exposed.
      const service = new k8s.core.v1.Service(`${name}-service`, buildRedisService(namespace), this.child);
      // Node drains wait for nothing else but keep the pod count honest.
      new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, buildRedisPodDisruptionBudget(namespace), this.child);
      // Only Pomona's servers reach 6379.
      new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildRedisNetworkPolicy(namespace), this.child);
      this.endpoint = pulumi.interpolate`${service.metadata.name}.${namespace}.svc.${args.clusterDomain}:6379`;
    }
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
