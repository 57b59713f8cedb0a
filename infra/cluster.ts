/**
 * A whole Pomona game cluster as one component (`pomona:infra:PomonaCluster`), so a studio's own
 * Pulumi program can declare one — or several, each under its own name — next to its other
 * resources. The args are the stack file's keys (docs/config.md), validated the same way, with the
 * secrets as Pulumi Inputs (another resource's output, a `pulumi.secret`). Pass a Kubernetes
 * provider in the options (`{ provider }`) to target a cluster other than the ambient one.
 * `infra/index.ts` builds one from the stack file.
 */
import * as pulumi from "@pulumi/pulumi";
import { gameTypesWith } from "../services/src/game-types";
import { REDIS_ROLES, type RedisRole } from "../services/src/redis/acl";
import { creatorUrl, dnsRecords, gateUrl, type DnsRecord } from "./cluster-endpoints";
import { parsePomonaConfig, SECRET_KEYS, type ConfigSource, type PomonaConfig, type SecretKey, type StackConfigInput } from "./config-schema";
import { ConnectorTier } from "./connector-tier";
import { GameCreator } from "./game-creator";
import { Games } from "./games";
import { Gate } from "./gate";
import { plainEnv, type EnvVar } from "./hardening";
import { Images } from "./images";
import { connectorPublicUrl } from "./manifests/connector";
import { dnsEgress } from "./manifests/network-policy";
import { redisEgress } from "./manifests/redis";
import { Monitoring } from "./monitoring";
import { PomonaNamespace } from "./namespace";
import { NamespaceQuota } from "./quota";
import { Redis } from "./redis";
import { SubdomainProxy } from "./subdomain-proxy";

/** The stack file's keys as typed args, and its secrets as Inputs (omitted: generated, or not needed by the auth mode). */
export type PomonaClusterArgs = StackConfigInput & { readonly [Key in SecretKey]?: pulumi.Input<string> };

/** Problems name `args.<key>` of the component and point at docs/config.md. */
function argsSource(name: string): ConfigSource {
  return {
    what: `PomonaCluster "${name}"`,
    key: (top, rest) => `args.${[top, ...rest].join(".")}`,
    fix: (top, unknown) => (unknown ? "remove or rename it; the keys are listed in docs/config.md" : `set args.${top ?? "…"} as docs/config.md${top ? `#${top.toLowerCase()}` : ""} describes`),
    setSecret: (key, what) => `pass args.${key} as a pulumi.secret (${what})`,
    removeSecret: (key) => `leave args.${key} out`,
  };
}

export class PomonaCluster extends pulumi.ComponentResource {
  /** The validated config the cluster was built from (defaults filled in). */
  readonly config: PomonaConfig;
  readonly namespace: pulumi.Output<string>;
  readonly servicesImage: pulumi.Output<string>;
  /** Where players' clients ask for a connector: `https://<gate host>`, or the gate LoadBalancer's address until DNS exists. */
  readonly gateUrl: pulumi.Output<string | undefined>;
  /** Scenario 2: the URL each connector is reached at through the proxy (`{ordinal}` stands for N); scenario 1: undefined. */
  readonly proxyUrl: string | undefined;
  /** The URL players dial in scenario 1 (the connectors' LoadBalancer); the proxy's template in scenario 2. */
  readonly connectorUrl: string;
  readonly connectorHosts: string[];
  /** The records to create in DNS, with the LoadBalancer addresses once assigned. */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** Viewer WebSockets of the static games, ws:// where the viewer route has no TLS. */
  readonly viewerUrls: string[];
  /** The game-creator's API inside the cluster, and its bearer token (secret); undefined without a creator. */
  readonly creatorUrl: string | undefined;
  readonly creatorToken: pulumi.Output<string> | undefined;
  readonly redisEndpoint: pulumi.Output<string>;

  constructor(name: string, args: PomonaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pomona:infra:PomonaCluster", name, {}, opts);
    const secrets = new Map(SECRET_KEYS.flatMap((key) => (args[key] === undefined ? [] : [[key, args[key]] as const])));
    const config = parsePomonaConfig(name, args as Record<string, unknown>, argsSource(name));
    this.config = config;
    const secret = (key: SecretKey) => (secrets.has(key) ? pulumi.secret(secrets.get(key)!) : undefined);
    const own = { parent: this };
    const named = (concern: string) => `${name}-${concern}`;

    const tokenSecrets = secret("tokenSecrets");
    const namespace = new PomonaNamespace(named("namespace"), { namespace: config.namespace, environment: config.environment, ...(tokenSecrets ? { tokenSecrets } : {}) }, own);
    const inNamespace = { parent: this, dependsOn: namespace.dependencies };

    new NamespaceQuota(named("quota"), { config }, inNamespace);
    const images = new Images(named("images"), { images: config.images, defaultTag: name }, own);
    const redis = new Redis(named("redis"), { namespace: config.namespace, clusterDomain: config.clusterDomain, discoveryNamespace: config.discoveryNamespace, redis: config.redis }, inNamespace);
    const sharedEnv = plainEnv({ POMONA_NAMESPACE: config.discoveryNamespace });
    // Only connectors and game servers encode routes and bodies; the gate and the creator never read them.
    const routesEnv = plainEnv({ POMONA_ROUTES: config.routes?.join(","), POMONA_PROTOS: config.protos && JSON.stringify(config.protos) });
    const readsRoutes = (role: RedisRole) => role === "connector" || role === "game";
    const tier = {
      namespace: config.namespace,
      image: images.servicesRef,
      ...(config.images.pullSecret ? { imagePullSecret: config.images.pullSecret } : {}),
      serverEnv: Object.fromEntries(REDIS_ROLES.map((role) => [role, [...redis.clientEnv[role], ...sharedEnv, ...(readsRoutes(role) ? routesEnv : [])]])) as Record<RedisRole, EnvVar[]>,
      scrapeNamespaces: config.metrics.scrapeNamespaces,
      heartbeatSec: config.heartbeatSec,
      egress: { dns: dnsEgress(config.dns), redis: redisEgress(config.redis) },
    };
    const origins = config.allowedOrigins ? { allowedOrigins: config.allowedOrigins } : {};

    const connectors = new ConnectorTier(named("connectors"), { ...tier, ...origins, connector: config.connector, frontDoor: config.frontDoor }, inNamespace);
    const authJwtSecrets = secret("authJwtSecrets");
    const authWebhookSecret = secret("authWebhookSecret");
    const authSecrets = { ...(authJwtSecrets ? { jwtSecrets: authJwtSecrets } : {}), ...(authWebhookSecret ? { webhookSecret: authWebhookSecret } : {}) };
    const gate = new Gate(named("gate"), { ...tier, ...origins, gate: config.gate, frontDoor: config.frontDoor, auth: config.auth, authSecrets }, inNamespace);
    const frontDoor = config.frontDoor;
    const proxy =
      frontDoor.mode === "subdomain"
        ? new SubdomainProxy(named("proxy"), { ...tier, frontDoor, proxy: config.proxy, connectorReplicas: config.connector.replicas, clusterDomain: config.clusterDomain }, inNamespace)
        : undefined;
    const viewer = config.viewer;
    const games = new Games(
      named("games"),
      { ...tier, ...(viewer ? { viewer } : {}), games: config.games, gameTypes: gameTypesWith(config.gameTypes), viewerTimeoutSec: config.viewerTimeoutSec, creatorOwnsIngressPaths: config.gameCreator.enabled },
      inNamespace,
    );
    const creatorToken = secret("creatorToken");
    const creator =
      config.gameCreator.enabled && viewer
        ? new GameCreator(
            named("game-creator"),
            { ...tier, creatorImage: images.creatorRef, clusterDomain: config.clusterDomain, gameCreator: config.gameCreator, studioGameTypes: config.gameTypes, viewer, games: config.games, ...(creatorToken ? { token: creatorToken } : {}) },
            { parent: this, dependsOn: [...namespace.dependencies, games] },
          )
        : undefined;
    if (config.metrics.serviceMonitor) new Monitoring(named("monitoring"), { namespace: config.namespace, serviceMonitorLabels: config.metrics.serviceMonitorLabels }, inNamespace);

    this.namespace = namespace.name;
    this.servicesImage = images.servicesRef;
    this.gateUrl = gate.publicAddress.apply((address) => gateUrl(config.gate, address));
    this.connectorUrl = connectorPublicUrl(frontDoor);
    this.proxyUrl = proxy ? this.connectorUrl : undefined;
    this.connectorHosts = connectors.publicHosts;
    this.dnsRecords = pulumi
      .all([gate.publicAddress, proxy?.publicAddress, connectors.publicAddress])
      .apply(([gateAddress, proxyAddress, connectorAddress]) => dnsRecords(config, { gate: gateAddress, proxy: proxyAddress, connectors: connectorAddress }));
    this.viewerUrls = games.viewerUrls;
    this.creatorUrl = creator ? creatorUrl(config) : undefined;
    this.creatorToken = creator ? pulumi.secret(creator.token) : undefined;
    this.redisEndpoint = redis.endpoint;
    this.registerOutputs({
      namespace: this.namespace,
      servicesImage: this.servicesImage,
      gateUrl: this.gateUrl,
      proxyUrl: this.proxyUrl,
      connectorUrl: this.connectorUrl,
      connectorHosts: this.connectorHosts,
      dnsRecords: this.dnsRecords,
      viewerUrls: this.viewerUrls,
      creatorUrl: this.creatorUrl,
      creatorToken: this.creatorToken,
      redisEndpoint: this.redisEndpoint,
    });
  }
}
