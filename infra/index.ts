/**
 * A Pomona game cluster: the components composed from the stack's config, and the stack outputs.
 */
import { config, secretFromStack } from "./config";
import { ConnectorTier } from "./connector-tier";
import { Gate } from "./gate";
import { GameCreator } from "./game-creator";
import { Games } from "./games";
import { Images } from "./images";
import { Monitoring } from "./monitoring";
import { PomonaNamespace } from "./namespace";
import { REDIS_ROLES, type RedisRole } from "../services/src/redis/acl";
import { plainEnv, type EnvVar } from "./hardening";
import { dnsEgress } from "./manifests/network-policy";
import { redisEgress } from "./manifests/redis";
import { NamespaceQuota } from "./quota";
import { Redis } from "./redis";
import { SubdomainProxy } from "./subdomain-proxy";

const tokenSecrets = secretFromStack("tokenSecrets");
const namespace = new PomonaNamespace("pomona", { namespace: config.namespace, environment: config.environment, ...(tokenSecrets ? { tokenSecrets } : {}) });
const inNamespace = { dependsOn: namespace.dependencies };

new NamespaceQuota("quota", { config }, inNamespace);
const images = new Images("images", { images: config.images, defaultTag: config.stack });
const redis = new Redis("redis", { namespace: config.namespace, clusterDomain: config.clusterDomain, discoveryNamespace: config.discoveryNamespace, redis: config.redis }, inNamespace);
const sharedEnv = plainEnv({ POMONA_NAMESPACE: config.discoveryNamespace });
// Only connectors and game servers encode routes; the gate and the creator never read the dictionary.
const routesEnv = plainEnv({ POMONA_ROUTES: config.routes?.join(",") });
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
const viewer = config.viewer ? { viewer: config.viewer } : {};

const connectors = new ConnectorTier("connectors", { ...tier, ...origins, connector: config.connector, frontDoor: config.frontDoor }, inNamespace);
const authJwtSecrets = secretFromStack("authJwtSecrets");
const authWebhookSecret = secretFromStack("authWebhookSecret");
const authSecrets = { ...(authJwtSecrets ? { jwtSecrets: authJwtSecrets } : {}), ...(authWebhookSecret ? { webhookSecret: authWebhookSecret } : {}) };
const gate = new Gate("gate", { ...tier, ...origins, gate: config.gate, frontDoor: config.frontDoor, auth: config.auth, authSecrets }, inNamespace);
const proxy =
  config.frontDoor.mode === "subdomain"
    ? new SubdomainProxy(
        "proxy",
        { ...tier, frontDoor: config.frontDoor, proxy: config.proxy, connectorReplicas: config.connector.replicas, clusterDomain: config.clusterDomain },
        inNamespace,
      )
    : undefined;
const games = new Games("games", { ...tier, ...viewer, games: config.games, viewerTimeoutSec: config.viewerTimeoutSec }, inNamespace);
const creatorToken = secretFromStack("creatorToken");
const creator =
  config.gameCreator.enabled && config.viewer?.kind === "ingress"
    ? new GameCreator(
        "game-creator",
        { ...tier, creatorImage: images.creatorRef, clusterDomain: config.clusterDomain, gameCreator: config.gameCreator, viewer: config.viewer, viewerTimeoutSec: config.viewerTimeoutSec, ...(creatorToken ? { token: creatorToken } : {}) },
        inNamespace,
      )
    : undefined;
if (config.metrics.serviceMonitor) new Monitoring("monitoring", { namespace: config.namespace, serviceMonitorLabels: config.metrics.serviceMonitorLabels }, inNamespace);

export const kubernetesNamespace = namespace.name;
export const servicesImage = images.servicesRef;
export const frontDoor = config.frontDoor.mode;
export const playerAuth = config.auth.mode;
export const gateAddress = gate.publicAddress;
export const connectorStatefulSet = connectors.statefulSetName;
export const connectorHeadlessService = connectors.headlessServiceName;
export const connectorPublicAddress = connectors.publicAddress;
export const proxyAddress = proxy?.publicAddress;
export const connectorHosts = connectors.publicHosts;
export const viewerUrls = games.viewerUrls;
export const redisEndpoint = redis.endpoint;
export const gameCreatorService = creator?.serviceName;
export const gameCreatorToken = creator?.token;
