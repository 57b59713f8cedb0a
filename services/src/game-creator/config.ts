/**
 * The game-creator's configuration, from its environment, validated at start (a wrong value fails
 * naming the variable and the fix). Durations say their unit.
 */
import type { V1EnvVar } from "@kubernetes/client-node";
import { z } from "zod";
import { parseConfig } from "../config/validate";
import { HTTPROUTE_MAX_RULES } from "./kubernetes/httproute-patch";
import { studioGameTypesSchema } from "../game-types";

const port = z.coerce.number().int().min(0).max(65535);
const dns = z.string().regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "must be a lowercase DNS-1123 label");

const envVarList = z
  .string()
  .transform((text, ctx) => {
    try {
      const value = JSON.parse(text) as unknown;
      if (Array.isArray(value) && value.every((entry) => typeof entry === "object" && entry !== null && typeof (entry as V1EnvVar).name === "string")) return value as V1EnvVar[];
    } catch {
      // reported below
    }
    ctx.addIssue({ code: "custom", message: 'must be a JSON array of Kubernetes EnvVar objects, e.g. [{"name":"REDIS_URL","valueFrom":{"secretKeyRef":{"name":"redis-auth","key":"url"}}}]' });
    return z.NEVER;
  });

const studioGameTypes = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a JSON object of studio game types, e.g. {"duel":{"image":"ghcr.io/studio/duel@sha256:…","main":"dist/main.js"}} (the stack\'s pomona:gameTypes)' });
      return z.NEVER;
    }
  })
  .pipe(studioGameTypesSchema);

export const creatorConfigSchema = z
  .object({
    PORT: port.default(8090),
    HOST: z.string().min(1).default("0.0.0.0"),
    CREATOR_TOKEN: z.string({ error: "is required: the API's bearer token" }).min(16, "must be at least 16 characters"),
    REDIS_URL: z.string({ error: "is required: the desired state lives in Redis" }).regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"),
    /** The REDIS_URL the local backend gives the games it starts (their own ACL user); default REDIS_URL. */
    GAME_REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").optional(),
    POMONA_NAMESPACE: z.string().min(1).max(64).default("default"),
    POMONA_ROUTES: z.string().optional(),
    BACKEND: z.enum(["kubernetes", "local"], { error: 'must be "kubernetes" (in a cluster) or "local" (npm start)' }),
    RESYNC_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
    FOLLOW_UP_MS: z.coerce.number().int().min(20).max(60_000).default(250),
    CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
    MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024).default(256 * 1024),
    WORKER_TURN_DEADLINE_MS: z.coerce.number().int().min(1).max(10_000).default(50),
    WORKER_MEMORY_MB: z.coerce.number().int().min(8).max(4096).default(32),
    /** What one creator may ask for; past these the API answers 429 (the namespace's ResourceQuota is the cluster's own bound). */
    MAX_GAMES: z.coerce.number().int().min(1).max(10_000).default(100),
    MAX_PLAYERS_PER_GAME: z.coerce.number().int().min(1).max(1_000).default(64),
    MAX_WORKERS: z.coerce.number().int().min(1).max(100_000).default(256),
    // Kubernetes backend
    POD_NAMESPACE: dns.optional(),
    /** The route object whose game entries the creator owns: an Ingress (rule 0) or a Gateway API HTTPRoute, one of the two. */
    INGRESS_NAME: dns.optional(),
    HTTPROUTE_NAME: dns.optional(),
    /** The stack's games that share the creator's Ingress (comma-separated ids): their paths are kept. */
    STATIC_GAME_IDS: z
      .string()
      .transform((text) => text.split(",").map((id) => id.trim()).filter(Boolean))
      .pipe(z.array(dns, { error: "must be comma-separated game ids (DNS-1123 labels)" }))
      .optional(),
    GAME_IMAGE: z.string().min(1).optional(),
    /** The stack's studio game types, each with its own image (`pomona:gameTypes`); the services image's types are always known. */
    GAME_TYPES: studioGameTypes.optional(),
    /** The cluster's DNS domain, in the names the games call their workers by. */
    CLUSTER_DOMAIN: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS domain such as "cluster.local"').default("cluster.local"),
    /** Extra env of every game server (the stack's Redis Secret references); default: REDIS_URL, POMONA_NAMESPACE, POMONA_ROUTES as plain values. */
    GAME_ENV: envVarList.optional(),
    // Local backend
    LOCAL_ROOT: z.string().min(1).optional(),
    LOCAL_RUNNER: z.enum(["tsx", "dist"]).optional(),
    WORKER_ENTRY: z.string().min(1).optional(),
    NGINX_ROUTES_FILE: z.string().min(1).optional(),
    NGINX_PID_FILE: z.string().min(1).optional(),
    PROXY_URL: z.string().url().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.MAX_PLAYERS_PER_GAME > value.MAX_WORKERS) {
      ctx.addIssue({ code: "custom", path: ["MAX_PLAYERS_PER_GAME"], message: `must not exceed MAX_WORKERS (${value.MAX_WORKERS}): raise MAX_WORKERS or lower MAX_PLAYERS_PER_GAME` });
    }
    if (value.BACKEND === "kubernetes") {
      for (const key of ["POD_NAMESPACE", "GAME_IMAGE"] as const) {
        if (value[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: "is required with BACKEND=kubernetes" });
      }
      if ((value.INGRESS_NAME === undefined) === (value.HTTPROUTE_NAME === undefined)) {
        ctx.addIssue({ code: "custom", path: ["INGRESS_NAME"], message: "give exactly one of INGRESS_NAME (the Ingress whose paths the creator owns) or HTTPROUTE_NAME (the HTTPRoute whose rules it owns) with BACKEND=kubernetes" });
      }
      if (value.HTTPROUTE_NAME !== undefined && value.MAX_GAMES > HTTPROUTE_MAX_RULES) {
        ctx.addIssue({ code: "custom", path: ["MAX_GAMES"], message: `must be at most ${HTTPROUTE_MAX_RULES} with HTTPROUTE_NAME: one HTTPRoute holds at most ${HTTPROUTE_MAX_RULES} rules, one per game` });
      }
    } else {
      const nginx = [value.NGINX_ROUTES_FILE, value.NGINX_PID_FILE, value.PROXY_URL].filter((v) => v !== undefined).length;
      if (nginx !== 0 && nginx !== 3) ctx.addIssue({ code: "custom", path: ["NGINX_ROUTES_FILE"], message: "NGINX_ROUTES_FILE, NGINX_PID_FILE and PROXY_URL go together (or none: no proxy)" });
    }
  });

export type CreatorConfig = z.output<typeof creatorConfigSchema>;

/** `env` with BACKEND defaulting to kubernetes inside a pod (KUBERNETES_SERVICE_HOST), local elsewhere. */
export function parseCreatorConfig(env: NodeJS.ProcessEnv): CreatorConfig {
  const input = { ...env, BACKEND: env.BACKEND ?? (env.KUBERNETES_SERVICE_HOST ? "kubernetes" : "local") };
  for (const key of Object.keys(input)) if ((input as Record<string, unknown>)[key] === "") delete (input as Record<string, unknown>)[key];
  return parseConfig("env", creatorConfigSchema, input);
}
