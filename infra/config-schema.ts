/**
 * The stack file (`stacks/Pulumi.<stack>.yaml`, keys `pomona:<key>`) as one validated, typed object
 * with defaults. Pure: `infra/config.ts` feeds it Pulumi's config, tests feed it plain objects. A bad
 * stack file throws ConfigError with one line per problem: the key, the reason and the fix.
 * Every key is documented in docs/config.md.
 */
import { z } from "zod";
import { ConfigError, issueReason } from "../services/src/config/validate";
import { HTTPROUTE_MAX_RULES } from "../services/src/game-creator/kubernetes/httproute-patch";
import { anonymousFields, AUTH_MODE_ERROR, jwtFields, trustUidFields, webhookFields } from "../services/src/auth/identity/config";
import { findGameType, gameTypeNames, gameTypesWith, studioGameTypesSchema } from "../services/src/game-types";
import { declareProtos } from "../services/src/protocol/protobuf/declare-protos";
import { DEFAULT_GAME_RESOURCES, gameSettingsSchema } from "../services/src/cluster-model";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,230}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** Kubernetes quantities as the scheduler reads them: `250m`, `1`, `512Mi`, `2Gi`. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;
const ANNOTATION_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/**
 * Third-party images, pinned by the digest of their multi-platform index. Each was read from two or
 * more public sources that pulled the tag (docs/deploy.md, "Images", says how to refresh one).
 */
export const THIRD_PARTY_IMAGES = {
  redis: "redis:7.4@sha256:71da9275c5f3fcb97d0fa0c8c5b36cc995327265420f17a04bfd544f458059f7",
  nginx: "nginxinc/nginx-unprivileged:1.27-alpine@sha256:65e3e85dbaed8ba248841d9d58a899b6197106c23cb0ff1a132b7bfe0547e4c0",
} as const;
/** `<name>[:<tag>]@sha256:<64 hex>`: a tag alone can move under a running cluster. */
const pinnedImage = (key: string) =>
  z
    .string()
    .regex(
      /^[a-z0-9]+([._/:-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$/,
      `must be pinned by digest, such as "${THIRD_PARTY_IMAGES[key as keyof typeof THIRD_PARTY_IMAGES]}": append @sha256:<digest of the multi-platform index> (\`docker buildx imagetools inspect <image>\` prints it as "Digest")`,
    );
/** A route-dictionary entry: dotted handler routes and push routes (`arena.room.join`, `onState`). */
const ROUTE = /^[A-Za-z0-9_.-]{1,255}$/;

const dnsLabel = (what: string) => z.string().regex(DNS_LABEL, `must be a lowercase DNS-1123 label (${what}): a-z, 0-9 and "-", at most 63 characters`);
const dnsName = (what: string, example: string) =>
  z.string().regex(DNS_NAME, `must be a lowercase DNS name (${what}) such as "${example}": a-z, 0-9, "-" and dots, no wildcard, no scheme, no trailing dot, at most 230 characters`);
const quantity = z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as "250m", "1", "256Mi" or "2Gi"');
const port = z.number().int().min(1).max(65535);
const replicas = (what: string, max = 1000) =>
  z
    .number({ error: `must be a whole number of ${what} replicas` })
    .int()
    .min(1, `must be at least 1: a tier with 0 replicas serves no player`)
    .max(max, `must be at most ${max}`);
const annotations = z.record(z.string().regex(ANNOTATION_KEY, "annotation keys look like prefix.example.com/name"), z.string());
const origins = z
  .array(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, 'must be an exact origin such as "https://play.example.com" (scheme, host, optional port; no path)'))
  .min(1)
  .optional();

/** Requests and limits of one container; every workload gets both (policy: requests-and-limits). */
const resourcesSchema = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) =>
  z
    .object({
      requests: z.object({ cpu: quantity.default(cpu), memory: quantity.default(memory) }).strict().default({ cpu, memory }),
      limits: z.object({ cpu: quantity.default(cpuLimit), memory: quantity.default(memoryLimit) }).strict().default({ cpu: cpuLimit, memory: memoryLimit }),
    })
    .strict()
    .default({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

export type Resources = z.output<ReturnType<typeof resourcesSchema>>;

/** TLS of the subdomain proxy: an existing `kubernetes.io/tls` Secret, or one cert-manager issues. */
const proxyTlsSchema = z
  .object({
    /** A `kubernetes.io/tls` Secret holding a wildcard certificate for `*.<domain>`. */
    secretName: dnsLabel("the TLS Secret").optional(),
    /** cert-manager issues the wildcard certificate into `<proxy>-tls` (DNS-01 is needed for wildcards). */
    certManager: z.object({ issuer: dnsLabel("the issuer"), kind: z.enum(["ClusterIssuer", "Issuer"]).default("ClusterIssuer") }).strict().optional(),
  })
  .strict()
  .refine((tls) => (tls.secretName === undefined) !== (tls.certManager === undefined), {
    message: "give exactly one of secretName (an existing TLS Secret) or certManager (an issuer that creates one)",
  });

const subdomainSchema = z
  .object({
    mode: z.literal("subdomain"),
    /** Wildcard DNS `*.<domain>` points at the proxy; the gate hands out `connector-N.<domain>`. */
    domain: dnsName("the wildcard domain", "play.example.com"),
    tls: proxyTlsSchema.optional(),
    /** Port the gate puts in connector URLs; default 443 with TLS, 80 without. */
    publicPort: port.optional(),
    serviceAnnotations: annotations.default({}),
  })
  .strict();

const loadBalancerSchema = z
  .object({
    mode: z.literal("loadbalancer"),
    /** DNS name of the connectors' LoadBalancer Service; the gate hands it out to every player. */
    publicHost: dnsName("the load balancer's public name", "ws.play.example.com"),
    /** TLS is terminated by the cloud load balancer (annotations), the gate hands out wss://. */
    tls: z.boolean().default(false),
    publicPort: port.optional(),
    serviceAnnotations: annotations.default({}),
  })
  .strict();

const frontDoorSchema = z.discriminatedUnion("mode", [subdomainSchema, loadBalancerSchema], {
  error: 'must be an object whose mode is "subdomain" (gate + nginx + wildcard DNS) or "loadbalancer" (one public address for all connectors)',
});

/** An IPv4 CIDR; egress rules to it always except the cloud metadata address. */
const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as "10.0.0.1/32" or "0.0.0.0/0"');

const externalRedisEgress = z
  .object({ cidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]), port: port.default(6379) })
  .strict()
  .default({ cidrs: ["0.0.0.0/0"], port: 6379 });

const inClusterRedisSchema = z
  .object({
    mode: z.literal("in-cluster"),
    image: pinnedImage("redis").default(THIRD_PARTY_IMAGES.redis),
    /** Omitted: data in an emptyDir (discovery heals in one TTL after a restart; session bindings are lost). */
    persistence: z.object({ size: quantity.default("1Gi"), storageClassName: dnsName("a StorageClass", "standard").optional() }).strict().optional(),
    resources: resourcesSchema("100m", "128Mi", "1", "512Mi"),
  })
  .strict();

const externalRedisSchema = z
  .object({
    mode: z.literal("external"),
    /** An existing Secret (e.g. from external-secrets) whose key holds the full `redis://` / `rediss://` URL with auth. */
    urlSecret: z.object({ name: dnsLabel("the Secret"), key: z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret data key") }).strict(),
    /** Where the servers may connect to reach it (egress policy). */
    egress: externalRedisEgress,
  })
  .strict();

const redisSchema = z.discriminatedUnion("mode", [inClusterRedisSchema, externalRedisSchema], {
  error: 'must be an object whose mode is "in-cluster" (a Redis StatefulSet with a generated password) or "external" (a URL from an existing Secret)',
});

export const CREATOR_LIMIT_DEFAULTS = { maxGames: 20, maxPlayersPerGame: 16, maxWorkers: 64 } as const;

const creatorLimitsSchema = z
  .object({
    maxGames: z.number().int().min(1).max(10_000).default(CREATOR_LIMIT_DEFAULTS.maxGames),
    maxPlayersPerGame: z.number().int().min(1).max(1_000).default(CREATOR_LIMIT_DEFAULTS.maxPlayersPerGame),
    maxWorkers: z.number().int().min(1).max(100_000).default(CREATOR_LIMIT_DEFAULTS.maxWorkers),
  })
  .strict()
  .default(CREATOR_LIMIT_DEFAULTS)
  .refine((limits) => limits.maxPlayersPerGame <= limits.maxWorkers, { message: "maxPlayersPerGame must not exceed maxWorkers (every player is one worker)", path: ["maxPlayersPerGame"] });

const gameSchema = z
  .object({
    /** `game-<id>` names the Deployment, the Service and the viewer path. */
    id: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/, 'must be 1-50 characters of a-z, 0-9 and "-", starting and ending with a letter or digit (it becomes game-<id>)'),
    /** A game type of the services image, or one of `pomona:gameTypes` (checked against both below). */
    type: z.string({ error: "must be a game type name such as arena" }).min(1),
    replicas: replicas("game server", 100),
    tickHz: z.number().int().min(1).max(120).optional(),
    /** GAME_SETTINGS: what the game reads with `ctx.settings` (as the game-creator's `settings`). */
    settings: gameSettingsSchema.optional(),
    resources: resourcesSchema(
      DEFAULT_GAME_RESOURCES.requests.cpu,
      DEFAULT_GAME_RESOURCES.requests.memory,
      DEFAULT_GAME_RESOURCES.limits.cpu,
      DEFAULT_GAME_RESOURCES.limits.memory,
    ),
  })
  .strict();

const ingressViewerSchema = z
  .object({
    kind: z.literal("ingress"),
    /** IngressClass of the controller (ingress-nginx is retired since March 2026: pick yours). */
    className: dnsLabel("the IngressClass"),
    /** Host of the viewer paths: browsers open `wss://<host>/game-<id>`. */
    host: dnsName("the viewer host", "games.play.example.com"),
    annotations: annotations.default({}),
    /** Annotation keys that take the WebSocket timeout in seconds (controller-specific, e.g. `nginx.ingress.kubernetes.io/proxy-read-timeout`). */
    timeoutAnnotations: z.array(z.string().regex(ANNOTATION_KEY, "annotation keys look like prefix.example.com/name")).default([]),
    /** A `kubernetes.io/tls` Secret for `host`. */
    tlsSecretName: dnsLabel("the TLS Secret").optional(),
    /** Namespaces of the controller's pods: the only sources allowed to reach the viewer port. */
    controllerNamespaces: z.array(dnsLabel("a namespace")).min(1, "must name the namespace(s) the ingress controller runs in, or nothing may reach the viewers"),
    timeoutSec: z.number().int().min(1).max(86_400).optional(),
  })
  .strict();

const gatewayViewerSchema = z
  .object({
    kind: z.literal("gateway"),
    /** Gateway API: the Gateway(s) the HTTPRoute attaches to. */
    parentRefs: z
      .array(z.object({ name: dnsLabel("the Gateway"), namespace: dnsLabel("a namespace").optional(), sectionName: dnsLabel("a listener").optional() }).strict())
      .min(1, "must name at least one Gateway"),
    hostnames: z.array(dnsName("a viewer host", "games.play.example.com")).min(1, "must list the viewer host(s)"),
    /** Whether the listener the routes attach to terminates TLS: browsers then open wss://, else ws://. */
    tls: z.boolean().default(true),
    controllerNamespaces: z.array(dnsLabel("a namespace")).min(1, "must name the namespace(s) the Gateway's data plane runs in, or nothing may reach the viewers"),
  })
  .strict();

const viewerSchema = z.discriminatedUnion("kind", [ingressViewerSchema, gatewayViewerSchema], {
  error: 'must be an object whose kind is "ingress" (networking.k8s.io Ingress) or "gateway" (Gateway API HTTPRoute)',
});

const imagesSchema = z
  .object({
    /** Where images are pushed: `ghcr.io/studio`, `localhost:5001` (kind's local registry). */
    registry: z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?(\/[a-z0-9._-]+)*$/, 'must be a registry and optional path such as "ghcr.io/studio" or "localhost:5001"'),
    repository: dnsLabel("the image repository").default("pomona-services"),
    tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a Docker tag").refine((tag) => tag !== "latest", "must not be latest: pods reference the digest, the tag only names the build").optional(),
    /** false: deploy `ref` as it is (built elsewhere). */
    build: z.boolean().default(true),
    /** Build (without pushing) during `pulumi preview` too, so a broken Dockerfile fails the PR. */
    buildOnPreview: z.boolean().default(false),
    push: z.boolean().default(true),
    platforms: z.array(z.enum(["linux/amd64", "linux/arm64"])).min(1).default(["linux/amd64"]),
    /** An image built elsewhere, pinned: `ghcr.io/studio/pomona-services@sha256:…`. */
    ref: z.string().regex(/^[a-z0-9.:/_-]+@sha256:[0-9a-f]{64}$/, "must be pinned by digest: <registry>/<repo>@sha256:<64 hex>").optional(),
    /** With `ref`: the game-creator's image built elsewhere (services/Dockerfile target game-creator), pinned the same way. */
    creatorRef: z.string().regex(/^[a-z0-9.:/_-]+@sha256:[0-9a-f]{64}$/, "must be pinned by digest: <registry>/<repo>@sha256:<64 hex>").optional(),
    /** An existing `kubernetes.io/dockerconfigjson` Secret for private registries. */
    pullSecret: dnsLabel("the pull Secret").optional(),
  })
  .strict()
  .refine((images) => images.build || images.ref !== undefined, { path: ["ref"], message: "is required when build is false (the digest-pinned image to deploy)" })
  .refine((images) => !images.build || images.push, {
    path: ["push"],
    // An image built but not pushed has no registry digest: the pods would reference `repo@` and never pull.
    message: "must be true when build is true: pods pull the image by the digest the push returns; set push: true, or build: false with ref: <registry>/<repo>@sha256:… of an image pushed elsewhere",
  });

/** Marks a stack as one where convenience may beat security (trust-uid); the namespace carries it as a label the policy pack reads. */
export const ENVIRONMENTS = ["development", "staging", "production"] as const;

/**
 * The gate's player identity (docs/gate.md#player-identity): the gate's own field schemas, with the
 * secrets (HS256 secrets, the webhook's secret) kept out: they are `pomona:authJwtSecrets` and
 * `pomona:authWebhookSecret`, Pulumi secrets that reach the gate through a Kubernetes Secret.
 */
const authSchema = z.discriminatedUnion("mode", [jwtFields.omit({ hs256Secrets: true }), webhookFields.omit({ secret: true }), anonymousFields, trustUidFields], {
  error: AUTH_MODE_ERROR.replace(" (AUTH_MODE)", ""),
});

export const stackConfigSchema = z
  .object({
    /** development | staging | production (default): only development may trust client-claimed uids. */
    environment: z.enum(ENVIRONMENTS, { error: 'must be "development", "staging" or "production"' }).default("production"),
    /** How the gate knows who a player is; required, there is no safe default to guess. */
    auth: authSchema,
    /** The Kubernetes namespace everything lives in. Default `pomona-<stack>`. */
    namespace: dnsLabel("the namespace").optional(),
    /** Discovery key prefix in Redis (POMONA_NAMESPACE). Default: the stack name. */
    discoveryNamespace: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 _ -").optional(),
    clusterDomain: dnsName("the cluster DNS domain", "cluster.local").default("cluster.local"),
    /** Connectors' and gate's heartbeat; nginx and ingress timeouts are kept above 2×. */
    heartbeatSec: z.number().int().min(1).max(300).default(10),
    /** Route dictionary (POMONA_ROUTES) shared by every server; omitted: routes travel as text. */
    routes: z.array(z.string().regex(ROUTE, "must be a route such as arena.room.join")).min(1).optional(),
    /** Pomelo protobuf protos `{server, client}` (POMONA_PROTOS) for clients with useProtobuf; omitted: JSON bodies only. */
    protos: z
      .record(z.string(), z.unknown())
      .optional()
      .superRefine((protos, ctx) => {
        if (protos === undefined) return;
        try {
          declareProtos(protos, "protos");
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `${(error as Error).message} (Pomelo's JSON proto format: docs/protocol.md#protobuf-bodies)` });
        }
      }),
    /** Browser origins allowed by gate and connectors; omitted: any origin. */
    allowedOrigins: origins,
    frontDoor: frontDoorSchema,
    gate: z
      .object({
        replicas: replicas("gate", 100).default(2),
        /** Annotations of the gate's LoadBalancer Service (cloud LB type, TLS certificate, …). */
        serviceAnnotations: annotations.default({}),
        /** 443 when the cloud load balancer terminates TLS, else 80. */
        servicePort: port.default(80),
        /** The DNS name players' clients ask (a record to the gate's LoadBalancer); omitted: its address. */
        publicHost: dnsName("the gate's public name", "gate.play.example.com").optional(),
        resources: resourcesSchema("100m", "128Mi", "500m", "256Mi"),
        /** Entry queries per client address (RATE_LIMIT_PER_SEC, RATE_LIMIT_BURST); omitted: the gate's defaults (5/s, burst 20). */
        rateLimit: z.object({ perSec: z.number().positive().max(100_000), burst: z.number().int().min(1).max(1_000_000) }).strict().optional(),
      })
      .strict()
      .default({ replicas: 2, serviceAnnotations: {}, servicePort: 80, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } }),
    connector: z
      .object({
        replicas: replicas("connector"),
        /** SIGTERM → staggered "reconnect" kicks spread over this long (DRAIN_TIMEOUT_MS). */
        drainTimeoutSec: z.number().int().min(1).max(3600).default(30),
        /** Sleep before SIGTERM so endpoints and the gate's view drop the pod first. */
        preStopSec: z.number().int().min(0).max(60).default(5),
        resources: resourcesSchema("500m", "512Mi", "2", "1Gi"),
      })
      .strict(),
    proxy: z
      .object({
        replicas: replicas("proxy", 100).default(2),
        image: pinnedImage("nginx").default(THIRD_PARTY_IMAGES.nginx),
        /** DNS servers nginx asks for pod addresses; default kube-dns. */
        resolvers: z.array(z.string().min(1)).min(1).optional(),
        maxConnectionsPerIp: z.number().int().min(1).max(1_000_000).optional(),
        workerConnections: z.number().int().min(64).max(1_000_000).optional(),
        preStopSec: z.number().int().min(0).max(60).default(5),
        /** Open WebSockets an old nginx pod keeps serving after a config change before it is killed. */
        drainSec: z.number().int().min(1).max(3600).default(60),
        resources: resourcesSchema("100m", "64Mi", "1", "256Mi"),
      })
      .strict()
      .default({ replicas: 2, image: THIRD_PARTY_IMAGES.nginx, preStopSec: 5, drainSec: 60, resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } } }),
    redis: redisSchema,
    /** A studio's game types, each run from its own image (built on @pomona/server): name → {image, main, maxReplicas, defaultTickHz}. */
    gameTypes: studioGameTypesSchema.default({}),
    games: z
      .array(gameSchema)
      .default([])
      .superRefine((games, ctx) => {
        const seen = new Set<string>();
        games.forEach((game, index) => {
          if (seen.has(game.id)) ctx.addIssue({ code: "custom", path: [index, "id"], message: `"${game.id}" is used twice: every game needs its own id` });
          seen.add(game.id);
        });
      }),
    /** How browsers reach `/game-<id>`; required as soon as there are games or a game-creator. */
    viewer: viewerSchema.optional(),
    gameCreator: z
      .object({
        enabled: z.boolean().default(false),
        resources: resourcesSchema("100m", "128Mi", "500m", "256Mi"),
        /** Namespaces whose pods may call the creator's API (it is never public; operators use port-forward). */
        apiClientNamespaces: z.array(dnsLabel("a namespace")).default([]),
        /** What the creator may hold (MAX_GAMES, MAX_PLAYERS_PER_GAME, MAX_WORKERS; 429 past them); the ResourceQuota is sized from them. */
        limits: creatorLimitsSchema,
        /** CIDRs of the Kubernetes API server (the only address outside the cluster the creator may reach, on 443 and 6443). */
        apiServerCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]),
      })
      .strict()
      .default({
        enabled: false,
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        apiClientNamespaces: [],
        limits: CREATOR_LIMIT_DEFAULTS,
        apiServerCidrs: ["0.0.0.0/0"],
      }),
    /** The namespace's ResourceQuota (pods and object counts are derived from the stack) and LimitRange. */
    quota: z
      .object({
        requestsCpu: quantity.default("16"),
        requestsMemory: quantity.default("32Gi"),
        limitsCpu: quantity.default("64"),
        limitsMemory: quantity.default("64Gi"),
        /** Largest container the namespace admits (LimitRange max). */
        containerMaxCpu: quantity.default("2"),
        containerMaxMemory: quantity.default("2Gi"),
      })
      .strict()
      .default({ requestsCpu: "16", requestsMemory: "32Gi", limitsCpu: "64", limitsMemory: "64Gi", containerMaxCpu: "2", containerMaxMemory: "2Gi" }),
    /** Where every pod may resolve names (egress to DNS only there). */
    dns: z
      .object({ namespace: dnsLabel("the DNS namespace").default("kube-system"), podLabels: z.record(z.string(), z.string()).default({ "k8s-app": "kube-dns" }) })
      .strict()
      .default({ namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } }),
    images: imagesSchema,
    metrics: z
      .object({
        /** A prometheus-operator ServiceMonitor (needs its CRD in the cluster). */
        serviceMonitor: z.boolean().default(false),
        /** Labels your Prometheus selects ServiceMonitors by (e.g. `release: kube-prometheus-stack`). */
        serviceMonitorLabels: z.record(z.string(), z.string()).default({}),
        /** Namespaces whose pods may scrape /metrics. */
        scrapeNamespaces: z.array(dnsLabel("a namespace")).default(["monitoring"]),
      })
      .strict()
      .default({ serviceMonitor: false, serviceMonitorLabels: {}, scrapeNamespaces: ["monitoring"] }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.auth.mode === "trust-uid" && cfg.environment !== "development") {
      ctx.addIssue({
        code: "custom",
        path: ["auth", "mode"],
        message: `trust-uid lets any client log in as any player: it is for development stacks only (this one is ${cfg.environment}); use jwt, webhook or anonymous, or set pomona:environment: development on a stack no real player reaches`,
      });
    }
    const gameTypes = gameTypesWith(cfg.gameTypes);
    cfg.games.forEach((game, index) => {
      const type = findGameType(gameTypes, game.type);
      if (type === undefined) {
        ctx.addIssue({ code: "custom", path: ["games", index, "type"], message: `"${game.type}" is not a known game type: a static game is one of ${gameTypeNames(gameTypes)}, or a studio type you declare under pomona:gameTypes.${game.type} with its image and main` });
      } else if (game.replicas > type.maxReplicas) {
        ctx.addIssue({ code: "custom", path: ["games", index, "replicas"], message: `must be at most ${type.maxReplicas}: a ${game.type} game runs at most ${type.maxReplicas} replica(s)` });
      }
    });
    if ((cfg.games.length > 0 || cfg.gameCreator.enabled) && cfg.viewer === undefined) {
      ctx.addIssue({ code: "custom", path: ["viewer"], message: "is required when there are games or a game-creator: browsers reach /game-<id> through an Ingress or an HTTPRoute" });
    }
    const timeout = cfg.viewer?.kind === "ingress" ? cfg.viewer.timeoutSec : undefined;
    if (timeout !== undefined && timeout <= 2 * cfg.heartbeatSec) {
      ctx.addIssue({ code: "custom", path: ["viewer", "timeoutSec"], message: `must be above 2 × heartbeatSec (${2 * cfg.heartbeatSec} s), or the ingress cuts idle viewers; omit it for 3 × heartbeatSec` });
    }
    if (cfg.gameCreator.enabled && !cfg.images.build && cfg.images.creatorRef === undefined) {
      ctx.addIssue({ code: "custom", path: ["images", "creatorRef"], message: "is required with build: false and a game-creator: the digest-pinned image of services/Dockerfile's game-creator target (the services image lacks its Kubernetes client)" });
    }
    if (cfg.gameCreator.enabled && cfg.viewer?.kind === "gateway" && cfg.gameCreator.limits.maxGames > HTTPROUTE_MAX_RULES) {
      ctx.addIssue({
        code: "custom",
        path: ["gameCreator", "limits", "maxGames"],
        message: `must be at most ${HTTPROUTE_MAX_RULES} with viewer.kind gateway (it is ${cfg.gameCreator.limits.maxGames}): the creator's HTTPRoute holds one rule per game and the Gateway API caps a route at ${HTTPROUTE_MAX_RULES}`,
      });
    }
  });

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfig = z.output<typeof stackConfigSchema>;
export type GameConfig = StackConfig["games"][number];
export type FrontDoorConfig = StackConfig["frontDoor"];
export type ViewerConfig = NonNullable<StackConfig["viewer"]>;

/** Keys that hold secrets: read with `requireSecret`, never part of the plain object. */
export const SECRET_KEYS = ["tokenSecrets", "creatorToken", "authJwtSecrets", "authWebhookSecret"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** The validated config plus what the program derives from the stack name. */
export interface PomonaConfig extends StackConfig {
  readonly stack: string;
  readonly namespace: string;
  readonly discoveryNamespace: string;
  /** The WebSocket timeout for the viewer route: above 2 × heartbeat. */
  readonly viewerTimeoutSec: number;
  /** Which secret keys the stack file sets (the rest are generated). */
  readonly givenSecrets: ReadonlySet<SecretKey>;
}

/** Bytes every connect-token secret needs (the gate and connectors refuse shorter ones). */
export const MIN_TOKEN_SECRET_BYTES = 32;

/** How a problem names the key and its fix: the stack file's `pomona:` keys, or a PomonaCluster's args. */
export interface ConfigSource {
  /** What the ConfigError says it is checking. */
  readonly what: string;
  key(top: string, rest: string[]): string;
  fix(top: string | undefined, unknown: boolean): string;
  setSecret(key: SecretKey, what: string): string;
  removeSecret(key: SecretKey): string;
}

export function stackFileSource(stack: string): ConfigSource {
  const file = `stacks/Pulumi.${stack}.yaml`;
  return {
    what: `stack "${stack}"`,
    key: (top, rest) => `pomona:${top}${rest.length ? `.${rest.join(".")}` : ""}`,
    fix: (top, unknown) => {
      if (top === undefined) return `edit ${file} (docs/config.md)`;
      if (unknown) return `remove or rename it in ${file}; the keys are listed in docs/config.md`;
      return `set pomona:${top} in ${file} as described in docs/config.md#${top.toLowerCase()}`;
    },
    setSecret: (key, what) => `pulumi config set --secret --stack ${stack} pomona:${key} "…" (${what})`,
    removeSecret: (key) => `pulumi config rm --stack ${stack} pomona:${key}`,
  };
}

/**
 * Validates a stack's `pomona:*` values (secret values only checked, never kept). `raw` maps the key
 * without its `pomona:` prefix to the parsed YAML value.
 */
export function parseStackConfig(stack: string, raw: Record<string, unknown>): PomonaConfig {
  return parsePomonaConfig(stack, raw, stackFileSource(stack));
}

/**
 * The same checks for any source: `name` stands for the stack's name (default namespace, discovery
 * namespace, image tag). A secret that is not a plain string yet (a Pulumi Output) counts as given;
 * its value is checked where it is known.
 */
export function parsePomonaConfig(stack: string, raw: Record<string, unknown>, source: ConfigSource): PomonaConfig {
  const plain: Record<string, unknown> = {};
  const issues: string[] = [];
  const givenSecrets = new Set<SecretKey>();
  for (const [key, value] of Object.entries(raw)) {
    if ((SECRET_KEYS as readonly string[]).includes(key)) {
      if (value === undefined) continue;
      givenSecrets.add(key as SecretKey);
      if (typeof value !== "object" || value === null) issues.push(...checkSecret(source, key as SecretKey, value));
    } else {
      plain[key] = value;
    }
  }
  const result = stackConfigSchema.safeParse(plain);
  if (!result.success) {
    for (const issue of result.error.issues) {
      // One line per unknown key, named in full: a typo is never ignored.
      const paths = issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
      for (const path of paths) {
        const [top, ...rest] = path.map(String);
        const key = top === undefined ? "(config)" : source.key(top, rest);
        const reason = issue.code === "unrecognized_keys" ? "is not a known key (typo?)" : issueReason(issue);
        issues.push(`${key}: ${reason} — fix: ${source.fix(top, issue.code === "unrecognized_keys")}`);
      }
    }
  }
  if (result.success) issues.push(...checkAuthSecrets(source, result.data.auth, givenSecrets));
  if (issues.length > 0 || !result.success) throw new ConfigError(source.what, issues);
  const cfg = result.data;
  return {
    ...cfg,
    stack,
    namespace: cfg.namespace ?? `pomona-${stack}`,
    discoveryNamespace: cfg.discoveryNamespace ?? stack.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64),
    viewerTimeoutSec: (cfg.viewer?.kind === "ingress" ? cfg.viewer.timeoutSec : undefined) ?? 3 * cfg.heartbeatSec,
    givenSecrets,
  };
}

/** The secrets a mode needs are given, and only those: HS256 secrets or a JWKS URL for jwt, the webhook's secret for webhook. */
function checkAuthSecrets(source: ConfigSource, auth: StackConfig["auth"], given: ReadonlySet<SecretKey>): string[] {
  const set = (key: SecretKey, what: string) => source.setSecret(key, what);
  const name = (key: string) => source.key(key, []);
  const issues: string[] = [];
  const jwtSecrets = given.has("authJwtSecrets");
  if (auth.mode === "jwt" && (auth.jwksUrl === undefined) === !jwtSecrets) {
    issues.push(`${name("auth")}.jwksUrl: give exactly one of ${name("auth")}.jwksUrl or the secret ${name("authJwtSecrets")} — fix: set jwksUrl to the studio's JWKS, or ${set("authJwtSecrets", "comma-separated HS256 secrets, each from `openssl rand -base64 48`")} and remove jwksUrl`);
  }
  if (auth.mode !== "jwt" && jwtSecrets) issues.push(`${name("authJwtSecrets")}: only the jwt mode reads it — fix: ${source.removeSecret("authJwtSecrets")}`);
  if (auth.mode === "webhook" && !given.has("authWebhookSecret")) {
    issues.push(`${name("authWebhookSecret")}: is required with auth.mode webhook (the gate proves itself to the studio with it) — fix: ${set("authWebhookSecret", "`openssl rand -base64 48`, the value the studio's endpoint expects")}`);
  }
  if (auth.mode !== "webhook" && given.has("authWebhookSecret")) issues.push(`${name("authWebhookSecret")}: only the webhook mode reads it — fix: ${source.removeSecret("authWebhookSecret")}`);
  return issues;
}

function checkSecret(source: ConfigSource, key: SecretKey, value: unknown): string[] {
  const fix = `${source.setSecret(key, "or leave it out to have one generated")}`;
  if (typeof value !== "string" || value.length === 0) return [`${source.key(key, [])}: must be a non-empty secret string — fix: ${fix}`];
  if (key === "tokenSecrets" || key === "authJwtSecrets" || key === "authWebhookSecret") {
    // The webhook's secret is one value; the others are comma-separated lists (rotation).
    const parts = key === "authWebhookSecret" ? [value] : value.split(",");
    const short = parts.filter((secret) => Buffer.byteLength(secret.trim(), "utf8") < MIN_TOKEN_SECRET_BYTES);
    if (short.length > 0) return [`${source.key(key, [])}: every comma-separated secret must be at least ${MIN_TOKEN_SECRET_BYTES} bytes (${short.length} is shorter) — fix: ${fix}, each from \`openssl rand -base64 48\``];
  }
  return [];
}
