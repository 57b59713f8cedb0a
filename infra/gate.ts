/** The gate: Deployment + public LoadBalancer Service; players ask it where to connect. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PomonaComponent } from "./component";
import { buildGateDeployment, buildGateNetworkPolicy, buildGatePodDisruptionBudget, buildGateService, type GateManifestArgs } from "./manifests/gate";

export type GateArgs = GateManifestArgs;

export class Gate extends PomonaComponent {
  /** The LoadBalancer's hostname or IP once the cloud assigns it. */
  readonly publicAddress: pulumi.Output<string | undefined>;

  constructor(name: string, args: GateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Gate", name, opts);
    // Stateless gates: any of them signs tokens for any connector.
    new k8s.apps.v1.Deployment(`${name}-deployment`, buildGateDeployment(args), this.child);
    // The public entry point players query first.
    const service = new k8s.core.v1.Service(`${name}-service`, buildGateService(args), this.child);
    // Keep gates answering while nodes drain.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, buildGatePodDisruptionBudget(args), this.child);
    // Public port only.
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildGateNetworkPolicy(args), this.child);
    this.publicAddress = service.status.loadBalancer.ingress.apply((ingress) => ingress?.[0]?.hostname ?? ingress?.[0]?.ip);
    this.registerOutputs({ publicAddress: this.publicAddress });
  }
}
