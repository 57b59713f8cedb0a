/**
 * Redis: the in-cluster StatefulSet with a generated password, or an external Redis from an existing
 * Secret. Either way `clientEnv` is what every server puts in its environment.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PomonaComponent } from "./component";
import type { StackConfig } from "./config-schema";
import type { EnvVar } from "./hardening";
import {
  buildRedisAuthSecret,
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
  redis: StackConfig["redis"];
}

export class Redis extends PomonaComponent {
  /** REDIS_URL (and REDIS_PASSWORD before it) for every server container. */
  readonly clientEnv: EnvVar[];
  /** In-cluster address, or the Secret reference of the external URL. */
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Redis", name, opts);
    const { namespace, redis } = args;
    this.clientEnv = redisClientEnv(redis, namespace, args.clusterDomain);

    if (redis.mode === "external") {
      this.endpoint = pulumi.output(`secret ${redis.urlSecret.name}/${redis.urlSecret.key}`);
    } else {
      // The password Redis requires; alphanumeric so it sits in a redis:// URL unescaped.
      const password = new random.RandomPassword(`${name}-password`, { length: 40, special: false }, { parent: this });
      // Holds the password for clients and the `requirepass` line Redis includes.
      new k8s.core.v1.Secret(`${name}-auth`, buildRedisAuthSecret(namespace, password.result, pulumi.interpolate`requirepass ${password.result}\n`), this.child);
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
