/**
 * The namespace's ResourceQuota and LimitRange: whatever creates pods here (a bug or a compromised
 * game-creator included), the total stays within what the stack declares. Pod, Deployment and
 * LoadBalancer counts are derived from the stack (its tiers' replicas, plus the creator's MAX_GAMES ×
 * the largest game, and MAX_WORKERS); CPU and memory totals and the largest container are the
 * `pomona:quota` keys.
 */
import type * as k8s from "@pulumi/kubernetes";
import { GAME_TYPES } from "../../services/src/cluster-model";
import type { PomonaConfig } from "../config-schema";
import { LABELS } from "../names";

export const QUOTA_NAME = "pomona";
const labels = { [LABELS.partOf]: "pomona", [LABELS.managedBy]: "pulumi" };

/** Replicas of one runtime game at most (the largest game type). */
export const MAX_RUNTIME_GAME_REPLICAS = Math.max(...Object.values(GAME_TYPES).map((type) => type.maxReplicas));

export interface QuotaCounts {
  pods: number;
  deployments: number;
  loadBalancers: number;
}

/** What the stack runs at most, a rolling update's surge pod per workload included. */
export function quotaCounts(config: Pick<PomonaConfig, "gate" | "connector" | "proxy" | "frontDoor" | "redis" | "games" | "gameCreator">): QuotaCounts {
  const subdomain = config.frontDoor.mode === "subdomain";
  const inClusterRedis = config.redis.mode === "in-cluster";
  const creator = config.gameCreator.enabled;
  const staticWorkloads = [config.gate.replicas, config.connector.replicas, subdomain ? config.proxy.replicas : 0, inClusterRedis ? 1 : 0, ...config.games.map((game) => game.replicas), creator ? 1 : 0].filter((n) => n > 0);
  const staticDeployments = 1 + (subdomain ? 1 : 0) + config.games.length + (creator ? 1 : 0);
  const { maxGames, maxWorkers } = config.gameCreator.limits;
  const runtimePods = creator ? maxGames * (MAX_RUNTIME_GAME_REPLICAS + 1) + maxWorkers : 0;
  return {
    pods: staticWorkloads.reduce((sum, n) => sum + n + 1, 0) + runtimePods,
    deployments: staticDeployments + (creator ? maxGames : 0),
    // The gate and the players' front door (the proxy, or the connectors' own load balancer).
    loadBalancers: 2,
  };
}

export function buildResourceQuota(namespace: string, quota: PomonaConfig["quota"], counts: QuotaCounts): k8s.core.v1.ResourceQuotaArgs {
  return {
    metadata: { name: QUOTA_NAME, namespace, labels },
    spec: {
      hard: {
        pods: String(counts.pods),
        "count/deployments.apps": String(counts.deployments),
        "services.loadbalancers": String(counts.loadBalancers),
        "services.nodeports": "0",
        "requests.cpu": quota.requestsCpu,
        "requests.memory": quota.requestsMemory,
        "limits.cpu": quota.limitsCpu,
        "limits.memory": quota.limitsMemory,
      },
    },
  };
}

/** Every container has both (the quota needs them): defaults for one that names none, and a ceiling for all. */
export function buildLimitRange(namespace: string, quota: PomonaConfig["quota"]): k8s.core.v1.LimitRangeArgs {
  return {
    metadata: { name: QUOTA_NAME, namespace, labels },
    spec: {
      limits: [
        {
          type: "Container",
          max: { cpu: quota.containerMaxCpu, memory: quota.containerMaxMemory },
          default: { cpu: "250m", memory: "256Mi" },
          defaultRequest: { cpu: "50m", memory: "64Mi" },
        },
      ],
    },
  };
}
