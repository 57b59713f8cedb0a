/**
 * What every tier's manifests need from the rest of the stack: where they live, the server image,
 * the env every server shares (Redis, discovery namespace, route dictionary) and who may scrape them.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RedisRole } from "../../services/src/redis/acl";
import type { EnvVar } from "../hardening";
import type { EgressRule } from "./network-policy";

export interface TierContext {
  namespace: string;
  /** The services image, pinned by digest (`…/pomona-services@sha256:…`). */
  image: pulumi.Input<string>;
  imagePullSecret?: string;
  /** Per Redis role: REDIS_URL (and that role's REDIS_PASSWORD before it), POMONA_NAMESPACE, and POMONA_ROUTES where it is read. */
  serverEnv: Record<RedisRole, EnvVar[]>;
  /** Namespaces whose pods may scrape /metrics. */
  scrapeNamespaces: string[];
  heartbeatSec: number;
  /** Egress every tier needs: name resolution, and (servers) Redis. */
  egress: { dns: EgressRule; redis: EgressRule };
}
