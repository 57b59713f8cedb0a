/** The gate: Deployment + public LoadBalancer Service; players ask it where to connect. Plus its private metrics Service. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PomonaComponent } from "./component";
import {
  buildGateAuthSecret,
  buildGateDeployment,
  buildGateMetricsService,
  buildGateNetworkPolicy,
  buildGatePodDisruptionBudget,
  buildGateService,
  type GateAuthSecrets,
  type GateManifestArgs,
} from "./manifests/gate";

export interface GateArgs extends GateManifestArgs {
  /** From the stack (`pomona:authJwtSecrets`, `pomona:authWebhookSecret`), never generated. */
  authSecrets: GateAuthSecrets;
}

export class Gate extends PomonaComponent {
  /** The LoadBalancer's hostname or IP once the cloud assigns it. */
  readonly publicAddress: pulumi.Output<string | undefined>;

  constructor(name: string, args: GateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Gate", name, opts);
    // The auth mode's secrets, so the pod reads them by reference and no manifest holds them in plain text.
    const authSecret = buildGateAuthSecret(args.namespace, args.authSecrets);
    if (authSecret !== undefined) new k8s.core.v1.Secret(`${name}-auth`, authSecret, this.child);
    // Stateless gates: any of them signs tokens for any connector.
    new k8s.apps.v1.Deployment(`${name}-deployment`, buildGateDeployment(args), this.child);
    // The public entry point players query first.
    const service = new k8s.core.v1.Service(`${name}-service`, buildGateService(args), this.child);
    // The scraper's way to the metrics port, which the public Service must not carry.
    new k8s.core.v1.Service(`${name}-metrics`, buildGateMetricsService(args), this.child);
    // Keep gates answering while nodes drain.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, buildGatePodDisruptionBudget(args), this.child);
    // Public port for anyone, metrics port for the scrapers.
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildGateNetworkPolicy(args), this.child);
    this.publicAddress = service.status.loadBalancer.ingress.apply((ingress) => ingress?.[0]?.hostname ?? ingress?.[0]?.ip);
    this.registerOutputs({ publicAddress: this.publicAddress });
  }
}
