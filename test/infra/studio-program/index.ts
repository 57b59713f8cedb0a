/**
 * A studio's own Pulumi program that declares a Pomona game cluster beside its other resources: its
 * own Kubernetes provider, tokens from its own random resources (Inputs, not literals), and values
 * unlike any shipped stack — no TLS anywhere (so ws://), a gate host name, webhook auth, the F5 NGINX
 * Ingress layout with a game-creator. test/infra/pomona-cluster.test.ts runs it under Pulumi's mocks.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PomonaCluster } from "../../../infra/cluster";

const provider = new k8s.Provider("studio-cluster", { kubeconfig: "studio-kubeconfig", namespace: "studio-games" });
const creatorToken = new random.RandomPassword("studio-creator-token", { length: 40, special: false });
const webhookSecret = new random.RandomPassword("studio-webhook-secret", { length: 48, special: false });

export const cluster = new PomonaCluster(
  "studio-eu",
  {
    namespace: "studio-games",
    discoveryNamespace: "studio",
    environment: "staging",
    auth: { mode: "webhook", url: "https://accounts.studio.test/pomona/verify" },
    authWebhookSecret: webhookSecret.result,
    tokenSecrets: pulumi.secret("s".repeat(48)),
    frontDoor: { mode: "subdomain", domain: "play.studio.test" },
    gate: { replicas: 1, publicHost: "gate.play.studio.test" },
    connector: { replicas: 3 },
    proxy: { replicas: 1 },
    redis: { mode: "in-cluster" },
    games: [
      { id: "duel-1", type: "arena", replicas: 2 },
      { id: "duel-2", type: "arena", replicas: 1, tickHz: 30 },
    ],
    viewer: {
      kind: "ingress",
      className: "nginx",
      host: "watch.play.studio.test",
      timeoutAnnotations: ["nginx.org/proxy-read-timeout", "nginx.org/proxy-send-timeout"],
      controllerNamespaces: ["nginx-ingress"],
    },
    gameCreator: { enabled: true, limits: { maxGames: 8, maxPlayersPerGame: 4, maxWorkers: 16 } },
    creatorToken: creatorToken.result,
    images: { registry: "registry.studio.test/games", tag: "v7" },
  },
  { provider },
);

export const gateUrl = cluster.gateUrl;
export const proxyUrl = cluster.proxyUrl;
export const dnsRecords = cluster.dnsRecords;
export const viewerUrls = cluster.viewerUrls;
export const creatorUrl = cluster.creatorUrl;
export const gameCreatorToken = cluster.creatorToken;
