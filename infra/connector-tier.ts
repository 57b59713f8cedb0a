/**
 * The connector tier: StatefulSet `connector` + headless Service `connectors` (explicit literal
 * names: the nginx map and the gate's `connector-N.<domain>` depend on them), the private metrics
 * Service, and in load-balancer mode the public LoadBalancer Service.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CONNECTOR_HOST_PREFIX } from "../services/src/proxy";
import { PomonaComponent } from "./component";
import {
  buildConnectorHeadlessService,
  buildConnectorLoadBalancer,
  buildConnectorMetricsService,
  buildConnectorNetworkPolicy,
  buildConnectorPodDisruptionBudget,
  buildConnectorStatefulSet,
  type ConnectorManifestArgs,
} from "./manifests/connector";

export type ConnectorTierArgs = ConnectorManifestArgs;

export class ConnectorTier extends PomonaComponent {
  readonly statefulSetName: pulumi.Output<string>;
  readonly headlessServiceName: pulumi.Output<string>;
  /** The hosts the gate hands out: `connector-<N>.<domain>`, or the one load-balancer host. */
  readonly publicHosts: string[];
  /** Load-balancer mode: the public Service's address once the cloud assigns it. */
  readonly publicAddress?: pulumi.Output<string | undefined>;

  constructor(name: string, args: ConnectorTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ConnectorTier", name, opts);
    // Governs the StatefulSet: one DNS name per connector pod, published even while not ready.
    const headless = new k8s.core.v1.Service(`${name}-headless`, buildConnectorHeadlessService(args), this.child);
    // Stable pod names `connector-<N>`: the ordinal is the connector's identity and public host label.
    const statefulSet = new k8s.apps.v1.StatefulSet(`${name}-statefulset`, buildConnectorStatefulSet(args), { ...this.child, dependsOn: [headless] });
    // The scraper's way to each connector's metrics port, apart from the players' port.
    new k8s.core.v1.Service(`${name}-metrics`, buildConnectorMetricsService(args), this.child);
    // Rolling updates and node drains take one connector at a time; its players resume elsewhere.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, buildConnectorPodDisruptionBudget(args), this.child);
    // Subdomain mode: only nginx reaches the client port; load-balancer mode: anyone. Metrics: the scrapers.
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildConnectorNetworkPolicy(args), this.child);
    const loadBalancer = buildConnectorLoadBalancer(args);
    if (loadBalancer) {
      // Scenario 1: one public address in front of every connector.
      const service = new k8s.core.v1.Service(`${name}-public`, loadBalancer, this.child);
      this.publicAddress = service.status.loadBalancer.ingress.apply((ingress) => ingress?.[0]?.hostname ?? ingress?.[0]?.ip);
    }
    const { frontDoor } = args;
    this.publicHosts =
      frontDoor.mode === "subdomain" ? Array.from({ length: args.connector.replicas }, (_, i) => `${CONNECTOR_HOST_PREFIX}${i}.${frontDoor.domain}`) : [frontDoor.publicHost];
    this.statefulSetName = statefulSet.metadata.name;
    this.headlessServiceName = headless.metadata.name;
    this.registerOutputs({ publicHosts: this.publicHosts, statefulSetName: this.statefulSetName, headlessServiceName: this.headlessServiceName, publicAddress: this.publicAddress });
  }
}
