/**
 * Static games (`game-<id>` Deployment + Service each, built by the cluster model like the
 * game-creator's) and how browsers reach their viewers: one
 * Ingress with a `/game-<id>` path per game, or Gateway API HTTPRoutes. Plus the worker fence.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { viewerUrl } from "./cluster-endpoints";
import { PomonaComponent } from "./component";
import {
  buildGameDeployment,
  buildGamePodDisruptionBudget,
  buildGameService,
  buildGameWorkersService,
  buildGamesHttpRoutes,
  buildGamesIngress,
  buildGamesNetworkPolicy,
  buildWorkersNetworkPolicy,
  type GamesManifestArgs,
} from "./manifests/games";
import { gameName, NAMES } from "./names";

export type GamesArgs = GamesManifestArgs;

export class Games extends PomonaComponent {
  /** Viewer URLs of the static games. */
  readonly viewerUrls: string[];

  constructor(name: string, args: GamesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Games", name, opts);
    const services: pulumi.Resource[] = [];
    for (const game of args.games) {
      const id = `${name}-${gameName(game.id)}`;
      // The game servers: tick loop, channels, RPC from connectors.
      new k8s.apps.v1.Deployment(`${id}-deployment`, buildGameDeployment(args, game), this.child);
      // The viewer port the Ingress path points at.
      services.push(new k8s.core.v1.Service(`${id}-service`, buildGameService(args, game), this.child));
      // Game types with workers: the headless Service each worker pod's DNS name hangs under.
      const workers = buildGameWorkersService(args, game);
      if (workers) new k8s.core.v1.Service(`${id}-workers-service`, workers, this.child);
      // One game server of this game down at a time.
      new k8s.policy.v1.PodDisruptionBudget(`${id}-pdb`, buildGamePodDisruptionBudget(args, game), this.child);
    }
    const afterServices = { ...this.child, dependsOn: services };
    const ingress = buildGamesIngress(args, NAMES.gamesRoute, args.games);
    // Browsers open `/game-<id>` on the viewer host; the ingress controller forwards the WebSocket.
    // One Ingress per host (docs/ingress-routes.md): with a game-creator it holds the runtime paths too, and they are the creator's.
    if (ingress && (args.games.length > 0 || args.creatorOwnsIngressPaths)) {
      new k8s.networking.v1.Ingress(`${name}-ingress`, ingress, args.creatorOwnsIngressPaths ? { ...afterServices, ignoreChanges: ["spec.rules"] } : afterServices);
    }
    // Gateway API alternative to the Ingress.
    buildGamesHttpRoutes(args).forEach((route, index) => new k8s.apiextensions.CustomResource(`${name}-httproute-${index}`, route, afterServices));
    // Connectors → RPC, ingress/gateway and scrapers → viewer port; nothing else.
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildGamesNetworkPolicy(args), this.child);
    // Player code in workers may answer its game and reach nothing.
    new k8s.networking.v1.NetworkPolicy(`${name}-workers-netpol`, buildWorkersNetworkPolicy(args), this.child);
    const viewer = args.viewer;
    this.viewerUrls = viewer === undefined ? [] : args.games.map((game) => viewerUrl(viewer, game.id));
    this.registerOutputs({ viewerUrls: this.viewerUrls });
  }
}
